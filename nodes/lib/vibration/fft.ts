import loadPffft, { type PffftModule } from '@echogarden/pffft-wasm/simd';
import { FftJsComplex, FftJsReal } from './fft-fallback';
import { PffftComplex, PffftReal, pffftSupports } from './fft-pffft';

export type FftBackend = 'pffft' | 'fft.js';

/**
 * A real forward transform done in place: the caller writes `size` samples to
 * buffer[inputAt ..], calls forward() and reads the bins, packed, from buffer[outputAt ..]:
 * X(0) and X(size/2) (both real) first, then (re, im) of bins 1 .. size/2 − 1. The buffer may be
 * the FFT module's memory, shared by every plan of the thread: read `buffer` again after making
 * a plan (that can grow the memory), and finish with one transform's output before the next.
 */
export interface RealTransform {
  readonly size: number;
  readonly buffer: Float32Array | Float64Array;
  readonly inputAt: number;
  readonly outputAt: number;
  /** buffer[outputAt .. outputAt + size) as an array of its own, for copying out in one go. */
  readonly output: Float32Array | Float64Array;
  forward(): void;
}

/** A complex inverse transform done in place, unscaled (not divided by size); interleaved (re, im) input and output. */
export interface ComplexTransform {
  readonly size: number;
  readonly buffer: Float32Array | Float64Array;
  readonly inputAt: number;
  readonly outputAt: number;
  inverse(): void;
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

function realPlan(size: number): RealTransform {
  if (!pffft || !pffftSupports(size, 'real')) return new FftJsReal(size);
  let plan = realPlans.get(size);
  if (!plan) realPlans.set(size, (plan = new PffftReal(pffft, size)));
  return plan;
}

function complexPlan(size: number): ComplexTransform {
  if (!pffft || !pffftSupports(size, 'complex')) return new FftJsComplex(size);
  let plan = complexPlans.get(size);
  if (!plan) complexPlans.set(size, (plan = new PffftComplex(pffft, size)));
  return plan;
}

/**
 * The one place that knows which FFT library runs: PFFFT in float32 when loaded and the size
 * allows, else fft.js. The plans (`real()`, `complex()`) are used in place: nothing is allocated
 * per transform.
 */
export class Fft {
  readonly size: number;
  private realTransform: RealTransform | undefined;
  private complexTransform: ComplexTransform | undefined;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 4) throw new RangeError(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
  }

  /** The real plan, made on first use (so that it runs on PFFFT if that has loaded by then). */
  real(): RealTransform {
    return (this.realTransform ??= realPlan(this.size));
  }

  complex(): ComplexTransform {
    return (this.complexTransform ??= complexPlan(this.size));
  }
}

/** Adds |X(k)|² of the plan's last output to power[0 .. size/2]. */
export function addPower(plan: RealTransform, power: Float64Array): void {
  const { buffer, outputAt } = plan;
  const half = plan.size / 2;
  power[0] += buffer[outputAt] * buffer[outputAt];
  power[half] += buffer[outputAt + 1] * buffer[outputAt + 1];
  for (let k = 1; k < half; k++) {
    const re = buffer[outputAt + 2 * k];
    const im = buffer[outputAt + 2 * k + 1];
    power[k] += re * re + im * im;
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
