import type { WindowStats } from './types';
import { Prng, quantileSorted, ValueSample } from './value-sample';

/**
 * The running statistics of one open window. Every update is O(1) (the quantile sample aside,
 * which is an array write): moments by Welford/Terriberry, the trend by an online covariance.
 * Accumulators are reused through `clear()` rather than allocated per window.
 */
export class WindowAccumulator {
  start = 0;
  end = 0;
  count = 0;
  private mean = 0;
  private m2 = 0;
  private m3 = 0;
  private m4 = 0;
  private min = Infinity;
  private max = -Infinity;
  /** Trend: mean time (s since `start`) and the co-moments of time with itself and with value. */
  private meanT = 0;
  private ctt = 0;
  private ctx = 0;
  private first = 0;
  private firstTs = 0;
  private last = 0;
  private lastTs = 0;
  private readonly sample: ValueSample;

  constructor(quantileCap: number) {
    this.sample = new ValueSample(quantileCap);
  }

  open(start: number, end: number): this {
    this.start = start;
    this.end = end;
    return this;
  }

  /** True when the quantiles come from a reservoir sample rather than every value. */
  get estimated(): boolean {
    return this.sample.sampled;
  }

  /** Values held for quantiles. */
  get sampleCapacity(): number {
    return this.sample.capacity;
  }

  add(value: number, ts: number, prng: Prng): void {
    const n1 = this.count;
    const n = n1 + 1;
    this.count = n;
    const delta = value - this.mean;
    const deltaN = delta / n;
    const deltaN2 = deltaN * deltaN;
    const term1 = delta * deltaN * n1;
    this.mean += deltaN;
    this.m4 += term1 * deltaN2 * (n * n - 3 * n + 3) + 6 * deltaN2 * this.m2 - 4 * deltaN * this.m3;
    this.m3 += term1 * deltaN * (n - 2) - 3 * deltaN * this.m2;
    this.m2 += term1;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;

    const t = (ts - this.start) / 1000;
    const dt = t - this.meanT;
    this.meanT += dt / n;
    this.ctt += dt * (t - this.meanT);
    this.ctx += dt * (value - this.mean);

    if (n1 === 0) {
      this.first = value;
      this.firstTs = ts;
    }
    this.last = value;
    this.lastTs = ts;
    this.sample.add(value, prng);
  }

  /** The window's statistics. Sorts the quantile sample in place, so call once, then `clear()`. */
  stats(asset: string, sensor: string, unit: string | undefined): WindowStats {
    const n = this.count;
    const m2 = this.m2;
    const variance = n > 1 ? m2 / (n - 1) : 0;
    const rms = Math.sqrt(this.mean * this.mean + m2 / n);
    const peak = Math.max(Math.abs(this.min), Math.abs(this.max));
    const sorted = this.sample.sorted();
    const elapsed = (this.lastTs - this.firstTs) / 1000;
    const stats: WindowStats = {
      asset,
      sensor,
      start: this.start,
      end: this.end,
      count: n,
      mean: this.mean,
      std: Math.sqrt(variance),
      min: this.min,
      max: this.max,
      range: this.max - this.min,
      rms,
      peak,
      peakToPeak: this.max - this.min,
      crestFactor: rms > 0 ? peak / rms : 0,
      skewness: m2 > 0 ? (Math.sqrt(n) * this.m3) / Math.pow(m2, 1.5) : 0,
      kurtosis: m2 > 0 ? (n * this.m4) / (m2 * m2) : 0,
      median: quantileSorted(sorted, 0.5),
      p05: quantileSorted(sorted, 0.05),
      p95: quantileSorted(sorted, 0.95),
      slope: this.ctt > 0 ? this.ctx / this.ctt : 0,
      rateOfChange: elapsed !== 0 ? (this.last - this.first) / elapsed : 0,
      first: this.first,
      last: this.last,
    };
    if (unit !== undefined) stats.unit = unit;
    return stats;
  }

  clear(): void {
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
    this.m3 = 0;
    this.m4 = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.meanT = 0;
    this.ctt = 0;
    this.ctx = 0;
    this.sample.clear();
  }
}
