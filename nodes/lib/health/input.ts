/**
 * Feeds a message into the tracker: anomaly events and scores from anomaly-detect, window
 * statistics (the indicator feature; velocityRms of spectrum features), plain readings of the
 * indicator or velocity sensor. Items of other sensors are ignored.
 */
import { PdmError } from '../errors';
import { describeType, isRecord } from '../reading';
import type { HealthTracker } from './tracker';

export interface FeedResult {
  /** Items that changed an asset. */
  used: number;
  /** Bad items; the first error is kept. */
  bad: number;
  error?: PdmError;
}

const MAX_BATCH = 100_000;

/** Feeds msg.payload (one item or an array) with msg.anomaly's scores into the tracker. */
export function feed(tracker: HealthTracker, payload: unknown, anomaly: unknown): FeedResult {
  const result: FeedResult = { used: 0, bad: 0 };
  const meta = isRecord(anomaly) ? anomaly : undefined;
  if (Array.isArray(payload)) {
    if (payload.length > MAX_BATCH) {
      return { used: 0, bad: 1, error: new PdmError('PAYLOAD_TOO_LARGE', `a batch holds at most ${MAX_BATCH} items, got ${payload.length}`) };
    }
    const scores = meta && Array.isArray(meta.scores) && meta.scores.length === payload.length ? (meta.scores as unknown[]) : undefined;
    for (let i = 0; i < payload.length; i++) feedOne(tracker, payload[i], scores?.[i], result, i);
    return result;
  }
  feedOne(tracker, payload, meta?.score, result, -1);
  return result;
}

function feedOne(tracker: HealthTracker, item: unknown, score: unknown, result: FeedResult, index: number): void {
  try {
    if (feedItem(tracker, item, score)) result.used++;
  } catch (err) {
    result.bad++;
    if (result.error === undefined) {
      const e = err instanceof PdmError ? err : new PdmError('INVALID_PAYLOAD', String(err), { cause: err });
      result.error = index < 0 ? e : new PdmError(e.code, `item ${index}: ${e.message}`, { cause: e });
    }
  }
}

function feedItem(tracker: HealthTracker, item: unknown, score: unknown): boolean {
  if (!isRecord(item) || typeof item.asset !== 'string' || item.asset === '') {
    throw new PdmError('INVALID_PAYLOAD', `msg.payload must be an anomaly event, window statistics or a reading with an asset, got ${describeType(item)}`);
  }
  const asset = item.asset;
  const o = tracker.options;
  const isStats = typeof item.end === 'number' && typeof item.start === 'number';
  const ts = isStats ? (item.end as number) : item.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new PdmError('BAD_TIMESTAMP', `${isStats ? 'end' : 'ts'} must be epoch milliseconds, got ${describeType(ts)}`);
  let used = false;

  // An anomaly event carries its score and severity; a normal pass carries msg.anomaly.score.
  if (typeof item.severity === 'string' && 'score' in item) {
    tracker.anomaly(asset, number(item.score, 'score'), ts);
    return true;
  }
  if (score !== undefined) {
    tracker.anomaly(asset, number(score, 'msg.anomaly.score'), ts);
    used = true;
  }
  if (isStats) {
    if (item.velocityRms !== undefined) {
      tracker.velocity(asset, number(item.velocityRms, 'velocityRms'), ts);
      used = true;
    }
    if (item.sensor === o.indicatorSensor) {
      tracker.indicator(asset, number(item[o.indicatorFeature], o.indicatorFeature), ts);
      used = true;
    }
    return used;
  }
  if (item.sensor === o.velocitySensor) {
    tracker.velocity(asset, number(item.value, 'value'), ts);
    return true;
  }
  if (item.sensor === o.indicatorSensor) {
    tracker.indicator(asset, number(item.value, 'value'), ts);
    return true;
  }
  if (!used && typeof item.sensor !== 'string') throw new PdmError('MISSING_FIELD', 'a reading needs a sensor');
  return used;
}

function number(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new PdmError(value === undefined ? 'MISSING_FIELD' : 'NOT_A_NUMBER', `${name} must be a number, got ${describeType(value)}`);
  if (!Number.isFinite(value)) throw new PdmError('NON_FINITE', `${name} must be finite, got ${value}`);
  return value;
}
