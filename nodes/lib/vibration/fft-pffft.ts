import type { PffftModule } from '@echogarden/pffft-wasm/simd';
import type { ComplexTransform, RealTransform } from './fft';

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
 * Callers write the input and read the output in place (float32), so nothing is copied here.
 * Transforms run to completion synchronously, so every caller of a size on a thread shares them.
 */
class PffftPlan {
  private readonly setup: number;
  private readonly work: number;
  readonly inputAt: number;
  readonly outputAt: number;

  constructor(private readonly module: PffftModule, readonly size: number, kind: number) {
    this.setup = module._pffft_new_setup(size, kind);
    if (this.setup === 0) throw new RangeError(`PFFFT cannot transform ${size} points`);
    const bytes = (kind === REAL ? size : 2 * size) * FLOAT_BYTES;
    this.inputAt = module._pffft_aligned_malloc(bytes) / FLOAT_BYTES;
    this.outputAt = module._pffft_aligned_malloc(bytes) / FLOAT_BYTES;
    this.work = module._pffft_aligned_malloc(bytes);
  }

  /** The module's memory; replaced when it grows, which only making a plan can do. */
  get buffer(): Float32Array {
    return this.module.HEAPF32;
  }

  protected run(direction: number): void {
    this.module._pffft_transform_ordered(this.setup, this.inputAt * FLOAT_BYTES, this.outputAt * FLOAT_BYTES, this.work, direction);
  }
}

/** PFFFT's ordered real output is already the packed layout RealTransform promises. */
export class PffftReal extends PffftPlan implements RealTransform {
  private outputView: Float32Array | undefined;

  constructor(module: PffftModule, size: number) {
    super(module, size, REAL);
  }

  get output(): Float32Array {
    const heap = this.buffer;
    if (this.outputView?.buffer !== heap.buffer) this.outputView = heap.subarray(this.outputAt, this.outputAt + this.size);
    return this.outputView;
  }

  forward(): void {
    this.run(FORWARD);
  }
}

export class PffftComplex extends PffftPlan implements ComplexTransform {
  constructor(module: PffftModule, size: number) {
    super(module, size, COMPLEX);
  }

  inverse(): void {
    this.run(BACKWARD);
  }
}
