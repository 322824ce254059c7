import FFT from 'fft.js';

/**
 * The one place that knows which FFT library runs. Buffers are the caller's: nothing is
 * allocated per transform.
 */
export class Fft {
  readonly size: number;
  private readonly impl: FFT;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 4) throw new RangeError(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
    this.impl = new FFT(size);
  }

  /**
   * Real input of length `size` → bins 0..size/2 as interleaved (re, im) in `out[0 .. size+1]`.
   * `out` must hold 2·size values (the library uses the rest as scratch).
   */
  forwardReal(input: Float64Array, out: Float64Array): void {
    this.impl.realTransform(out, input);
  }

  /** Inverse complex transform of interleaved (re, im) data, both of length 2·size, divided by size. */
  inverseComplex(input: Float64Array, out: Float64Array): void {
    this.impl.inverseTransform(out, input);
  }
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Smallest power of two ≥ n. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Largest power of two ≤ n (n ≥ 1). */
export function previousPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
