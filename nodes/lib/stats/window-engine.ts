import { rejection, type Rejection } from '../errors';
import { parseTopic, type Reading } from '../reading';
import type { Clock } from '../status';
import { normalizeWindowOptions, type WindowOptions, type WindowOptionsInput } from './options';
import type { WindowStats } from './types';
import { WindowAccumulator } from './window-accumulator';
import { Prng } from './value-sample';

export type ClosedBy = 'watermark' | 'timer' | 'idle' | 'flush' | 'count';

export interface ClosedWindow {
  /** The key the window was kept under: "asset/sensor", the asset, or msg.topic. */
  key: string;
  closedBy: ClosedBy;
  stats: WindowStats;
}

interface KeyState {
  readonly key: string;
  readonly asset: string;
  readonly sensor: string;
  unit: string | undefined;
  /** Largest event time seen; the key's watermark is this minus the allowed lateness. */
  maxTs: number;
  /** Processing time of the last reading, for the idle timeout. */
  lastSeen: number;
  /** Readings since the last flush, to start count windows every `hop` readings. */
  received: number;
  /** Open windows, ascending by start (so also by end: all have one size). */
  readonly windows: WindowAccumulator[];
}

const NO_WINDOWS: readonly ClosedWindow[] = Object.freeze([]);
/** Accumulators kept for reuse: enough for one window per key, so a watermark pass over all keys allocates none. */
const POOL_MIN = 1024;

/**
 * Keyed tumbling, sliding and count windows over readings, with per-key event-time watermarks
 * or processing time, idle-key eviction and a bound on the number of keys. Pure: time comes
 * from the injected clock, and closed windows are collected for the caller to take.
 */
export class WindowEngine {
  readonly options: WindowOptions;
  private readonly keys = new Map<string, KeyState>();
  private readonly pool: WindowAccumulator[] = [];
  private readonly prng: Prng;
  /** Processing-time tumbling/sliding windows close on the clock, so advance() must visit them. */
  private readonly closesByTimer: boolean;
  private closed: ClosedWindow[] = [];
  /** No key can need the timer before this processing time (a lower bound, so advance() may skip the scan). */
  private nextDeadline = Infinity;

  constructor(options: WindowOptionsInput = {}, private readonly now: Clock = Date.now) {
    this.options = normalizeWindowOptions(options);
    this.prng = new Prng(this.options.seed);
    this.closesByTimer = this.options.time === 'processing' && this.options.window !== 'count';
  }

  get keyCount(): number {
    return this.keys.size;
  }

  /** True while no new key can be taken on. */
  get atKeyLimit(): boolean {
    return this.keys.size >= this.options.maxKeys;
  }

  /**
   * Absorbs one valid reading, or says why it was not: BAD_QUALITY, LATE, KEY_LIMIT. Windows it
   * closes are collected for takeClosed(). `topic` is used only when keying by topic.
   */
  add(reading: Reading, topic?: unknown): Rejection | undefined {
    if (reading.quality === 'bad') return rejection('BAD_QUALITY', 'reading quality is bad');
    const key = this.keyOf(reading, topic);
    const now = this.now();
    let state = this.keys.get(key);
    if (state === undefined) {
      if (this.keys.size >= this.options.maxKeys) {
        return rejection('KEY_LIMIT', `key limit ${this.options.maxKeys} reached; ${key} is not tracked`);
      }
      state = this.createKey(key, reading, topic, now);
    }
    state.lastSeen = now;
    if (state.unit === undefined && reading.unit !== undefined) state.unit = reading.unit;
    const { options } = this;
    if (options.window === 'count') {
      this.addToCountWindows(state, reading, options.time === 'event' ? reading.ts : now);
    } else if (options.time === 'event') {
      const watermark = state.maxTs - options.latenessMs;
      if (reading.ts < watermark) {
        return rejection('LATE', `ts ${reading.ts} is ${watermark - reading.ts} ms behind the watermark of ${key}`);
      }
      if (reading.ts > state.maxTs) {
        state.maxTs = reading.ts;
        this.closeEndedBy(state, reading.ts - options.latenessMs, 'watermark');
      }
      this.addToTimeWindows(state, reading, reading.ts);
    } else {
      this.closeEndedBy(state, now, 'timer');
      this.addToTimeWindows(state, reading, now);
    }
    return undefined;
  }

  /** Windows closed since the last call, oldest first. */
  takeClosed(): readonly ClosedWindow[] {
    if (this.closed.length === 0) return NO_WINDOWS;
    const out = this.closed;
    this.closed = [];
    return out;
  }

  /** Closes processing-time windows that have ended and flushes idle keys; returns all windows closed since the last take. */
  advance(): readonly ClosedWindow[] {
    const now = this.now();
    if (now < this.nextDeadline) return this.takeClosed();
    const { idleMs } = this.options;
    let next = Infinity;
    for (const state of this.keys.values()) {
      if (now - state.lastSeen >= idleMs) {
        this.emitAll(state, 'idle');
        this.keys.delete(state.key);
        continue;
      }
      if (this.closesByTimer) {
        this.closeEndedBy(state, now, 'timer');
        if (state.windows.length > 0) next = Math.min(next, state.windows[0].end);
      }
      next = Math.min(next, state.lastSeen + idleMs);
    }
    this.nextDeadline = next;
    return this.takeClosed();
  }

  /** Emits every open window now, of one key or of all; the keys and their watermarks stay. */
  flush(key?: string): readonly ClosedWindow[] {
    if (key === undefined) {
      for (const state of this.keys.values()) this.emitAll(state, 'flush');
    } else {
      const state = this.keys.get(key);
      if (state !== undefined) this.emitAll(state, 'flush');
    }
    return this.takeClosed();
  }

  /** Drops the state of one key or of all (then also the reusable accumulators), without emitting. */
  reset(key?: string): void {
    if (key === undefined) {
      this.keys.clear();
      this.pool.length = 0;
      this.nextDeadline = Infinity;
      return;
    }
    const state = this.keys.get(key);
    if (state === undefined) return;
    this.releaseAll(state);
    this.keys.delete(key);
  }

  private keyOf(reading: Reading, topic: unknown): string {
    switch (this.options.keyBy) {
      case 'asset':
        return reading.asset;
      case 'topic':
        if (typeof topic === 'string' && topic !== '') return topic;
        return `${reading.asset}/${reading.sensor}`;
      default:
        return `${reading.asset}/${reading.sensor}`;
    }
  }

  private createKey(key: string, reading: Reading, topic: unknown, now: number): KeyState {
    let asset = reading.asset;
    let sensor = reading.sensor;
    if (this.options.keyBy === 'asset') sensor = '*';
    else if (this.options.keyBy === 'topic' && key === topic) {
      const parts = parseTopic(key);
      asset = parts?.asset ?? key;
      sensor = parts?.sensor ?? '*';
    }
    const state: KeyState = {
      key, asset, sensor, unit: undefined, maxTs: -Infinity, lastSeen: now, received: 0, windows: [],
    };
    this.keys.set(key, state);
    this.nextDeadline = Math.min(this.nextDeadline, now + this.options.idleMs);
    return state;
  }

  /** Adds the reading to every window whose [start, start + size) holds time t; starts are multiples of hop. */
  private addToTimeWindows(state: KeyState, reading: Reading, t: number): void {
    const { size, hop } = this.options;
    let firstK = Math.floor((t - size) / hop) + 1;
    if (firstK * hop + size <= t) firstK++;
    let lastK = Math.floor(t / hop);
    if (lastK * hop > t) lastK--;
    const windows = state.windows;
    const firstStart = firstK * hop;
    let j = windows.length;
    while (j > 0 && windows[j - 1].start >= firstStart) j--;
    for (let k = firstK; k <= lastK; k++) {
      const start = k * hop;
      let window = windows[j];
      if (window === undefined || window.start !== start) {
        window = this.acquire(start, start + size);
        windows.splice(j, 0, window);
      }
      window.add(reading.value, reading.ts, this.prng);
      j++;
    }
  }

  private addToCountWindows(state: KeyState, reading: Reading, t: number): void {
    const { size, hop } = this.options;
    const windows = state.windows;
    if (state.received % hop === 0) windows.push(this.acquire(t, t));
    state.received++;
    for (let i = 0; i < windows.length; i++) {
      windows[i].add(reading.value, reading.ts, this.prng);
      windows[i].end = t;
    }
    while (windows.length > 0 && windows[0].count >= size) this.emit(state, windows.shift()!, 'count');
  }

  private closeEndedBy(state: KeyState, time: number, closedBy: ClosedBy): void {
    const windows = state.windows;
    while (windows.length > 0 && windows[0].end <= time) this.emit(state, windows.shift()!, closedBy);
  }

  private emitAll(state: KeyState, closedBy: ClosedBy): void {
    for (const window of state.windows) this.emit(state, window, closedBy);
    state.windows.length = 0;
    state.received = 0;
  }

  private emit(state: KeyState, window: WindowAccumulator, closedBy: ClosedBy): void {
    this.closed.push({ key: state.key, closedBy, stats: window.stats(state.asset, state.sensor, state.unit) });
    this.release(window);
  }

  private releaseAll(state: KeyState): void {
    for (const window of state.windows) this.release(window);
    state.windows.length = 0;
  }

  private acquire(start: number, end: number): WindowAccumulator {
    const window = this.pool.pop() ?? new WindowAccumulator(this.options.quantileCap);
    if (this.closesByTimer) this.nextDeadline = Math.min(this.nextDeadline, end);
    return window.open(start, end);
  }

  private release(window: WindowAccumulator): void {
    window.clear();
    if (this.pool.length < Math.max(POOL_MIN, this.keys.size)) this.pool.push(window);
  }
}
