export interface SmoothingOptions {
  /** 'mean': rolling mean over `window` values; 'ewma': exponential, alpha = 2/(window+1). */
  kind: 'none' | 'mean' | 'ewma';
  window: number;
}

/** Plain-data state of a Smoother: [next, filled, sum, ewma (null before the first value), ...ring]. */
export type SmootherJSON = (number | null)[];

/** Rolling mean or EWMA of a stream of numbers, constant memory. */
export class Smoother {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  private sum = 0;
  private ewma = NaN;
  private readonly alpha: number;

  constructor(private readonly options: SmoothingOptions) {
    this.ring = new Float64Array(options.kind === 'mean' ? options.window : 0);
    this.alpha = 2 / (options.window + 1);
  }

  push(value: number): number {
    switch (this.options.kind) {
      case 'none':
        return value;
      case 'ewma':
        this.ewma = Number.isNaN(this.ewma) ? value : this.ewma + this.alpha * (value - this.ewma);
        return this.ewma;
      case 'mean':
        if (this.filled === this.ring.length) this.sum -= this.ring[this.next];
        else this.filled++;
        this.ring[this.next] = value;
        this.sum += value;
        this.next = (this.next + 1) % this.ring.length;
        return this.sum / this.filled;
    }
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
    this.sum = 0;
    this.ewma = NaN;
  }

  toJSON(): SmootherJSON {
    return [this.next, this.filled, this.sum, Number.isNaN(this.ewma) ? null : this.ewma, ...this.ring];
  }

  /** Takes a state written by toJSON for the same options; a state that does not fit is ignored. */
  restore(state: unknown): void {
    if (!Array.isArray(state) || state.length !== 4 + this.ring.length) return;
    const [next, filled, sum, ewma, ...ring] = state as unknown[];
    const numbers = [next, filled, sum, ...ring];
    if (!numbers.every((x) => typeof x === 'number' && Number.isFinite(x))) return;
    if (!(ewma === null || (typeof ewma === 'number' && Number.isFinite(ewma)))) return;
    if (!((next as number) >= 0 && (next as number) < Math.max(1, this.ring.length) && (filled as number) <= this.ring.length)) return;
    this.next = next as number;
    this.filled = filled as number;
    this.sum = sum as number;
    this.ewma = ewma === null ? NaN : ewma;
    this.ring.set(ring as number[]);
  }
}
