import type { ErrorCode, Rejection } from '../errors';
import { isRecord, validateReading, parseTopic, type Reading } from '../reading';
import { isWindowStats, type WindowStats } from '../stats/types';
import type { AnomalyDetector } from './detector';
import type { AnomalyEvent, AnomalyMeta } from './events';
import type { MultivariateDetector } from './multivariate-detector';

export interface Emission {
  /** A multivariate event's value is the record of its sensors' values. */
  event: AnomalyEvent<number | Record<string, number>>;
  meta: AnomalyMeta;
}

export interface RejectedItem {
  /** Position in the batch (0 for a single payload). */
  index: number;
  code: ErrorCode;
  reason: string;
}

/** What one msg.payload gave. */
export interface DetectionResult {
  batch: boolean;
  events: Emission[];
  /** Input items (readings or window statistics) that produced no event, in input order. */
  passed: (Reading | WindowStats)[];
  /** Score of each passed item (for window statistics, the largest over its features). */
  scores: number[];
  /** Details of the last passed item: what a single-reading msg reports. */
  key: string;
  firing: boolean;
  warmingUp: boolean;
  rejected: RejectedItem[];
  /** Number of rejected items (the list keeps the first MAX_REJECTED_LISTED). */
  rejectedCount: number;
}

export const MAX_REJECTED_LISTED = 100;

export interface PayloadOptions {
  /** Window features scored for window-statistics input. */
  features: readonly string[];
  /** Largest batch accepted. */
  maxBatch: number;
  /** Also assembles the readings into per-asset vectors and scores them. */
  multivariate?: MultivariateDetector;
}

/**
 * Runs a msg.payload through the detector: a Reading, a Reading[], a bare number with
 * msg.topic "asset/sensor", a WindowStats or a WindowStats[]. Bad items are skipped and
 * listed; the good ones are scored. Readings (not window statistics) also feed the multivariate
 * detector when there is one; its events are added to the reading's.
 */
export function detectPayload(
  detector: AnomalyDetector,
  payload: unknown,
  topic: unknown,
  options: PayloadOptions,
): DetectionResult {
  const batch = Array.isArray(payload);
  const items: unknown[] = batch ? payload : [payload];
  const result: DetectionResult = {
    batch, events: [], passed: [], scores: [], key: '', firing: false, warmingUp: false, rejected: [], rejectedCount: 0,
  };
  if (items.length > options.maxBatch) {
    reject(result, 0, 'PAYLOAD_TOO_LARGE', `a batch of ${items.length} exceeds the limit of ${options.maxBatch}`);
    return result;
  }
  const key = batch ? undefined : parseTopic(topic);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (isWindowStats(item)) scoreStats(detector, item, i, options.features, result);
    else scoreReading(detector, item, i, key, result, options.multivariate);
  }
  return result;
}

function scoreReading(
  detector: AnomalyDetector,
  item: unknown,
  index: number,
  key: ReturnType<typeof parseTopic>,
  result: DetectionResult,
  multivariate: MultivariateDetector | undefined,
): void {
  const checked = validateReading(item, key);
  if (!checked.ok) {
    reject(result, index, checked.error.code, checked.error.reason);
    return;
  }
  const r = checked.reading;
  if (multivariate) scoreVector(multivariate, r, index, result);
  const outcome = detector.process(r.asset, r.sensor, r.value, r.ts);
  if (!outcome.ok) {
    const error = outcome.error as Rejection;
    reject(result, index, error.code, error.reason);
    return;
  }
  if (outcome.event && outcome.state) {
    result.events.push({ event: outcome.event, meta: { key: outcome.key, state: outcome.state } });
    return;
  }
  // a bare number became a new reading; pass on what came in otherwise
  result.passed.push(isRecord(item) ? (item as unknown as Reading) : r);
  result.scores.push(outcome.score);
  result.key = outcome.key;
  result.firing = outcome.firing;
  result.warmingUp = outcome.warmingUp;
}

function scoreStats(
  detector: AnomalyDetector,
  stats: WindowStats,
  index: number,
  features: readonly string[],
  result: DetectionResult,
): void {
  let best = -1;
  let hadEvent = false;
  let scored = false;
  for (const feature of features) {
    const value = (stats as unknown as Record<string, unknown>)[feature];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      reject(result, index, 'NOT_A_NUMBER', `window feature "${feature}" of ${stats.asset}/${stats.sensor} is not a finite number`);
      continue;
    }
    const outcome = detector.process(stats.asset, stats.sensor, value, stats.end, feature);
    if (!outcome.ok) {
      const error = outcome.error as Rejection;
      reject(result, index, error.code, error.reason);
      continue;
    }
    scored = true;
    if (outcome.event && outcome.state) {
      hadEvent = true;
      result.events.push({ event: outcome.event, meta: { key: outcome.key, state: outcome.state } });
    }
    if (outcome.score > best) {
      best = outcome.score;
      result.key = outcome.key;
      result.firing = outcome.firing;
      result.warmingUp = outcome.warmingUp;
    }
  }
  if (scored && !hadEvent) {
    result.passed.push(stats);
    result.scores.push(best);
  }
}

function scoreVector(multivariate: MultivariateDetector, reading: Reading, index: number, result: DetectionResult): void {
  const outcome = multivariate.push(reading);
  if (outcome.error) reject(result, index, outcome.error.code, outcome.error.reason);
  else if (outcome.event && outcome.state) result.events.push({ event: outcome.event, meta: { key: outcome.key, state: outcome.state } });
}

function reject(result: DetectionResult, index: number, code: ErrorCode, reason: string): void {
  result.rejectedCount++;
  if (result.rejected.length < MAX_REJECTED_LISTED) result.rejected.push({ index, code, reason });
}
