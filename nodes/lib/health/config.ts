/**
 * Options of the health score and their validation from the editor's strings.
 */
import { PdmError } from '../errors';
import { MACHINE_CLASSES, type IsoZone, type MachineClass } from '../vibration/iso10816';
import type { TrendModel } from './trend';

export interface StatusThresholds {
  /** Enter 'attention' below, leave above `attentionLeave`. */
  attentionEnter: number;
  attentionLeave: number;
  criticalEnter: number;
  criticalLeave: number;
}

export interface HealthOptions {
  /** Sensor whose values (readings, or the chosen feature of window statistics) are the degradation indicator. */
  indicatorSensor: string;
  /** Window-statistics feature used for the indicator, e.g. 'rms'. */
  indicatorFeature: string;
  /** Indicator value at which the asset counts as failed. */
  failureThreshold: number;
  /** Indicator value of a healthy asset; undefined = the first value seen. */
  baseline?: number;
  trendModel: TrendModel;
  /** Points of the indicator kept and fitted. */
  trendPoints: number;
  minTrendPoints: number;
  confidence: number;
  /** Readings of this sensor are broadband velocity RMS in mm/s, like spectrum's velocityRms feature. */
  velocitySensor: string;
  machineClass: MachineClass;
  anomalyHalfLifeMs: number;
  /** Anomaly score (1 = at threshold) that takes the whole anomaly weight. */
  anomalySaturation: number;
  anomalyWeight: number;
  degradationWeight: number;
  zonePenalty: Readonly<Record<IsoZone, number>>;
  status: StatusThresholds;
  /** RUL at or beyond which the RUL part of the urgency is 0. */
  urgencyHorizonHours: number;
  /** Emit on every input instead of only on a change of ≥ minChange points or of status. */
  emitEvery: boolean;
  minChange: number;
  maxAssets: number;
}

export const DEFAULT_HEALTH_OPTIONS: HealthOptions = {
  indicatorSensor: 'vibration',
  indicatorFeature: 'rms',
  failureThreshold: 11.2,
  trendModel: 'exponential',
  trendPoints: 60,
  minTrendPoints: 10,
  confidence: 0.9,
  velocitySensor: 'velocityRms',
  machineClass: 'III',
  anomalyHalfLifeMs: 3_600_000,
  anomalySaturation: 5,
  anomalyWeight: 30,
  degradationWeight: 60,
  zonePenalty: { A: 0, B: 10, C: 30, D: 60 },
  status: { attentionEnter: 70, attentionLeave: 75, criticalEnter: 40, criticalLeave: 45 },
  urgencyHorizonHours: 720,
  emitEvery: false,
  minChange: 1,
  maxAssets: 10_000,
};

/** The node's editor fields (strings or numbers as the editor stores them). */
export interface HealthScoreConfig {
  indicatorSensor?: string;
  indicatorFeature?: string;
  failureThreshold?: string | number;
  baseline?: string | number;
  trendModel?: string;
  trendPoints?: string | number;
  minTrendPoints?: string | number;
  confidence?: string | number;
  velocitySensor?: string;
  machineClass?: string;
  anomalyHalfLife?: string | number;
  anomalySaturation?: string | number;
  anomalyWeight?: string | number;
  degradationWeight?: string | number;
  zonePenalties?: string;
  attentionEnter?: string | number;
  attentionLeave?: string | number;
  criticalEnter?: string | number;
  criticalLeave?: string | number;
  urgencyHorizon?: string | number;
  emitEvery?: boolean;
  persistInterval?: string | number;
}

function num(value: string | number | undefined, fallback: number, name: string, min = -Infinity, max = Infinity): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new PdmError('INVALID_CONFIG', `${name} must be a number in [${min}, ${max}], got ${String(value)}`);
  return n;
}

/** Options from the editor fields; half-life in hours, urgency horizon in hours. */
export function healthOptionsFromConfig(c: HealthScoreConfig): HealthOptions {
  const d = DEFAULT_HEALTH_OPTIONS;
  const machineClass = (c.machineClass || d.machineClass) as MachineClass;
  if (!MACHINE_CLASSES.includes(machineClass)) throw new PdmError('INVALID_CONFIG', `machine class must be I, II, III or IV, got ${machineClass}`);
  const trendModel = (c.trendModel || d.trendModel) as TrendModel;
  if (trendModel !== 'linear' && trendModel !== 'exponential') throw new PdmError('INVALID_CONFIG', `trend model must be linear or exponential, got ${trendModel}`);
  const penalties = (c.zonePenalties || '0,10,30,60').split(',').map((p, i) => num(p.trim(), 0, `zone penalty ${i + 1}`, 0, 100));
  if (penalties.length !== 4) throw new PdmError('INVALID_CONFIG', 'zone penalties are four numbers for zones A, B, C, D');
  const status: StatusThresholds = {
    attentionEnter: num(c.attentionEnter, d.status.attentionEnter, 'attention enter', 0, 100),
    attentionLeave: num(c.attentionLeave, d.status.attentionLeave, 'attention leave', 0, 100),
    criticalEnter: num(c.criticalEnter, d.status.criticalEnter, 'critical enter', 0, 100),
    criticalLeave: num(c.criticalLeave, d.status.criticalLeave, 'critical leave', 0, 100),
  };
  if (!(status.criticalEnter <= status.criticalLeave && status.criticalLeave <= status.attentionEnter && status.attentionEnter <= status.attentionLeave)) {
    throw new PdmError('INVALID_CONFIG', 'status thresholds must satisfy critical enter ≤ critical leave ≤ attention enter ≤ attention leave');
  }
  const trendPoints = Math.round(num(c.trendPoints, d.trendPoints, 'trend points', 3, 100_000));
  const baseline = c.baseline === undefined || c.baseline === '' ? undefined : num(c.baseline, 0, 'baseline');
  const failureThreshold = num(c.failureThreshold, d.failureThreshold, 'failure threshold');
  if (baseline !== undefined && baseline >= failureThreshold) throw new PdmError('INVALID_CONFIG', 'the baseline must be below the failure threshold');
  return {
    indicatorSensor: (c.indicatorSensor ?? '').trim() || d.indicatorSensor,
    indicatorFeature: (c.indicatorFeature ?? '').trim() || d.indicatorFeature,
    failureThreshold,
    baseline,
    trendModel,
    trendPoints,
    minTrendPoints: Math.min(trendPoints, Math.round(num(c.minTrendPoints, d.minTrendPoints, 'minimum trend points', 3))),
    confidence: num(c.confidence, d.confidence, 'confidence', 0.5, 0.999),
    velocitySensor: (c.velocitySensor ?? '').trim() || d.velocitySensor,
    machineClass,
    anomalyHalfLifeMs: num(c.anomalyHalfLife, d.anomalyHalfLifeMs / 3_600_000, 'anomaly half-life', 1e-6) * 3_600_000,
    anomalySaturation: num(c.anomalySaturation, d.anomalySaturation, 'anomaly saturation', 1e-6),
    anomalyWeight: num(c.anomalyWeight, d.anomalyWeight, 'anomaly weight', 0, 100),
    degradationWeight: num(c.degradationWeight, d.degradationWeight, 'degradation weight', 0, 100),
    zonePenalty: { A: penalties[0], B: penalties[1], C: penalties[2], D: penalties[3] },
    status,
    urgencyHorizonHours: num(c.urgencyHorizon, d.urgencyHorizonHours, 'urgency horizon', 1e-6),
    emitEvery: c.emitEvery === true,
    minChange: d.minChange,
    maxAssets: d.maxAssets,
  };
}
