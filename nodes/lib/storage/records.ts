import { rejection, type Rejection } from '../errors';
import { isRecord, parseTopic, validateReading, type Reading, type TopicKey } from '../reading';
import { isWindowStats, type WindowStats } from '../stats/types';
import type { Batch, Cell } from './batch';
import type { BatchWriter } from './writer';

/**
 * Which table a message's items belong to, and their rows: readings → readings, window
 * statistics → features, anomaly events (msg.anomaly, or items with a score and a severity) →
 * anomalies. Text holding NUL is refused here, as PostgreSQL cannot store it.
 */
export interface AnomalyRow {
  event: Record<string, unknown>;
  state: string;
}

export interface StoreOutcome {
  accepted: number;
  rejected: number;
  /** The first rejection, for the error a Catch node receives. */
  firstRejection: Rejection | undefined;
}

function col(batch: Batch, index: number): Cell[] {
  return batch.columns[index];
}

export function pushReading(batch: Batch, r: Reading): void {
  col(batch, 0).push(r.ts);
  col(batch, 1).push(r.asset);
  col(batch, 2).push(r.sensor);
  col(batch, 3).push(r.value);
  col(batch, 4).push(r.quality ?? null);
  col(batch, 5).push(r.unit ?? null);
}

export function pushFeature(batch: Batch, w: WindowStats): void {
  col(batch, 0).push(w.start);
  col(batch, 1).push(w.end);
  col(batch, 2).push(w.asset);
  col(batch, 3).push(w.sensor);
  col(batch, 4).push(w.count);
  col(batch, 5).push(finiteOrNull(w.mean));
  col(batch, 6).push(finiteOrNull(w.std));
  col(batch, 7).push(finiteOrNull(w.min));
  col(batch, 8).push(finiteOrNull(w.max));
  col(batch, 9).push(JSON.stringify(w));
}

export function pushAnomaly(batch: Batch, a: AnomalyRow): void {
  const e = a.event;
  col(batch, 0).push(e.ts as number);
  col(batch, 1).push(e.asset as string);
  col(batch, 2).push(e.sensor as string);
  col(batch, 3).push(typeof e.feature === 'string' ? e.feature : '');
  col(batch, 4).push(a.state);
  col(batch, 5).push(e.severity as string);
  col(batch, 6).push(e.score as number);
  col(batch, 7).push(typeof e.value === 'number' && Number.isFinite(e.value) ? e.value : null);
  col(batch, 8).push(JSON.stringify(e));
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

function hasNul(text: string | undefined): boolean {
  return text !== undefined && text.indexOf('\0') >= 0;
}

export function isAnomalyEvent(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value.score === 'number' && typeof value.severity === 'string';
}

function checkAnomaly(e: Record<string, unknown>): Rejection | undefined {
  if (typeof e.asset !== 'string' || e.asset === '' || typeof e.sensor !== 'string' || e.sensor === '') {
    return rejection('MISSING_FIELD', 'an anomaly event needs asset and sensor');
  }
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) return rejection('BAD_TIMESTAMP', 'an anomaly event needs ts in epoch ms');
  if (typeof e.score !== 'number' || !Number.isFinite(e.score)) return rejection('NON_FINITE', 'an anomaly score must be finite');
  if (hasNul(e.asset) || hasNul(e.sensor) || hasNul(e.severity as string) || (typeof e.feature === 'string' && hasNul(e.feature))) {
    return rejection('INVALID_PAYLOAD', 'text must not contain NUL characters');
  }
  return undefined;
}

function checkFeature(w: WindowStats): Rejection | undefined {
  if (w.asset === '' || w.sensor === '') return rejection('MISSING_FIELD', 'window statistics need asset and sensor');
  if (!Number.isFinite(w.start) || !Number.isFinite(w.end)) return rejection('BAD_TIMESTAMP', 'window start and end must be epoch ms');
  if (!Number.isInteger(w.count) || w.count < 0 || w.count > 2_147_483_647) return rejection('OUT_OF_RANGE', 'window count must be a non-negative integer');
  if (hasNul(w.asset) || hasNul(w.sensor)) return rejection('INVALID_PAYLOAD', 'text must not contain NUL characters');
  return undefined;
}

/** The state of the i-th anomaly event from msg.anomaly ({state} or {events: [{state}]}). */
function anomalyState(meta: unknown, index: number): string {
  if (!isRecord(meta)) return 'firing';
  if (Array.isArray(meta.events)) {
    const item: unknown = meta.events[index];
    if (isRecord(item) && typeof item.state === 'string') return item.state;
  }
  return typeof meta.state === 'string' ? meta.state : 'firing';
}

/** Adds one item to the writer; the reason when it is refused. */
function storeItem(writer: BatchWriter, item: unknown, index: number, topic: TopicKey | undefined, anomalyMeta: unknown): Rejection | undefined {
  if (anomalyMeta !== undefined || isAnomalyEvent(item)) {
    if (!isAnomalyEvent(item)) return rejection('INVALID_PAYLOAD', 'an anomaly event needs a numeric score and a severity');
    const problem = checkAnomaly(item);
    if (problem) return problem;
    writer.add('anomalies', pushAnomaly, { event: item, state: anomalyState(anomalyMeta, index) });
    return undefined;
  }
  if (isWindowStats(item)) {
    const problem = checkFeature(item);
    if (problem) return problem;
    writer.add('features', pushFeature, item);
    return undefined;
  }
  const result = validateReading(item, topic);
  if (!result.ok) return result.error;
  const r = result.reading;
  if (hasNul(r.asset) || hasNul(r.sensor) || hasNul(r.unit)) return rejection('INVALID_PAYLOAD', 'text must not contain NUL characters');
  writer.add('readings', pushReading, r);
  return undefined;
}

/** Adds every storable item of a payload (one item or an array) to the writer. */
export function storePayload(writer: BatchWriter, payload: unknown, topic: unknown, anomalyMeta: unknown): StoreOutcome {
  const key = parseTopic(topic);
  const outcome: StoreOutcome = { accepted: 0, rejected: 0, firstRejection: undefined };
  const items = Array.isArray(payload) ? payload : [payload];
  for (let i = 0; i < items.length; i++) {
    const problem = storeItem(writer, items[i], i, key, anomalyMeta);
    if (problem === undefined) {
      outcome.accepted++;
    } else {
      outcome.rejected++;
      outcome.firstRejection ??= problem;
    }
  }
  return outcome;
}
