/**
 * Per-asset health: 100 minus penalties for the recent anomaly score (decaying with a
 * half-life), the ISO 10816 zone of the vibration velocity and the progress of the
 * degradation indicator toward its failure threshold; an urgency 0–1, a predicted failure
 * date from the indicator's trend, and a status with hysteresis. Pure: times are event times,
 * with the injected clock for inputs that carry none.
 */
import { PdmError } from '../errors';
import { isoZone, type IsoZone } from '../vibration/iso10816';
import type { HealthOptions } from './config';
import { nextStatus, type HealthStatus } from './status';
import { fitTrend, type FailurePrediction, type TrendState } from './trend';

export interface HealthReport {
  asset: string;
  ts: number;
  health: number;
  urgency: number;
  status: HealthStatus;
  predictedFailure: FailurePrediction | null;
  /** Health points taken by each part. */
  contributors: { anomaly: number; vibrationZone: number; degradation: number };
  indicator: { name: string; value: number | null; threshold: number; slope: number; trend: TrendState };
  zone: IsoZone | null;
}

interface AssetState {
  ts: number;
  anomalyScore: number;
  anomalyTs: number;
  zone: IsoZone | null;
  baseline: number | undefined;
  /** Ring of indicator points, oldest at `start`. */
  times: number[];
  values: number[];
  start: number;
  status: HealthStatus;
  emittedHealth: number;
  emittedStatus: HealthStatus | null;
  dirty: boolean;
}

/** The persisted form of one asset. */
export interface SavedAsset {
  ts: number;
  anomalyScore: number;
  anomalyTs: number;
  zone: IsoZone | null;
  baseline: number | null;
  times: number[];
  values: number[];
  status: HealthStatus;
}

const ZONES: readonly string[] = ['A', 'B', 'C', 'D'];
const STATUSES: readonly string[] = ['healthy', 'attention', 'critical'];

export class HealthTracker {
  private readonly assets = new Map<string, AssetState>();
  /** Assets changed since the last reports(), so a message costs its own assets, not all of them. */
  private readonly touched: Array<[string, AssetState]> = [];
  private readonly orderedTimes: number[] = [];
  private readonly orderedValues: number[] = [];

  constructor(readonly options: HealthOptions, private readonly now: () => number = Date.now) {}

  get assetCount(): number {
    return this.assets.size;
  }

  /** Records an anomaly score (1 = at the detector's threshold); the asset keeps the larger of it and its decayed level. */
  anomaly(asset: string, score: number, ts: number = this.now()): void {
    if (!Number.isFinite(score) || score < 0) throw new PdmError('NON_FINITE', `anomaly score must be a finite number ≥ 0, got ${score}`);
    const s = this.state(asset, ts);
    const decayed = this.decayed(s, ts);
    if (score >= decayed) {
      s.anomalyScore = score;
      s.anomalyTs = ts;
    }
  }

  /** Records a broadband velocity RMS in mm/s. */
  velocity(asset: string, velocityRms: number, ts: number = this.now()): void {
    if (!Number.isFinite(velocityRms) || velocityRms < 0) throw new PdmError('NON_FINITE', `velocityRms must be a finite number ≥ 0, got ${velocityRms}`);
    this.state(asset, ts).zone = isoZone(velocityRms, this.options.machineClass);
  }

  /** Records a value of the degradation indicator. */
  indicator(asset: string, value: number, ts: number = this.now()): void {
    if (!Number.isFinite(value)) throw new PdmError('NON_FINITE', `indicator value must be finite, got ${value}`);
    const s = this.state(asset, ts);
    if (s.baseline === undefined) s.baseline = this.options.baseline ?? value;
    const cap = this.options.trendPoints;
    if (s.times.length < cap) {
      s.times.push(ts);
      s.values.push(value);
    } else {
      s.times[s.start] = ts;
      s.values[s.start] = value;
      s.start = (s.start + 1) % cap;
    }
  }

  /** Reports of the assets touched since the last call that are due (changed enough, or every one when emitEvery). */
  reports(): HealthReport[] {
    const out: HealthReport[] = [];
    for (const [asset, s] of this.touched) {
      s.dirty = false;
      const report = this.assess(asset, s);
      const due = this.options.emitEvery || s.emittedStatus !== report.status ||
        Math.abs(report.health - s.emittedHealth) >= this.options.minChange;
      if (!due) continue;
      s.emittedHealth = report.health;
      s.emittedStatus = report.status;
      out.push(report);
    }
    this.touched.length = 0;
    return out;
  }

  /** The current report of one asset, without marking it emitted. */
  report(asset: string): HealthReport | undefined {
    const s = this.assets.get(asset);
    return s && this.assess(asset, s, false);
  }

  persist(): Record<string, SavedAsset> {
    const saved: Record<string, SavedAsset> = {};
    for (const [asset, s] of this.assets) {
      this.ordered(s);
      saved[asset] = {
        ts: s.ts, anomalyScore: s.anomalyScore, anomalyTs: s.anomalyTs, zone: s.zone, baseline: s.baseline ?? null,
        times: this.orderedTimes.slice(), values: this.orderedValues.slice(), status: s.status,
      };
    }
    return saved;
  }

  /** Restores persisted assets; entries of the wrong shape are skipped. Returns how many were restored. */
  restore(saved: unknown): number {
    if (typeof saved !== 'object' || saved === null) return 0;
    let restored = 0;
    for (const [asset, value] of Object.entries(saved as Record<string, unknown>)) {
      if (!isSavedAsset(value) || this.assets.size >= this.options.maxAssets) continue;
      const keep = Math.min(value.times.length, this.options.trendPoints);
      const from = value.times.length - keep;
      this.assets.set(asset, {
        ts: value.ts, anomalyScore: value.anomalyScore, anomalyTs: value.anomalyTs, zone: value.zone,
        baseline: value.baseline ?? undefined, times: value.times.slice(from), values: value.values.slice(from), start: 0,
        status: value.status, emittedHealth: NaN, emittedStatus: null, dirty: false,
      });
      restored++;
    }
    return restored;
  }

  private state(asset: string, ts: number): AssetState {
    if (!Number.isFinite(ts)) throw new PdmError('BAD_TIMESTAMP', `ts must be epoch milliseconds, got ${ts}`);
    let s = this.assets.get(asset);
    if (s === undefined) {
      if (this.assets.size >= this.options.maxAssets) throw new PdmError('KEY_LIMIT', `more than ${this.options.maxAssets} assets`);
      s = {
        ts, anomalyScore: 0, anomalyTs: ts, zone: null, baseline: undefined, times: [], values: [], start: 0,
        status: 'healthy', emittedHealth: NaN, emittedStatus: null, dirty: false,
      };
      this.assets.set(asset, s);
    }
    if (ts > s.ts) s.ts = ts;
    if (!s.dirty) {
      s.dirty = true;
      this.touched.push([asset, s]);
    }
    return s;
  }

  private decayed(s: AssetState, ts: number): number {
    const age = Math.max(0, ts - s.anomalyTs);
    return s.anomalyScore * Math.pow(0.5, age / this.options.anomalyHalfLifeMs);
  }

  /** Copies the ring into time order in the shared scratch arrays. */
  private ordered(s: AssetState): number {
    const n = s.times.length;
    this.orderedTimes.length = n;
    this.orderedValues.length = n;
    for (let i = 0; i < n; i++) {
      const j = (s.start + i) % n;
      this.orderedTimes[i] = s.times[j];
      this.orderedValues[i] = s.values[j];
    }
    return n;
  }

  private assess(asset: string, s: AssetState, advance = true): HealthReport {
    const o = this.options;
    const anomaly = o.anomalyWeight * Math.min(1, this.decayed(s, s.ts) / o.anomalySaturation);
    const vibrationZone = s.zone === null ? 0 : o.zonePenalty[s.zone];
    const n = this.ordered(s);
    const value = n > 0 ? this.orderedValues[n - 1] : null;
    let progress = 0;
    if (value !== null && s.baseline !== undefined && o.failureThreshold > s.baseline) {
      progress = Math.min(1, Math.max(0, (value - s.baseline) / (o.failureThreshold - s.baseline)));
    }
    const degradation = o.degradationWeight * progress;
    const health = round1(Math.max(0, Math.min(100, 100 - anomaly - vibrationZone - degradation)));
    const trend = fitTrend(this.orderedTimes, this.orderedValues, n, {
      model: o.trendModel, threshold: o.failureThreshold, confidence: o.confidence, minPoints: o.minTrendPoints,
    });
    const status = nextStatus(s.status, health, o.status);
    if (advance) s.status = status;
    const rulUrgency = trend.prediction ? Math.max(0, 1 - trend.prediction.rulHours / o.urgencyHorizonHours) : 0;
    const failed = trend.state === 'past-threshold' ? 1 : 0;
    return {
      asset,
      ts: s.ts,
      health,
      urgency: round3(Math.max(1 - health / 100, rulUrgency, failed)),
      status,
      predictedFailure: trend.prediction && { ...trend.prediction, rulHours: round3(trend.prediction.rulHours) },
      contributors: { anomaly: round1(anomaly), vibrationZone, degradation: round1(degradation) },
      indicator: { name: `${o.indicatorSensor}.${o.indicatorFeature}`, value, threshold: o.failureThreshold, slope: trend.slope, trend: trend.state },
      zone: s.zone,
    };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function isSavedAsset(v: unknown): v is SavedAsset {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.ts === 'number' && typeof s.anomalyScore === 'number' && typeof s.anomalyTs === 'number' &&
    (s.zone === null || ZONES.includes(s.zone as string)) && (s.baseline === null || typeof s.baseline === 'number') &&
    Array.isArray(s.times) && Array.isArray(s.values) && s.times.length === s.values.length &&
    s.times.every((t) => typeof t === 'number') && s.values.every((x) => typeof x === 'number') && STATUSES.includes(s.status as string);
}
