/**
 * Node-RED messages ↔ Kafka records. Out: each item of msg.payload (a reading, an alert, any
 * object with the key property) becomes one record keyed by its asset, so one asset's records
 * stay in one partition, in order. In: records become readings again, one message per record or
 * one message per fetched batch (the fast path).
 */
import { rejection, type Rejection } from '../errors';
import { describeType, isRecord } from '../reading';
import type { InBatch, InRecord, OutRecord } from './client';

export const DEFAULT_TOPICS = {
  readings: 'maintenance.sensors.raw',
  alerts: 'maintenance.alerts',
  anomalies: 'maintenance.alerts.anomaly',
} as const;

export type OutKind = keyof typeof DEFAULT_TOPICS;

export interface OutItems {
  records: OutRecord[];
  rejected: Array<{ item: unknown; error: Rejection }>;
}

const MAX_ITEMS = 100_000;

/**
 * Records for a payload (one item or an array). The key is the item's `keyProperty` (a string);
 * the timestamp its `ts` (readings) or `openedAt`/`updatedAt` (alerts) when numeric.
 */
export function toRecords(payload: unknown, keyProperty: string): OutItems {
  const items: unknown[] = Array.isArray(payload) ? payload : [payload];
  const out: OutItems = { records: [], rejected: [] };
  if (items.length > MAX_ITEMS) {
    out.rejected.push({ item: `${items.length} items`, error: rejection('PAYLOAD_TOO_LARGE', `a message holds at most ${MAX_ITEMS} items, got ${items.length}`) });
    return out;
  }
  for (const item of items) {
    if (!isRecord(item)) {
      out.rejected.push({ item, error: rejection('INVALID_PAYLOAD', `expected an object, got ${describeType(item)}`) });
      continue;
    }
    const key = item[keyProperty];
    if (typeof key !== 'string' || key === '') {
      out.rejected.push({ item, error: rejection('MISSING_FIELD', `"${keyProperty}" must be a non-empty string, got ${describeType(key)}`) });
      continue;
    }
    const ts = typeof item.ts === 'number' ? item.ts : typeof item.updatedAt === 'number' ? item.updatedAt : item.openedAt;
    out.records.push({ key, value: JSON.stringify(item), timestamp: typeof ts === 'number' && Number.isFinite(ts) && ts >= 0 ? Math.floor(ts) : undefined });
  }
  return out;
}

/**
 * One record per key for a send: the values of each key's records, in order, as one JSON array
 * (an asset's readings of one linger period). Far fewer records for the same readings, and the
 * key, so the partition and the order, stay as they were.
 */
export function groupByKey(records: readonly OutRecord[]): OutRecord[] {
  const groups = new Map<string | null, { first: OutRecord; values: string[] }>();
  for (const r of records) {
    const group = groups.get(r.key);
    if (group === undefined) groups.set(r.key, { first: r, values: [r.value] });
    else group.values.push(r.value);
  }
  const out: OutRecord[] = [];
  for (const { first, values } of groups.values()) out.push({ key: first.key, value: `[${values.join(',')}]`, timestamp: first.timestamp });
  return out;
}

export type ValueFormat = 'json' | 'string';

export interface Decoded {
  value: unknown;
  key: string | null;
  /** Set when the value is not what the format expects. */
  error?: Rejection;
}

export function decodeRecord(record: InRecord, format: ValueFormat): Decoded {
  const key = record.key === null ? null : record.key.toString('utf8');
  const text = record.value === null ? null : record.value.toString('utf8');
  if (format === 'string' || text === null) return { value: text, key };
  try {
    return { value: JSON.parse(text) as unknown, key };
  } catch (err) {
    return { value: text, key, error: rejection('INVALID_PAYLOAD', `record at offset ${record.offset} is not JSON: ${(err as Error).message}`) };
  }
}

/** The kafka part of an emitted message: where its records came from. */
export interface KafkaMeta {
  topic: string;
  partition: number;
  offset: string;
  /** For a batch message: the last offset it holds. */
  lastOffset?: string;
  key?: string | null;
  timestamp?: number;
}

export interface DecodedBatch {
  values: unknown[];
  keys: Set<string>;
  rejected: Array<{ value: unknown; error: Rejection; meta: KafkaMeta }>;
}

/** Decodes a batch; keys are the record keys seen (assets), for state hand-over on a rebalance. */
export function decodeBatch(batch: InBatch, format: ValueFormat): DecodedBatch {
  const out: DecodedBatch = { values: [], keys: new Set(), rejected: [] };
  for (const record of batch.records) {
    const d = decodeRecord(record, format);
    if (d.key !== null) out.keys.add(d.key);
    if (d.error) out.rejected.push({ value: d.value, error: d.error, meta: metaOf(batch, record, d.key) });
    else out.values.push(d.value);
  }
  return out;
}

export function metaOf(batch: InBatch, record: InRecord, key: string | null): KafkaMeta {
  return { topic: batch.topic, partition: batch.partition, offset: record.offset, key, timestamp: Number(record.timestamp) };
}

/** msg.topic for a value: asset/sensor for a reading, else the record key. */
export function topicOf(value: unknown, key: string | null): string | undefined {
  if (isRecord(value) && typeof value.asset === 'string') {
    return typeof value.sensor === 'string' ? `${value.asset}/${value.sensor}` : value.asset;
  }
  return key ?? undefined;
}

/**
 * The keys (asset/sensor of readings, else the record key) seen per partition, for the hand-over
 * messages when a partition is taken away. Nested maps, so remembering a reading builds no string.
 */
export class PartitionKeys {
  private readonly partitions = new Map<string, Map<string, Set<string>>>();
  private readonly sizes = new Map<string, number>();

  constructor(private readonly maxPerPartition: number) {}

  add(partition: string, value: unknown, recordKey: string | null): void {
    let asset: string;
    let sensor = '';
    if (isRecord(value) && typeof value.asset === 'string') {
      asset = value.asset;
      if (typeof value.sensor === 'string') sensor = value.sensor;
    } else if (recordKey !== null) asset = recordKey;
    else return;
    let assets = this.partitions.get(partition);
    if (assets === undefined) {
      assets = new Map();
      this.partitions.set(partition, assets);
    }
    let sensors = assets.get(asset);
    if (sensors?.has(sensor)) return;
    const size = this.sizes.get(partition) ?? 0;
    if (size >= this.maxPerPartition) return;
    if (sensors === undefined) {
      sensors = new Set();
      assets.set(asset, sensors);
    }
    sensors.add(sensor);
    this.sizes.set(partition, size + 1);
  }

  /** The keys of a partition as msg.topic would name them, forgetting them. */
  take(partition: string): string[] {
    const assets = this.partitions.get(partition);
    this.partitions.delete(partition);
    this.sizes.delete(partition);
    if (assets === undefined) return [];
    const out: string[] = [];
    for (const [asset, sensors] of assets) for (const sensor of sensors) out.push(sensor === '' ? asset : `${asset}/${sensor}`);
    return out;
  }
}
