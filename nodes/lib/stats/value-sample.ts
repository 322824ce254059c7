/**
 * The values of one window kept for its quantiles: every value up to `cap`, then a uniform
 * reservoir sample of `cap` values (Vitter's algorithm R), so memory per window stays bounded.
 */

/** Deterministic 32-bit PRNG (mulberry32): the same input stream gives the same sample. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform integer in [0, bound). */
  below(bound: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * bound);
  }
}

const INITIAL_CAPACITY = 16;

export class ValueSample {
  private values = new Float64Array(INITIAL_CAPACITY);
  private length = 0;
  private offered = 0;

  constructor(private readonly cap: number) {}

  /** Values held now (≤ cap). */
  get size(): number {
    return this.length;
  }

  /** Memory held, in values: never more than max(cap, 16). */
  get capacity(): number {
    return this.values.length;
  }

  /** True once values have been dropped, so quantiles are estimates. */
  get sampled(): boolean {
    return this.offered > this.length;
  }

  add(value: number, prng: Prng): void {
    const seen = this.offered++;
    if (this.length < this.cap) {
      if (this.length === this.values.length) this.grow();
      this.values[this.length++] = value;
      return;
    }
    const slot = prng.below(seen + 1);
    if (slot < this.cap) this.values[slot] = value;
  }

  /** Sorts the held values in place and returns them; the sample is then only fit for reading quantiles. */
  sorted(): Float64Array {
    return this.values.subarray(0, this.length).sort();
  }

  clear(): void {
    this.length = 0;
    this.offered = 0;
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.cap, this.values.length * 2));
    next.set(this.values);
    this.values = next;
  }
}

/** Quantile of sorted values by linear interpolation between order statistics (R type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1];
  return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}
