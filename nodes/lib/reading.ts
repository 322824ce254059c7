import { rejection, type Rejection } from './errors';

export type Quality = 'good' | 'uncertain' | 'bad';

/** The one shape every input node emits and every analytics node accepts. */
export interface Reading {
  asset: string;
  sensor: string;
  value: number;
  /** Event time, epoch milliseconds. */
  ts: number;
  unit?: string;
  quality?: Quality;
}

export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** A reading, or the reason it is not one. */
export type ReadingResult = { ok: true; reading: Reading } | { ok: false; error: Rejection; input: unknown };

export interface TopicKey {
  asset: string;
  sensor: string;
}

/** `asset/sensor` → its parts; the sensor is the last segment so assets may contain '/'. */
export function parseTopic(topic: unknown): TopicKey | undefined {
  if (typeof topic !== 'string') return undefined;
  const cut = topic.lastIndexOf('/');
  if (cut <= 0 || cut === topic.length - 1) return undefined;
  return { asset: topic.slice(0, cut), sensor: topic.slice(cut + 1) };
}

export function readingTopic(reading: TopicKey): string {
  return `${reading.asset}/${reading.sensor}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks one canonical reading. Accepts only the canonical field names; data-quality is the
 * node that maps other telemetry shapes onto them.
 */
export function validateReading(input: unknown, topic?: TopicKey): ReadingResult {
  if (typeof input === 'number') {
    if (!topic) return fail('MISSING_FIELD', 'a bare number needs msg.topic "asset/sensor"', input);
    return validateReading({ asset: topic.asset, sensor: topic.sensor, value: input, ts: Date.now() });
  }
  if (!isRecord(input)) return fail('INVALID_PAYLOAD', `expected a reading object, got ${describeType(input)}`, input);
  const asset = input.asset ?? topic?.asset;
  const sensor = input.sensor ?? topic?.sensor;
  if (typeof asset !== 'string' || asset === '') return fail('MISSING_FIELD', 'asset must be a non-empty string', input);
  if (typeof sensor !== 'string' || sensor === '') return fail('MISSING_FIELD', 'sensor must be a non-empty string', input);
  const value = input.value;
  if (value === undefined || value === null) return fail('MISSING_FIELD', 'value is missing', input);
  if (typeof value !== 'number') return fail('NOT_A_NUMBER', `value must be a number, got ${describeType(value)}`, input);
  if (!Number.isFinite(value)) return fail('NON_FINITE', `value is ${value}`, input);
  const ts = input.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return fail('BAD_TIMESTAMP', 'ts must be epoch milliseconds', input);
  const reading: Reading = { asset, sensor, value, ts };
  if (input.unit !== undefined) {
    if (typeof input.unit !== 'string') return fail('INVALID_PAYLOAD', 'unit must be a string', input);
    reading.unit = input.unit;
  }
  if (input.quality !== undefined) {
    if (!QUALITIES.includes(input.quality as Quality)) {
      return fail('INVALID_PAYLOAD', `quality must be one of ${QUALITIES.join(', ')}`, input);
    }
    reading.quality = input.quality as Quality;
  }
  return { ok: true, reading };
}

/** `msg.payload` as a list of reading results: one reading, a batch, or a number with a topic. */
export function readingsFromPayload(payload: unknown, topic: unknown): ReadingResult[] {
  const key = parseTopic(topic);
  if (Array.isArray(payload)) return payload.map((item) => validateReading(item, key));
  return [validateReading(payload, key)];
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

function fail(code: Rejection['code'], reason: string, input: unknown): ReadingResult {
  return { ok: false, error: rejection(code, reason), input };
}
