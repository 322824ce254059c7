/**
 * Time-domain statistics of a waveform in two read-only passes over the samples (moments and
 * extremes, then the histogram), with no per-sample allocation. Quantiles come from a histogram over [min, max], so they are exact to within
 * (max − min) / HISTOGRAM_BINS.
 */
import type { WindowStats } from '../stats/types';

export const HISTOGRAM_BINS = 4096;

/** The statistics of a window record, without its key and time span. */
export type TimeStats = Omit<WindowStats, 'asset' | 'sensor' | 'start' | 'end' | 'unit'>;

/** Index of the first sample that is not a finite number, or −1. */
export function firstBadSample(samples: ArrayLike<number>): number {
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) return i;
  }
  return -1;
}

export class TimeStatsCalculator {
  private readonly histogram = new Uint32Array(HISTOGRAM_BINS);
  /**
   * Even and odd samples counted in two halves, merged afterwards: neighbouring samples often
   * fall in the same bin, and two counters let one increment start before the other has landed.
   */
  private readonly halves = new Uint32Array(2 * HISTOGRAM_BINS);

  /** Statistics of finite samples (check them with firstBadSample first); at least 2 samples. */
  compute(x: ArrayLike<number>, sampleRate: number): TimeStats {
    const n = x.length;
    // Power sums about the first sample, not zero: an offset far larger than the vibration cancels less.
    const shift = x[0];
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let sumId = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const d = v - shift;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      s3 += d2 * d;
      s4 += d2 * d2;
      sumId += i * d;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const c = s1 / n;
    const mean = shift + c;
    s2 /= n;
    s3 /= n;
    s4 /= n;
    // Central moments from the moments about `shift`.
    const m2 = Math.max(0, s2 - c * c);
    const m3 = s3 - 3 * c * s2 + 2 * c * c * c;
    const m4 = Math.max(0, s4 - 4 * c * s3 + 6 * c * c * s2 - 3 * c * c * c * c);
    const range = max - min;
    this.fillHistogram(x, mean, min - mean, range > 0 ? (HISTOGRAM_BINS - 1) / range : 0);
    const rms = Math.sqrt(m2 + mean * mean);
    const peak = Math.max(Math.abs(min), Math.abs(max));
    const meanIndex = (n - 1) / 2;
    const indexVariance = (n * (n * n - 1)) / 12;
    const durationS = (n - 1) / sampleRate;
    return {
      count: n,
      mean,
      std: Math.sqrt((m2 * n) / (n - 1)),
      min,
      max,
      range,
      rms,
      peak,
      peakToPeak: range,
      crestFactor: rms > 0 ? peak / rms : 0,
      skewness: m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0,
      kurtosis: m2 > 0 ? m4 / (m2 * m2) : 0,
      median: this.quantile(0.5, n, min, range),
      p05: this.quantile(0.05, n, min, range),
      p95: this.quantile(0.95, n, min, range),
      slope: ((sumId - meanIndex * s1) / indexVariance) * sampleRate,
      rateOfChange: durationS > 0 ? (x[n - 1] - x[0]) / durationS : 0,
      first: x[0],
      last: x[n - 1],
    };
  }

  /** Counts x − mean in bins of 1/scale from `lowest` up. */
  private fillHistogram(x: ArrayLike<number>, mean: number, lowest: number, scale: number): void {
    const { histogram, halves } = this;
    halves.fill(0);
    const n = x.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      halves[((x[i] - mean - lowest) * scale) | 0]++;
      halves[HISTOGRAM_BINS + (((x[i + 1] - mean - lowest) * scale) | 0)]++;
    }
    if (i < n) halves[((x[i] - mean - lowest) * scale) | 0]++;
    for (let b = 0; b < HISTOGRAM_BINS; b++) histogram[b] = halves[b] + halves[HISTOGRAM_BINS + b];
  }

  private quantile(q: number, n: number, min: number, range: number): number {
    if (range === 0) return min;
    const target = q * (n - 1);
    const width = range / (HISTOGRAM_BINS - 1);
    let below = 0;
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      const inBin = this.histogram[b];
      if (below + inBin > target) return Math.min(min + range, min + (b + (target - below + 0.5) / inBin) * width);
      below += inBin;
    }
    return min + range;
  }
}
