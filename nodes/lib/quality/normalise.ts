import { rejection, type Rejection } from '../errors';
import { describeType, isRecord, parseTopic, type Quality, type Reading } from '../reading';
import { qualityFieldQuality, statusCodeQuality, worstQuality } from './opc-quality';
import { isEpochMs, parseTimestamp } from './timestamp';

/** What msg.topic says about the readings of a message. */
export interface TopicHint {
  asset?: string;
  sensor?: string;
}

/** Receives what `normaliseItem` makes of an item. */
export interface NormaliseHost {
  /** The asset and sensor named by msg.topic (looked up only when an item lacks them). */
  topicHint(): TopicHint | undefined;
  /** Arrival time of the message: the ts of readings that carry none. */
  readonly arrival: number;
  /**
   * A normalised reading, still to be checked; a canonical input item is passed as it is.
   * `stamped` tells that its ts is the arrival time because the source gave none.
   */
  reading(reading: Reading, stamped?: boolean): void;
  /** `asset`/`sensor` are given when known, so the rejection counts against that key. */
  reject(input: unknown, error: Rejection, asset?: string, sensor?: string): void;
}

const MQTT_TOPICS: readonly RegExp[] = [/^sensors\/([^/]+)\/data$/, /^devices\/([^/]+)\/telemetry$/];

/** `sensors/<asset>/data` and `devices/<asset>/telemetry` name the asset; `asset/sensor` names both. */
export function topicHint(topic: unknown): TopicHint | undefined {
  if (typeof topic !== 'string' || topic === '') return undefined;
  for (const pattern of MQTT_TOPICS) {
    const match = pattern.exec(topic);
    if (match !== null) return { asset: match[1] };
  }
  return parseTopic(topic);
}

/** A string or Buffer payload holds JSON; anything else is taken as it is. */
export function decodePayload(payload: unknown): { ok: true; value: unknown } | { ok: false; error: Rejection } {
  let text: string;
  if (typeof payload === 'string') text = payload;
  else if (Buffer.isBuffer(payload)) text = payload.toString('utf8');
  else return { ok: true, value: payload };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const detail = err instanceof Error ? `: ${err.message}` : '';
    return { ok: false, error: rejection('INVALID_PAYLOAD', `payload is a string but not JSON${detail}`) };
  }
}

const ASSET_FIELDS = ['asset', 'asset_id', 'device_id', 'assetId', 'deviceId'] as const;
const SENSOR_FIELDS = ['sensor', 'sensor_id', 'sensorId'] as const;
const TIME_FIELDS = ['ts', 'timestamp', 'time'] as const;
/** Fields that describe a telemetry object rather than hold one of its sensors' values. */
const META_FIELDS: ReadonlySet<string> = new Set<string>([
  ...ASSET_FIELDS, ...SENSOR_FIELDS, ...TIME_FIELDS, 'value', 'reading', 'unit', 'quality', 'statusCode',
]);

type Fields = Record<string, unknown>;

/** A reading already in canonical form with a usable value: checked once and passed on as it is. */
export function isCanonical(item: Fields): item is Fields & Reading {
  const { asset, sensor, value, ts, unit, quality } = item;
  return (
    typeof asset === 'string' && asset !== '' &&
    typeof sensor === 'string' && sensor !== '' &&
    typeof value === 'number' && Number.isFinite(value) &&
    typeof ts === 'number' && isEpochMs(ts) &&
    (unit === undefined || typeof unit === 'string') &&
    (quality === undefined || quality === 'good' || quality === 'uncertain' || quality === 'bad') &&
    item.statusCode === undefined
  );
}

/**
 * Turns one payload item into readings for `host`. Shapes: a canonical Reading; a bare
 * number named by msg.topic; a telemetry object `{device_id|asset_id, sensor_id, value|reading,
 * timestamp, unit, quality|statusCode}`; a telemetry object of several sensors
 * `{device_id, timestamp, temperature: 71.2, vibration: 3.1}` (one reading per numeric field).
 * Returns false when the item is not recognisable as readings at all (already rejected).
 */
export function normaliseItem(item: unknown, host: NormaliseHost): boolean {
  if (typeof item === 'number') return bareNumber(item, host);
  if (!isRecord(item)) {
    host.reject(item, rejection('INVALID_PAYLOAD', `expected a reading, got ${describeType(item)}`));
    return false;
  }
  if (isCanonical(item)) {
    host.reading(item);
    return true;
  }
  if (item.value !== undefined || item.reading !== undefined || pick(item, SENSOR_FIELDS) !== undefined) {
    singleReading(item, host);
    return true;
  }
  return multiSensor(item, host);
}

function bareNumber(value: number, host: NormaliseHost): boolean {
  const hint = host.topicHint();
  if (hint?.asset === undefined || hint.sensor === undefined) {
    host.reject(value, rejection('MISSING_FIELD', 'a bare number needs msg.topic "asset/sensor"'));
    return true;
  }
  if (!Number.isFinite(value)) {
    host.reject(value, rejection('NON_FINITE', `value is ${value}`), hint.asset, hint.sensor);
    return true;
  }
  host.reading({ asset: hint.asset, sensor: hint.sensor, value, ts: host.arrival }, true);
  return true;
}

function singleReading(item: Fields, host: NormaliseHost): void {
  const asset = nameOf(pick(item, ASSET_FIELDS)) ?? host.topicHint()?.asset;
  if (asset === undefined) return host.reject(item, missingName('asset', 'asset, asset_id or device_id'));
  const sensor = nameOf(pick(item, SENSOR_FIELDS)) ?? host.topicHint()?.sensor;
  if (sensor === undefined) return host.reject(item, missingName('sensor', 'sensor or sensor_id'));
  const value = item.value !== undefined ? item.value : item.reading;
  const invalid = valueProblem(value, 'value') ?? metaProblem(item);
  if (invalid !== undefined) return host.reject(item, invalid, asset, sensor);
  const rawTs = pick(item, TIME_FIELDS);
  const stamped = rawTs === undefined;
  const ts = stamped ? host.arrival : parseTimestamp(rawTs);
  if (Number.isNaN(ts)) return host.reject(item, badTimestamp(item), asset, sensor);
  const reading: Reading = { asset, sensor, value: value as number, ts };
  if (typeof item.unit === 'string') reading.unit = item.unit;
  const quality = sourceQuality(item);
  if (quality !== undefined) reading.quality = quality;
  host.reading(reading, stamped);
}

function multiSensor(item: Fields, host: NormaliseHost): boolean {
  const sensors = Object.keys(item).filter((field) => !META_FIELDS.has(field) && typeof item[field] === 'number');
  if (sensors.length === 0) {
    host.reject(item, rejection('INVALID_PAYLOAD', 'no value field and no numeric sensor fields'));
    return false;
  }
  const asset = nameOf(pick(item, ASSET_FIELDS)) ?? host.topicHint()?.asset;
  if (asset === undefined) {
    host.reject(item, missingName('asset', 'asset, asset_id or device_id'));
    return true;
  }
  const rawTs = pick(item, TIME_FIELDS);
  const stamped = rawTs === undefined;
  const ts = stamped ? host.arrival : parseTimestamp(rawTs);
  const invalidMeta = metaProblem(item);
  const quality = sourceQuality(item);
  for (const sensor of sensors) {
    const value = item[sensor] as number;
    const invalid = invalidMeta ?? valueProblem(value, sensor);
    if (invalid !== undefined) host.reject(item, invalid, asset, sensor);
    else if (Number.isNaN(ts)) host.reject(item, badTimestamp(item), asset, sensor);
    else {
      const reading: Reading = { asset, sensor, value, ts };
      if (quality !== undefined) reading.quality = quality;
      host.reading(reading, stamped);
    }
  }
  return true;
}

function pick(item: Fields, fields: readonly string[]): unknown {
  for (const field of fields) if (item[field] !== undefined) return item[field];
  return undefined;
}

/** Asset and sensor names are non-empty strings; numeric device ids are common and become strings. */
function nameOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function missingName(what: string, fields: string): Rejection {
  return rejection('MISSING_FIELD', `${what} is missing: give ${fields}, or a msg.topic that names it`);
}

function valueProblem(value: unknown, field: string): Rejection | undefined {
  if (value === undefined || value === null) return rejection('MISSING_FIELD', `${field} is missing`);
  if (typeof value !== 'number') return rejection('NOT_A_NUMBER', `${field} must be a number, got ${describeType(value)}`);
  if (!Number.isFinite(value)) return rejection('NON_FINITE', `${field} is ${value}`);
  return undefined;
}

function metaProblem(item: Fields): Rejection | undefined {
  if (item.unit !== undefined && typeof item.unit !== 'string') return rejection('INVALID_PAYLOAD', 'unit must be a string');
  if (item.quality !== undefined && qualityFieldQuality(item.quality) === undefined) {
    return rejection('INVALID_PAYLOAD', 'quality must be good, uncertain, bad or an OPC quality byte');
  }
  return undefined;
}

/** The worst of `quality` and `statusCode`; a statusCode that cannot be read counts as not Good. */
function sourceQuality(item: Fields): Quality | undefined {
  const quality = item.quality === undefined ? undefined : qualityFieldQuality(item.quality);
  if (item.statusCode === undefined) return quality;
  const status = statusCodeQuality(item.statusCode) ?? 'bad';
  return quality === undefined ? status : worstQuality(quality, status);
}

function badTimestamp(item: Fields): Rejection {
  const raw = pick(item, TIME_FIELDS);
  const shown = typeof raw === 'string' ? `"${raw.slice(0, 40)}"` : typeof raw === 'number' ? String(raw) : describeType(raw);
  return rejection('BAD_TIMESTAMP', `timestamp ${shown} is not epoch s/ms or ISO 8601`);
}
