import { PdmError } from '../errors';

export type WindowType = 'tumbling' | 'sliding' | 'count';
export type TimeMode = 'event' | 'processing';
export type KeyBy = 'asset-sensor' | 'asset' | 'topic';

export const WINDOW_TYPES: readonly WindowType[] = ['tumbling', 'sliding', 'count'];
export const TIME_MODES: readonly TimeMode[] = ['event', 'processing'];
export const KEY_BY: readonly KeyBy[] = ['asset-sensor', 'asset', 'topic'];

export interface WindowOptions {
  window: WindowType;
  /** Window length: milliseconds for tumbling/sliding, readings for count windows. */
  size: number;
  /** Distance between window starts, same unit as `size`; equals `size` for tumbling windows. */
  hop: number;
  time: TimeMode;
  /** Event-time watermark = largest ts seen for the key − lateness (ms). */
  latenessMs: number;
  /** A key with no reading for this long (processing time, ms) is flushed and forgotten. */
  idleMs: number;
  keyBy: KeyBy;
  maxKeys: number;
  /** Values kept per window for median/p05/p95 before reservoir sampling starts. */
  quantileCap: number;
  seed: number;
}

export type WindowOptionsInput = Partial<Omit<WindowOptions, 'hop' | 'idleMs'>> & {
  hop?: number;
  /** Omitted or 0: 2 × size + lateness for time windows, 5 minutes for count windows. */
  idleMs?: number;
};

/** Most windows a single reading may belong to (size / hop), to keep the per-reading cost bounded. */
export const MAX_OVERLAP = 1000;
export const COUNT_IDLE_MS = 300_000;

const DEFAULTS = {
  window: 'tumbling' as WindowType,
  size: 10_000,
  time: 'event' as TimeMode,
  latenessMs: 30_000,
  keyBy: 'asset-sensor' as KeyBy,
  maxKeys: 100_000,
  quantileCap: 10_000,
  seed: 0x5eed,
};

/** Fills defaults and checks every option; throws PdmError('INVALID_CONFIG') naming the bad one. */
export function normalizeWindowOptions(input: WindowOptionsInput = {}): WindowOptions {
  const window = oneOf('window', input.window ?? DEFAULTS.window, WINDOW_TYPES);
  const time = oneOf('time', input.time ?? DEFAULTS.time, TIME_MODES);
  const keyBy = oneOf('keyBy', input.keyBy ?? DEFAULTS.keyBy, KEY_BY);
  const isCount = window === 'count';
  const size = positive('size', input.size ?? (isCount ? 100 : DEFAULTS.size), isCount);
  const hop = window === 'tumbling' ? size : positive('hop', input.hop ?? size, isCount);
  if (hop > size) throw invalid('hop', `must not exceed the window size (${size})`);
  if (size / hop > MAX_OVERLAP) throw invalid('hop', `size / hop must be at most ${MAX_OVERLAP}`);
  const latenessMs = nonNegative('latenessMs', input.latenessMs ?? DEFAULTS.latenessMs);
  const autoIdle = isCount ? COUNT_IDLE_MS : 2 * size + (time === 'event' ? latenessMs : 0);
  const idleMs = input.idleMs ? positive('idleMs', input.idleMs, false) : autoIdle;
  const maxKeys = positive('maxKeys', input.maxKeys ?? DEFAULTS.maxKeys, true);
  const quantileCap = positive('quantileCap', input.quantileCap ?? DEFAULTS.quantileCap, true);
  const seed = input.seed ?? DEFAULTS.seed;
  if (!Number.isInteger(seed)) throw invalid('seed', 'must be an integer');
  return { window, size, hop, time, latenessMs, idleMs, keyBy, maxKeys, quantileCap, seed };
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw invalid(name, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function positive(name: string, value: unknown, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw invalid(name, integer ? 'must be a positive integer' : 'must be a positive number');
  }
  return value;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(name, 'must be zero or more');
  return value;
}

function invalid(name: string, reason: string): PdmError {
  return new PdmError('INVALID_CONFIG', `window-stats option ${name} ${reason}`);
}
