import { isBaselineJSON } from './baseline';
import type { AnomalyDetector } from './detector';
import type { KeyModelJSON } from './model';
import { PdmError } from '../errors';

/** Marks a payload as a baseline snapshot, so it is told apart from readings on the same input. */
export const SNAPSHOT_TYPE = 'anomaly-baseline';
export const SNAPSHOT_VERSION = 1;

/**
 * The learned state of one asset's keys, as sent to a compacted state topic keyed by asset when
 * the asset moves to another instance. Each key's state is the form saved to node context.
 */
export interface BaselineSnapshot {
  type: typeof SNAPSHOT_TYPE;
  version: number;
  asset: string;
  /** Id of the anomaly-detect node that wrote it. */
  node: string;
  /** Epoch ms of the hand-over. */
  savedAt: number;
  keys: Record<string, KeyModelJSON>;
}

export interface ImportResult {
  restored: string[];
  /** Keys whose state here had learned at least as much, up to at least as late a reading. */
  kept: number;
}

/** The asset a key names: `asset`, `asset/sensor` or `asset/sensor/feature`. */
export function assetOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

/**
 * Releases every key of `asset` from the detector and returns their states as a snapshot;
 * undefined when the detector holds nothing for the asset (so an earlier snapshot is not
 * overwritten by an empty one).
 */
export function exportAsset(detector: AnomalyDetector, asset: string, node: string, now: number): BaselineSnapshot | undefined {
  const prefix = `${asset}/`;
  const released = detector.release((key) => key.startsWith(prefix));
  const keys: Record<string, KeyModelJSON> = {};
  let count = 0;
  for (const [key, state] of Object.entries(released)) {
    if (!isKeyModelJSON(state)) continue;
    keys[key] = state;
    count++;
  }
  if (count === 0) return undefined;
  return { type: SNAPSHOT_TYPE, version: SNAPSHOT_VERSION, asset, node, savedAt: now, keys };
}

/** Whether a payload is meant as a snapshot (or an array of them): its first item says so. */
export function isSnapshotPayload(payload: unknown): boolean {
  const first: unknown = Array.isArray(payload) ? payload[0] : payload;
  return typeof first === 'object' && first !== null && (first as { type?: unknown }).type === SNAPSHOT_TYPE;
}

/** A snapshot from its JSON form; throws an INVALID_PAYLOAD PdmError naming what is wrong. */
export function parseSnapshot(value: unknown): BaselineSnapshot {
  const invalid = (reason: string): PdmError => new PdmError('INVALID_PAYLOAD', `invalid baseline snapshot: ${reason}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('expected an object');
  const s = value as Record<string, unknown>;
  if (s.type !== SNAPSHOT_TYPE) throw invalid(`type must be "${SNAPSHOT_TYPE}"`);
  if (s.version !== SNAPSHOT_VERSION) throw invalid(`version ${String(s.version)} is not supported (expected ${SNAPSHOT_VERSION})`);
  if (typeof s.asset !== 'string' || s.asset === '') throw invalid('asset must be a non-empty string');
  if (typeof s.node !== 'string') throw invalid('node must be a string');
  if (typeof s.savedAt !== 'number' || !Number.isFinite(s.savedAt)) throw invalid('savedAt must be a number');
  if (typeof s.keys !== 'object' || s.keys === null || Array.isArray(s.keys)) throw invalid('keys must be an object');
  const prefix = `${s.asset}/`;
  for (const [key, state] of Object.entries(s.keys)) {
    if (!key.startsWith(prefix)) throw invalid(`key "${key}" does not belong to asset "${s.asset}"`);
    if (!isKeyModelJSON(state)) throw invalid(`the state of "${key}" is not a baseline`);
  }
  return value as BaselineSnapshot;
}

/**
 * Restores the snapshot's keys into the detector, except where the state here has learned at
 * least as many readings up to at least as late a reading (a stale snapshot replayed from the
 * start of the state topic). A key that only began warming up here before its snapshot arrived
 * takes the snapshot.
 */
export function importSnapshot(detector: AnomalyDetector, snapshot: BaselineSnapshot): ImportResult {
  const result: ImportResult = { restored: [], kept: 0 };
  for (const [key, state] of Object.entries(snapshot.keys)) {
    const local = detector.stateOf(key);
    if (isKeyModelJSON(local) && atLeastAsLearned(local, state)) {
      result.kept++;
      continue;
    }
    detector.adopt(key, state);
    result.restored.push(key);
  }
  return result;
}

function atLeastAsLearned(a: KeyModelJSON, b: KeyModelJSON): boolean {
  const lastTs = (s: KeyModelJSON): number => s.r?.[1] ?? -Infinity;
  return a.b.n >= b.b.n && lastTs(a) >= lastTs(b);
}

function isFiniteArray(v: unknown, length?: number): v is number[] {
  return Array.isArray(v) && (length === undefined || v.length === length) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** The shape KeyModel.toJSON writes; the optional parts are checked only when present. */
export function isKeyModelJSON(v: unknown): v is KeyModelJSON {
  if (typeof v !== 'object' || v === null) return false;
  const j = v as Record<string, unknown>;
  return isBaselineJSON(j.b) && isFiniteArray(j.d, 4) && (j.r === undefined || isFiniteArray(j.r, 2)) && (j.z === undefined || isFiniteArray(j.z));
}
