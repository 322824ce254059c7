/**
 * OPC UA items → readings, without node-opcua: which node each row of the items table names,
 * how it maps onto asset/sensor/unit, and how a DataValue becomes a Reading or a rejection.
 */
import { PdmError, rejection, type Rejection } from '../errors';
import { statusCodeQuality } from '../quality/opc-quality';
import { isRecord, type Reading, type ReadingResult } from '../reading';
import type { Clock } from '../status';

/** One row of the editor's items table. */
export interface OpcuaItemRow {
  item?: unknown;
  asset?: unknown;
  sensor?: unknown;
  unit?: unknown;
}

export interface BrowseSegment {
  namespaceIndex: number;
  name: string;
}

export type OpcuaTarget = { kind: 'nodeId'; nodeId: string } | { kind: 'path'; segments: BrowseSegment[] };

export interface OpcuaItemSpec {
  /** The item as written, for messages. */
  label: string;
  target: OpcuaTarget;
  asset?: string;
  sensor?: string;
  unit?: string;
}

/** What the server says about a node, used where the table leaves asset, sensor or unit empty. */
export interface NodeFacts {
  nodeId: string;
  browseName?: string;
  parentBrowseName?: string;
  unit?: string;
}

export interface ResolvedItem {
  nodeId: string;
  asset: string;
  sensor: string;
  unit?: string;
}

/** The parts of a node-opcua DataValue this package reads. */
export interface DataValueLike {
  value?: { value?: unknown } | null;
  statusCode: { value: number; name?: string };
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

/** Browse paths start at the Objects folder; a name without an `ns:` prefix is in this namespace. */
export const DEFAULT_NAMESPACE = 1;
const NODE_ID = /^(ns=\d+;|nsu=[^;]+;)?[isgb]=.+$/;
const SEGMENT = /^(?:(\d+):)?(.+)$/;

export function parseTarget(text: string): OpcuaTarget {
  const trimmed = text.trim();
  if (trimmed === '') throw new PdmError('INVALID_CONFIG', 'an item is empty');
  if (NODE_ID.test(trimmed)) return { kind: 'nodeId', nodeId: trimmed };
  if (!trimmed.startsWith('/')) {
    throw new PdmError('INVALID_CONFIG', `"${trimmed}" is neither a NodeId (ns=1;s=...) nor a browse path (/Plant/pump-1/vibration)`);
  }
  const parts = trimmed.split('/').slice(1);
  if (parts[0] === 'Objects' || parts[0] === '0:Objects') parts.shift();
  if (parts.length === 0 || parts.some((p) => p === '')) throw new PdmError('INVALID_CONFIG', `browse path "${trimmed}" has an empty segment`);
  return {
    kind: 'path',
    segments: parts.map((part) => {
      const m = SEGMENT.exec(part) as RegExpExecArray;
      return { namespaceIndex: m[1] === undefined ? DEFAULT_NAMESPACE : Number(m[1]), name: m[2] };
    }),
  };
}

export function parseItems(rows: unknown): OpcuaItemSpec[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new PdmError('INVALID_CONFIG', 'the items list is empty');
  return rows.map((row: unknown, i) => {
    if (!isRecord(row) || typeof row.item !== 'string') throw new PdmError('INVALID_CONFIG', `item ${i + 1} has no NodeId or browse path`);
    const spec: OpcuaItemSpec = { label: row.item.trim(), target: parseTarget(row.item) };
    for (const key of ['asset', 'sensor', 'unit'] as const) {
      const value = row[key];
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string') throw new PdmError('INVALID_CONFIG', `item ${i + 1}: ${key} must be text`);
      if (value.trim() !== '') spec[key] = value.trim();
    }
    return spec;
  });
}

/** True when the server must be asked for names or the unit of this item. */
export function needsFacts(spec: OpcuaItemSpec): boolean {
  return spec.asset === undefined || spec.sensor === undefined || spec.unit === undefined;
}

/**
 * Asset and sensor come from the table, else from the browse names: the node's own name is
 * the sensor and its parent's (the asset folder) the asset. A browse path names both itself.
 */
export function resolveItem(spec: OpcuaItemSpec, facts: NodeFacts): ResolvedItem {
  const pathNames = spec.target.kind === 'path' ? spec.target.segments.map((s) => s.name) : [];
  const sensor = spec.sensor ?? pathNames.at(-1) ?? facts.browseName;
  const asset = spec.asset ?? pathNames.at(-2) ?? facts.parentBrowseName;
  if (!sensor) throw new PdmError('INVALID_CONFIG', `${spec.label}: no sensor name in the table and the server gave no browse name`);
  if (!asset) throw new PdmError('INVALID_CONFIG', `${spec.label}: no asset name in the table and the node has no parent to name it`);
  const item: ResolvedItem = { nodeId: facts.nodeId, asset, sensor };
  const unit = spec.unit ?? (facts.unit === '' ? undefined : facts.unit);
  if (unit !== undefined) item.unit = unit;
  return item;
}

/** Two items feeding the same asset/sensor would interleave two series into one. */
export function assertDistinct(items: ResolvedItem[]): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const key = `${item.asset}/${item.sensor}`;
    const other = seen.get(key);
    if (other !== undefined) throw new PdmError('INVALID_CONFIG', `${key} is mapped from both ${other} and ${item.nodeId}`);
    seen.set(key, item.nodeId);
  }
}

export function statusName(code: DataValueLike['statusCode']): string {
  const hex = `0x${(code.value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  return code.name && code.name !== '' ? `${code.name} (${hex})` : hex;
}

/**
 * A Good value is a good reading, an Uncertain one an uncertain reading; a Bad one carries no
 * usable value and is rejected with the status as reason.
 */
export function dataValueToReading(item: ResolvedItem, dv: DataValueLike, now: Clock): ReadingResult {
  const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now();
  const raw = dv.value?.value;
  const input = { nodeId: item.nodeId, asset: item.asset, sensor: item.sensor, value: raw, statusCode: statusName(dv.statusCode), ts };
  const quality = statusCodeQuality(dv.statusCode.value) ?? 'bad';
  if (quality === 'bad') return fail(rejection('BAD_QUALITY', `OPC UA status ${statusName(dv.statusCode)}`), input);
  const value = numericValue(raw);
  if (typeof value !== 'number') return fail(value, input);
  if (!Number.isFinite(ts)) return fail(rejection('BAD_TIMESTAMP', 'the source timestamp is not a valid date'), input);
  const reading: Reading = { asset: item.asset, sensor: item.sensor, value, ts, quality };
  if (item.unit !== undefined) reading.unit = item.unit;
  return { ok: true, reading };
}

/** Numbers as they are, booleans as 0/1, 64-bit integers (node-opcua's [high, low]) when exact. */
function numericValue(raw: unknown): number | Rejection {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : rejection('NON_FINITE', `value is ${raw}`);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (Array.isArray(raw) && raw.length === 2 && raw.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) {
    const value = (raw[0] as number) * 2 ** 32 + (raw[1] as number);
    if (Number.isSafeInteger(value)) return value;
    return rejection('OUT_OF_RANGE', 'the 64-bit value is beyond exact double precision');
  }
  if (raw === undefined || raw === null) return rejection('MISSING_FIELD', 'the value is empty');
  return rejection('NOT_A_NUMBER', `the value is ${Array.isArray(raw) ? 'an array' : typeof raw}, not a number`);
}

function fail(error: Rejection, input: unknown): ReadingResult {
  return { ok: false, error, input };
}
