import { Baseline, type BaselineJSON } from './baseline';
import { clampScore, type DetectorScore, type ExpectedRange } from './events';
import { NelsonRing, nelsonRuleList } from './nelson';
import type { SortedWindow } from './rolling';
import { DETECTOR_NAMES, detectorBit, type CompiledOptions } from './options';
import { LevelShift, type LevelShiftJSON } from './shift';

const Z = detectorBit('zscore');
const EWMA = detectorBit('ewma');
const ROBUST = detectorBit('robust');
const IQR = detectorBit('iqr');
const LIMITS = detectorBit('limits');
const RATE = detectorBit('rate');
const CUSUM = detectorBit('cusum');
const CHART = detectorBit('ewmaChart');
const NELSON = detectorBit('nelson');
const SHIFT = detectorBit('shift');

/** Index of each detector's score in the scores array. */
export const SCORE_INDEX = Object.fromEntries(DETECTOR_NAMES.map((n, i) => [n, i])) as Record<
  (typeof DETECTOR_NAMES)[number],
  number
>;
export const DETECTOR_COUNT = DETECTOR_NAMES.length;

/** Scale of a normal distribution's MAD and IQR relative to σ. */
const MAD_TO_SIGMA = 1.4826;
const IQR_TO_SIGMA = 1.349;

export interface KeyModelJSON {
  b: BaselineJSON;
  /** CUSUM upper and lower sums, EWMA chart statistic and its step count. */
  d: [number, number, number, number];
  /** Last value and its ts, for the rate of change. */
  r?: [number, number];
  /** Nelson z history, oldest first. */
  z?: number[];
  /** Level-shift EWMAs and the learned statistics of their difference. */
  s?: LevelShiftJSON;
}

/** σ of the EWMA chart statistic after t steps from its start (exact, not the asymptotic limit). */
export function ewmaChartSigma(sigma: number, lambda: number, t: number): number {
  return sigma * Math.sqrt((lambda / (2 - lambda)) * (1 - Math.pow(1 - lambda, 2 * t)));
}

/**
 * Everything kept for one key: its baseline and the state of the detectors that carry
 * memory (CUSUM sums, EWMA chart, Nelson history, the last value for the rate of change).
 * Scores are computed against the baseline as it was before the reading is learned.
 */
export class KeyModel {
  baseline: Baseline;
  cusumHi = 0;
  cusumLo = 0;
  /** Signed CUSUM sum at the last alarm. */
  cusumAlarm = 0;
  chartZ = 0;
  chartT = 0;
  nelson: NelsonRing | undefined;
  nelsonHits = 0;
  shift: LevelShift | undefined;
  lastValue = NaN;
  lastTs = NaN;

  constructor(readonly o: CompiledOptions, private readonly freeze: boolean) {
    this.baseline = new Baseline(o.window, o.sorted, o.ewmaAlpha);
    this.nelson = o.flags & NELSON ? new NelsonRing() : undefined;
    this.shift = o.flags & SHIFT ? new LevelShift(o.shiftShort, o.shiftLong) : undefined;
  }

  get ready(): boolean {
    return this.baseline.frozen || this.baseline.samples >= this.o.warmUp;
  }

  /** σ with the floor applied: the sensor's resolution, and a tiny relative floor against 0. */
  floor(sigma: number, level: number): number {
    const tiny = 1e-9 * (Math.abs(level) > 1 ? Math.abs(level) : 1);
    const f = this.o.minStd > tiny ? this.o.minStd : tiny;
    return sigma > f ? sigma : f;
  }

  /** Writes each enabled detector's score into `out` (others 0) and returns the maximum. */
  score(x: number, ts: number, out: Float64Array): number {
    const o = this.o;
    const flags = o.flags;
    out.fill(0);
    if (flags & LIMITS) out[SCORE_INDEX.limits] = this.limitScore(x);
    if (flags & RATE && ts > this.lastTs) {
      out[SCORE_INDEX.rate] = Math.abs(x - this.lastValue) / ((ts - this.lastTs) / 1000) / (o.rateLimit as number);
    }
    // The EWMAs follow every value, warming up or not, so the level is current when scoring starts.
    if (this.shift) this.shift.update(x);
    if (this.ready) this.scoreStatistical(x, out);
    let max = 0;
    for (let i = 0; i < DETECTOR_COUNT; i++) {
      const s = clampScore(out[i]);
      out[i] = s;
      if (s > max) max = s;
    }
    return max;
  }

  private scoreStatistical(x: number, out: Float64Array): void {
    const o = this.o;
    const flags = o.flags;
    const b = this.baseline;
    const mean = b.mean();
    const sigma = this.floor(b.std(), mean);
    const u = (x - mean) / sigma;
    if (flags & Z) out[SCORE_INDEX.zscore] = Math.abs(u) / o.zThreshold;
    if (flags & EWMA) {
      out[SCORE_INDEX.ewma] = Math.abs(x - b.ewmaMean) / this.floor(Math.sqrt(b.ewmaVar), b.ewmaMean) / o.ewmaThreshold;
    }
    if (flags & ROBUST) out[SCORE_INDEX.robust] = Math.abs(this.robustZ(x)) / o.robustThreshold;
    if (flags & IQR) out[SCORE_INDEX.iqr] = this.iqrScore(x);
    if (flags & CUSUM) {
      this.cusumHi = Math.max(0, this.cusumHi + u - o.cusumK);
      this.cusumLo = Math.max(0, this.cusumLo - u - o.cusumK);
      const s = Math.max(this.cusumHi, this.cusumLo) / o.cusumH;
      out[SCORE_INDEX.cusum] = s;
      if (s >= 1) {
        this.cusumAlarm = this.cusumHi >= this.cusumLo ? this.cusumHi : -this.cusumLo;
        this.cusumHi = 0;
        this.cusumLo = 0;
      }
    }
    if (flags & CHART) {
      if (this.chartT === 0) this.chartZ = mean;
      this.chartT++;
      this.chartZ = o.chartLambda * x + (1 - o.chartLambda) * this.chartZ;
      const sz = ewmaChartSigma(sigma, o.chartLambda, this.chartT);
      out[SCORE_INDEX.ewmaChart] = Math.abs(this.chartZ - mean) / (o.chartL * sz);
    }
    if (this.shift) out[SCORE_INDEX.shift] = this.shift.score(o.shiftThreshold, this.floor(0, mean));
    if (this.nelson) {
      this.nelsonHits = this.nelson.push(u, o.nelsonMask);
      const rule1 = o.nelsonMask & 1 ? Math.abs(u) / 3 : 0;
      out[SCORE_INDEX.nelson] = this.nelsonHits !== 0 && rule1 < 1 ? 1 : rule1;
    }
  }

  learn(x: number, ts: number, learnBaseline: boolean): void {
    if (learnBaseline) {
      if (this.shift && !this.baseline.frozen) this.shift.learn();
      this.baseline.learn(x);
      if (this.freeze && this.baseline.samples >= this.o.warmUp) this.baseline.frozen = true;
    }
    this.lastValue = x;
    this.lastTs = ts;
  }

  private limitScore(x: number): number {
    const { min, max } = this.o;
    if (min !== undefined && max !== undefined) return Math.abs(x - (min + max) / 2) / ((max - min) / 2);
    if (max !== undefined && x >= max) return 1 + (x - max) / Math.max(Math.abs(max), 1);
    if (min !== undefined && x <= min) return 1 + (min - x) / Math.max(Math.abs(min), 1);
    return 0;
  }

  private robustZ(x: number): number {
    const sorted = this.baseline.sorted;
    if (!sorted) return 0;
    const median = sorted.median();
    return (x - median) / this.floor(MAD_TO_SIGMA * sorted.mad(), median);
  }

  private iqrScore(x: number): number {
    const sorted = this.baseline.sorted;
    if (!sorted) return 0;
    const q1 = sorted.quantile(0.25);
    const q3 = sorted.quantile(0.75);
    const iqr = this.floor((q3 - q1) / IQR_TO_SIGMA, q3) * IQR_TO_SIGMA;
    if (x > q3) return (x - q3) / (this.o.iqrK * iqr);
    if (x < q1) return (q1 - x) / (this.o.iqrK * iqr);
    return 0;
  }

  /** The detectors at or above 1 with what they saw; built only for events. */
  detectorScores(scores: Float64Array, x: number, ts: number): DetectorScore[] {
    const list: DetectorScore[] = [];
    const b = this.baseline;
    for (let i = 0; i < DETECTOR_COUNT; i++) {
      if (scores[i] < 1) continue;
      const name = DETECTOR_NAMES[i];
      const entry: DetectorScore = { name, score: Math.round(scores[i] * 1e4) / 1e4 };
      switch (name) {
        case 'zscore':
        case 'nelson': {
          const mean = b.mean();
          const z = (x - mean) / this.floor(b.std(), mean);
          entry.detail = name === 'zscore' ? { z } : { z, rules: nelsonRuleList(this.nelsonHits) };
          break;
        }
        case 'ewma':
          entry.detail = { z: (x - b.ewmaMean) / this.floor(Math.sqrt(b.ewmaVar), b.ewmaMean) };
          break;
        case 'robust':
          entry.detail = { z: this.robustZ(x) };
          break;
        case 'iqr': {
          const sorted = b.sorted as SortedWindow;
          entry.detail = { q1: sorted.quantile(0.25), q3: sorted.quantile(0.75) };
          break;
        }
        case 'rate':
          entry.detail = { perSecond: (x - this.lastValue) / ((ts - this.lastTs) / 1000) };
          break;
        case 'cusum':
          entry.detail = { sum: this.cusumAlarm };
          break;
        case 'ewmaChart':
          entry.detail = { ewma: this.chartZ };
          break;
        case 'shift': {
          const shift = this.shift as LevelShift;
          entry.detail = { short: shift.shortMean, long: shift.longMean };
          break;
        }
      }
      list.push(entry);
    }
    return list;
  }

  /** The normal range at the threshold of the first enabled baseline detector, within the hard limits. */
  expected(): ExpectedRange | undefined {
    const o = this.o;
    const b = this.baseline;
    let low = -Infinity;
    let high = Infinity;
    if (this.ready) {
      let center = b.mean();
      let half = o.zThreshold * this.floor(b.std(), center);
      if (!(o.flags & Z) && o.flags & EWMA) {
        center = b.ewmaMean;
        half = o.ewmaThreshold * this.floor(Math.sqrt(b.ewmaVar), center);
      } else if (!(o.flags & (Z | EWMA)) && o.flags & (ROBUST | IQR) && b.sorted) {
        center = b.sorted.median();
        half = o.robustThreshold * this.floor(MAD_TO_SIGMA * b.sorted.mad(), center);
      }
      low = center - half;
      high = center + half;
    }
    if (o.min !== undefined && o.min > low) low = o.min;
    if (o.max !== undefined && o.max < high) high = o.max;
    if (!Number.isFinite(low) || !Number.isFinite(high)) return undefined;
    return { low: round(low), high: round(high) };
  }

  toJSON(): KeyModelJSON {
    const json: KeyModelJSON = { b: this.baseline.toJSON(), d: [this.cusumHi, this.cusumLo, this.chartZ, this.chartT] };
    if (Number.isFinite(this.lastTs)) json.r = [this.lastValue, this.lastTs];
    if (this.nelson && this.nelson.count > 0) json.z = this.nelson.toArray();
    if (this.shift) json.s = this.shift.toJSON();
    return json;
  }

  /** Restores stored state into this (fresh) model; false when the stored form is not usable. */
  restore(json: unknown): boolean {
    if (typeof json !== 'object' || json === null) return false;
    const j = json as Partial<KeyModelJSON>;
    const baseline = Baseline.fromJSON(j.b, this.o.window, this.o.sorted, this.o.ewmaAlpha);
    if (!baseline || !Array.isArray(j.d) || j.d.length !== 4 || !j.d.every(Number.isFinite)) return false;
    this.baseline = baseline;
    [this.cusumHi, this.cusumLo, this.chartZ, this.chartT] = j.d;
    if (Array.isArray(j.r) && j.r.length === 2 && j.r.every(Number.isFinite)) [this.lastValue, this.lastTs] = j.r;
    if (this.nelson && Array.isArray(j.z)) for (const z of j.z) if (Number.isFinite(z)) this.nelson.push(z, 0);
    if (this.shift && j.s !== undefined) this.shift.restore(j.s);
    return true;
  }
}

/** Expected ranges are for people; six significant digits are enough. */
function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}
