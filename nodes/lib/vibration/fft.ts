import loadPffft, { type PffftModule } from '@echogarden/pffft-wasm/simd';
import { FftJsComplex, FftJsReal } from './fft-fallback';
import { PffftComplex, PffftReal, pffftSupports } from './fft-pffft';

export type FftBackend = 'pffft' | 'fft.js';

interface RealPlan {
  forward(input: Float64Array, out: Float64Array, offset: number, powerSum?: Float64Array): void;
}

interface ComplexPlan {
  inverse(input: Float64Array, out: Float64Array): void;
}

/** This thread's PFFFT module once loaded, and its plans by size (shared: every transform runs to completion). */
let pffft: PffftModule | undefined;
let loading: Promise<FftBackend> | undefined;
const realPlans = new Map<number, PffftReal>();
const complexPlans = new Map<number, PffftComplex>();

/**
 * Loads PFFFT (WebAssembly with SIMD) for this thread; transforms made before it has loaded, or
 * when it cannot load, run on fft.js. Call once per thread and wait before analysing.
 */
export function loadFft(): Promise<FftBackend> {
  loading ??= loadPffft().then(
    (module) => {
      pffft = module;
      return 'pffft' as const;
    },
    () => 'fft.js' as const,
  );
  return loading;
}

/** `run`, called only after loadFft has settled: at once when it has, else queued behind it in call order. */
export function afterFftLoads<A extends unknown[]>(run: (...args: A) => void): (...args: A) => void {
  const ready = loadFft();
  let settled = false;
  void ready.then(() => {
    settled = true;
  });
  return (...args: A) => {
    if (settled) run(...args);
    else void ready.then(() => run(...args));
  };
}

/** Which library a transform of `size` points made now runs on. */
export function fftBackend(size: number, kind: 'real' | 'complex'): FftBackend {
  return pffft && pffftSupports(size, kind) ? 'pffft' : 'fft.js';
}

function realPlan(size: number): RealPlan {
  if (!pffft || !pffftSupports(size, 'real')) return new FftJsReal(size);
  let plan = realPlans.get(size);
  if (!plan) realPlans.set(size, (plan = new PffftReal(pffft, size)));
  return plan;
}

function complexPlan(size: number): ComplexPlan {
  if (!pffft || !pffftSupports(size, 'complex')) return new FftJsComplex(size);
  let plan = complexPlans.get(size);
  if (!plan) complexPlans.set(size, (plan = new PffftComplex(pffft, size)));
  return plan;
}

/**
 * The one place that knows which FFT library runs: PFFFT in float32 when loaded and the size
 * allows, else fft.js; results are float64 either way. Buffers are the caller's: nothing is
 * allocated per transform.
 */
export class Fft {
  readonly size: number;
  private real: RealPlan | undefined;
  private complex: ComplexPlan | undefined;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 4) throw new RangeError(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
  }

  /**
   * Real input of length `size` → bins 0..size/2 as interleaved (re, im) in
   * `out[offset .. offset+size+1]`; when `powerSum` is given, each bin's |X(k)|² is added to it.
   */
  forwardReal(input: Float64Array, out: Float64Array, offset = 0, powerSum?: Float64Array): void {
    if (input.length !== this.size) throw new RangeError(`a real FFT of ${this.size} points needs ${this.size} samples, got ${input.length}`);
    this.real ??= realPlan(this.size);
    this.real.forward(input, out, offset, powerSum);
  }

  /** Inverse complex transform of interleaved (re, im) data, both of length 2·size, divided by size. */
  inverseComplex(input: Float64Array, out: Float64Array): void {
    if (input.length !== 2 * this.size) throw new RangeError(`a complex FFT of ${this.size} points needs ${2 * this.size} values, got ${input.length}`);
    this.complex ??= complexPlan(this.size);
    this.complex.inverse(input, out);
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
