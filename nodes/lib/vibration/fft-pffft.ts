import type { PffftModule } from '@echogarden/pffft-wasm/simd';

const REAL = 0;
const COMPLEX = 1;
const FORWARD = 0;
const BACKWARD = 1;
const FLOAT_BYTES = 4;

/** PFFFT's size rule: a multiple of 32 (real) or 16 (complex) with no prime factor other than 2, 3 and 5. */
export function pffftSupports(size: number, kind: 'real' | 'complex'): boolean {
  if (!Number.isInteger(size) || size % (kind === 'real' ? 32 : 16) !== 0) return false;
  let rest = size;
  for (const factor of [2, 3, 5]) while (rest % factor === 0) rest /= factor;
  return rest === 1;
}

/**
 * One PFFFT setup with its input, output and work buffers in the module's memory, all made once.
 * Transforms run to completion synchronously, so every caller of a size on a thread shares them.
 */
class PffftPlan {
  private readonly setup: number;
  private readonly input: number;
  private readonly output: number;
  private readonly work: number;

  constructor(private readonly module: PffftModule, readonly size: number, kind: number) {
    this.setup = module._pffft_new_setup(size, kind);
    if (this.setup === 0) throw new RangeError(`PFFFT cannot transform ${size} points`);
    const bytes = (kind === REAL ? size : 2 * size) * FLOAT_BYTES;
    this.input = module._pffft_aligned_malloc(bytes);
    this.output = module._pffft_aligned_malloc(bytes);
    this.work = module._pffft_aligned_malloc(bytes);
  }

  /** Runs the transform on `input` (converted to float32); returns the heap and the output's index in it. */
  protected run(input: Float64Array, direction: number): { heap: Float32Array; at: number } {
    const heap = this.module.HEAPF32;
    // A plain loop converts float64 to float32 about a third faster than heap.set here.
    const first = this.input / FLOAT_BYTES;
    const length = input.length;
    for (let i = 0; i < length; i++) heap[first + i] = input[i];
    this.module._pffft_transform_ordered(this.setup, this.input, this.output, this.work, direction);
    return { heap, at: this.output / FLOAT_BYTES };
  }
}

export class PffftReal extends PffftPlan {
  constructor(module: PffftModule, size: number) {
    super(module, size, REAL);
  }

  /** Same contract as Fft.forwardReal. PFFFT packs the real DC and Nyquist bins into the first two floats. */
  forward(input: Float64Array, out: Float64Array, offset: number, powerSum?: Float64Array): void {
    const { heap, at } = this.run(input, FORWARD);
    const half = this.size / 2;
    const dc = heap[at];
    const nyquist = heap[at + 1];
    out[offset] = dc;
    out[offset + 1] = 0;
    out[offset + 2 * half] = nyquist;
    out[offset + 2 * half + 1] = 0;
    if (powerSum) {
      powerSum[0] += dc * dc;
      powerSum[half] += nyquist * nyquist;
    }
    for (let k = 1; k < half; k++) {
      const re = heap[at + 2 * k];
      const im = heap[at + 2 * k + 1];
      out[offset + 2 * k] = re;
      out[offset + 2 * k + 1] = im;
      if (powerSum) powerSum[k] += re * re + im * im;
    }
  }
}

export class PffftComplex extends PffftPlan {
  constructor(module: PffftModule, size: number) {
    super(module, size, COMPLEX);
  }

  /** Same contract as Fft.inverseComplex: PFFFT does not scale, so the result is divided by size here. */
  inverse(input: Float64Array, out: Float64Array): void {
    const { heap, at } = this.run(input, BACKWARD);
    const scale = 1 / this.size;
    const values = 2 * this.size;
    for (let i = 0; i < values; i++) out[i] = heap[at + i] * scale;
  }
}
