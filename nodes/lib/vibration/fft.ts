import FFT from 'fft.js';

/**
 * The one place that knows which FFT library runs. Buffers are the caller's: nothing is
 * allocated per transform.
 */
export class Fft {
  readonly size: number;
  private readonly impl: FFT;
  /** A real transform of `size` runs as a complex transform of size / 2 on the even/odd samples. */
  private readonly halfImpl: FFT;
  private readonly packed: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 4) throw new RangeError(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
    this.impl = new FFT(size);
    const half = size / 2;
    this.halfImpl = new FFT(half);
    this.packed = new Float64Array(size);
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * Real input of length `size` → bins 0..size/2 as interleaved (re, im) in
   * `out[offset .. offset+size+1]`; when `powerSum` is given, each bin's |X(k)|² is added to it.
   * Read as interleaved (re, im) pairs, the input is the complex signal even + i·odd; its
   * half-size transform splits into the even and odd samples' spectra, which combine into the
   * full one. That is half the work of a full-size transform.
   */
  forwardReal(input: Float64Array, out: Float64Array, offset = 0, powerSum?: Float64Array): void {
    const z = this.packed;
    this.halfImpl.transform(z, input);
    const half = this.size / 2;
    const { cos, sin } = this;
    out[offset] = z[0] + z[1];
    out[offset + 1] = 0;
    out[offset + 2 * half] = z[0] - z[1];
    out[offset + 2 * half + 1] = 0;
    if (powerSum) {
      powerSum[0] += out[offset] * out[offset];
      powerSum[half] += out[offset + 2 * half] * out[offset + 2 * half];
    }
    // Bins k and half − k come from the same two values: X[k] = E + W^k·O, X[half − k] = conj(E − W^k·O).
    const quarter = half / 2;
    for (let k = 1; k < quarter; k++) {
      const j = half - k;
      const ar = z[2 * k];
      const ai = z[2 * k + 1];
      const br = z[2 * j];
      const bi = -z[2 * j + 1];
      const evenRe = 0.5 * (ar + br);
      const evenIm = 0.5 * (ai + bi);
      const oddRe = 0.5 * (ai - bi);
      const oddIm = -0.5 * (ar - br);
      const c = cos[k];
      const s = sin[k];
      const turnedRe = c * oddRe + s * oddIm;
      const turnedIm = c * oddIm - s * oddRe;
      const re = evenRe + turnedRe;
      const im = evenIm + turnedIm;
      const mirrorRe = evenRe - turnedRe;
      const mirrorIm = turnedIm - evenIm;
      out[offset + 2 * k] = re;
      out[offset + 2 * k + 1] = im;
      out[offset + 2 * j] = mirrorRe;
      out[offset + 2 * j + 1] = mirrorIm;
      if (powerSum) {
        powerSum[k] += re * re + im * im;
        powerSum[j] += mirrorRe * mirrorRe + mirrorIm * mirrorIm;
      }
    }
    const middleRe = z[2 * quarter];
    const middleIm = -z[2 * quarter + 1];
    out[offset + 2 * quarter] = middleRe;
    out[offset + 2 * quarter + 1] = middleIm;
    if (powerSum) powerSum[quarter] += middleRe * middleRe + middleIm * middleIm;
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
