/**
 * Fixed-length windows over a stream of numbers: a ring with running sums (O(1) mean and
 * variance) and a sorted copy (binary insert/remove) for median, MAD and quantiles.
 */
export class RollingWindow {
  readonly values: Float64Array;
  /** Next write position. */
  private head = 0;
  count = 0;
  /** Sums are of (x − shift): a shift near the mean keeps Σd² free of cancellation. */
  private shift = 0;
  private sum = 0;
  private sumSq = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** Adds x; returns the value that left the window, or NaN while it is filling. */
  push(x: number): number {
    if (this.count === 0) this.shift = x;
    let evicted = NaN;
    if (this.count === this.capacity) {
      evicted = this.values[this.head];
      const d = evicted - this.shift;
      this.sum -= d;
      this.sumSq -= d * d;
    } else {
      this.count++;
    }
    this.values[this.head] = x;
    const d = x - this.shift;
    this.sum += d;
    this.sumSq += d * d;
    if (++this.head === this.capacity) {
      this.head = 0;
      this.resum();
    }
    return evicted;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.shift + this.sum / this.count;
  }

  /** Sample variance (n − 1). */
  variance(): number {
    if (this.count < 2) return 0;
    const v = (this.sumSq - (this.sum * this.sum) / this.count) / (this.count - 1);
    return v > 0 ? v : 0;
  }

  /** Oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    const start = this.count === this.capacity ? this.head : 0;
    for (let i = 0; i < this.count; i++) out.push(this.values[(start + i) % this.capacity]);
    return out;
  }

  /** Exact sums once per lap: rounding from add/remove never accumulates past one window. */
  private resum(): void {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.values[i];
    this.shift = total / this.count;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < this.count; i++) {
      const d = this.values[i] - this.shift;
      sum += d;
      sumSq += d * d;
    }
    this.sum = sum;
    this.sumSq = sumSq;
  }
}

export class SortedWindow {
  private readonly sorted: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.sorted = new Float64Array(capacity);
  }

  insert(x: number): void {
    const at = this.upperBound(x);
    this.sorted.copyWithin(at + 1, at, this.size);
    this.sorted[at] = x;
    this.size++;
  }

  remove(x: number): void {
    const at = this.lowerBound(x);
    if (at >= this.size || this.sorted[at] !== x) return;
    this.sorted.copyWithin(at, at + 1, this.size);
    this.size--;
  }

  /** Linear interpolation between order statistics (R type 7, as spreadsheets do). */
  quantile(p: number): number {
    if (this.size === 0) return NaN;
    const h = (this.size - 1) * p;
    const lo = Math.floor(h);
    const hi = lo + 1 < this.size ? lo + 1 : lo;
    return this.sorted[lo] + (h - lo) * (this.sorted[hi] - this.sorted[lo]);
  }

  median(): number {
    return this.quantile(0.5);
  }

  /**
   * Median absolute deviation from the median, in O(log n): the deviations below the median
   * and those above it form two sorted sequences, and their median is a k-th of two sorted.
   */
  mad(): number {
    const n = this.size;
    if (n === 0) return NaN;
    const m = this.median();
    const split = this.upperBound(m);
    if ((n & 1) === 1) return this.kthDeviation((n - 1) / 2, m, split);
    return (this.kthDeviation(n / 2 - 1, m, split) + this.kthDeviation(n / 2, m, split)) / 2;
  }

  /** k-th (0-based) smallest of {m − s[split−1−i]} ∪ {s[split+j] − m}. */
  private kthDeviation(k: number, m: number, split: number): number {
    const nRight = this.size - split;
    // take i from the left and k + 1 − i from the right
    let lo = Math.max(0, k + 1 - nRight);
    let hi = Math.min(k + 1, split);
    while (lo <= hi) {
      const i = (lo + hi) >> 1;
      const j = k + 1 - i;
      if (this.below(i - 1, m, split) > this.above(j, m, split)) hi = i - 1;
      else if (this.above(j - 1, m, split) > this.below(i, m, split)) lo = i + 1;
      else return Math.max(this.below(i - 1, m, split), this.above(j - 1, m, split));
    }
    return NaN;
  }

  /** i-th smallest deviation among the values ≤ m. */
  private below(i: number, m: number, split: number): number {
    if (i < 0) return -Infinity;
    return i >= split ? Infinity : m - this.sorted[split - 1 - i];
  }

  /** j-th smallest deviation among the values > m. */
  private above(j: number, m: number, split: number): number {
    if (j < 0) return -Infinity;
    return j >= this.size - split ? Infinity : this.sorted[split + j] - m;
  }

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(x: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
