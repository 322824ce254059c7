/**
 * Anomaly events and severities, shared by every scorer (univariate detectors, the
 * multivariate model): a scorer produces a score where 1 = at its threshold, and this module
 * turns it into the event that leaves the node.
 */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Score at which each severity starts. */
export interface SeverityThresholds {
  low: number;
  medium: number;
  high: number;
  critical: number;
}

export const DEFAULT_SEVERITIES: SeverityThresholds = { low: 1, medium: 2, high: 3, critical: 5 };

/** 0 low … 3 critical; −1 below `low` (normal). */
export function severityRank(score: number, t: SeverityThresholds): number {
  if (score >= t.critical) return 3;
  if (score >= t.high) return 2;
  if (score >= t.medium) return 1;
  if (score >= t.low) return 0;
  return -1;
}

/** The severity of a score, floored at 'low' (a resolved event reports its episode's peak). */
export function severityOf(score: number, t: SeverityThresholds): Severity {
  return SEVERITIES[Math.max(0, severityRank(score, t))];
}

export type DetectorDetail = Record<string, number | number[]>;

export interface DetectorScore {
  name: string;
  score: number;
  detail?: DetectorDetail;
}

/** The normal range at the threshold, from the baseline. */
export interface ExpectedRange {
  low: number;
  high: number;
}

export type AlertState = 'firing' | 'resolved';

/** msg.payload of an event. `V` is a number for one sensor, a record of values for a vector. */
export interface AnomalyEvent<V = number> {
  asset: string;
  sensor: string;
  /** The window feature scored, for window-statistics input. */
  feature?: string;
  ts: number;
  value: V;
  /** 1 = at threshold. For 'resolved', the score of the reading that resolved it. */
  score: number;
  /** For 'resolved', the peak severity of the episode. */
  severity: Severity;
  /** Detectors at or over their threshold (empty for 'resolved'). */
  detectors: DetectorScore[];
  expected?: ExpectedRange;
  /** Multivariate events: configured sensors the model leaves out (they drifted during training). */
  excluded?: string[];
}

/** msg.anomaly of an event. */
export interface AnomalyMeta {
  key: string;
  state: AlertState;
}

export interface EventSource<V = number> {
  asset: string;
  sensor: string;
  feature?: string;
  ts: number;
  value: V;
}

/** Largest score reported: JSON has no Infinity, and a flat baseline can divide by its σ floor. */
export const MAX_SCORE = 1e6;

export function clampScore(score: number): number {
  if (score > MAX_SCORE) return MAX_SCORE;
  return score >= 0 ? score : 0;
}

export function makeEvent<V>(
  source: EventSource<V>,
  score: number,
  severity: Severity,
  detectors: DetectorScore[],
  expected?: ExpectedRange,
): AnomalyEvent<V> {
  const event: AnomalyEvent<V> = {
    asset: source.asset,
    sensor: source.sensor,
    ts: source.ts,
    value: source.value,
    score: roundScore(score),
    severity,
    detectors,
  };
  if (source.feature !== undefined) event.feature = source.feature;
  if (expected) event.expected = expected;
  return event;
}

/** Four significant decimals are plenty for a score and keep events readable. */
export function roundScore(score: number): number {
  return Math.round(score * 1e4) / 1e4;
}
