import type { SensorType } from '../sensor-rules';
import { ScoreRing } from './score-ring';
import type { QualityRules } from './rules';

/** How many recent accepted (ts, value) pairs each key keeps to spot duplicates. */
export const RECENT_READINGS = 8;

/** Everything the checks remember about one asset/sensor. */
export class KeyState {
  /** Set on every use; cleared by the store's eviction sweep (second-chance LRU). */
  used = true;
  /** Stamp of the last message that touched this key (to list its score once per message). */
  touchedBy = 0;
  /** The newest accepted reading, for the rate-of-change check. */
  lastTs = -Infinity;
  lastValue = NaN;
  /** The current run of identical values, for the flatline check. */
  private runValue = NaN;
  private runStart = 0;
  private runCount = 0;
  /** Recent accepted readings as [ts0, value0, ts1, value1, ...], oldest overwritten first. */
  private readonly recent = new Float64Array(RECENT_READINGS * 2).fill(NaN);
  private recentNext = 0;
  readonly score: ScoreRing;

  constructor(
    readonly key: string,
    readonly type: SensorType,
    readonly rules: QualityRules,
    scoreWindow: number,
  ) {
    this.score = new ScoreRing(scoreWindow);
  }

  isDuplicate(ts: number, value: number, sameValueToo: boolean): boolean {
    const recent = this.recent;
    for (let i = 0; i < recent.length; i += 2) {
      if (recent[i] === ts && (!sameValueToo || recent[i + 1] === value)) return true;
    }
    return false;
  }

  /**
   * Extends or restarts the run of identical values and tells whether the sensor now looks
   * stuck: the same value for `flatlineSamples` readings in a row, or for `flatlineSeconds`.
   */
  extendRun(value: number, ts: number): boolean {
    if (value === this.runValue) {
      this.runCount++;
    } else {
      this.runValue = value;
      this.runCount = 1;
      this.runStart = ts;
    }
    const { flatlineSamples, flatlineSeconds } = this.rules;
    if (flatlineSamples > 1 && this.runCount >= flatlineSamples) return true;
    return flatlineSeconds > 0 && this.runCount > 1 && ts - this.runStart >= flatlineSeconds * 1000;
  }

  accept(ts: number, value: number): void {
    this.recent[this.recentNext] = ts;
    this.recent[this.recentNext + 1] = value;
    this.recentNext = (this.recentNext + 2) % this.recent.length;
    if (ts >= this.lastTs) {
      this.lastTs = ts;
      this.lastValue = value;
    }
  }
}

export type KeyLimitAction = 'evict' | 'reject';

/**
 * Key states bounded to `maxKeys`. When full, a new key either evicts a least recently used
 * one (second chance: the oldest entry not used since the last sweep) or is refused.
 */
export class KeyStore {
  private readonly states = new Map<string, KeyState>();
  evicted = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly onFull: KeyLimitAction,
  ) {}

  get(key: string): KeyState | undefined {
    const state = this.states.get(key);
    if (state !== undefined) state.used = true;
    return state;
  }

  /** Adds a new key's state; false when the store is full and refuses new keys. */
  add(state: KeyState): boolean {
    if (this.states.size >= this.maxKeys) {
      if (this.onFull === 'reject') return false;
      this.evictOne();
    }
    this.states.set(state.key, state);
    return true;
  }

  get size(): number {
    return this.states.size;
  }

  clear(): void {
    this.states.clear();
  }

  private evictOne(): void {
    for (const [key, state] of this.states) {
      this.states.delete(key);
      if (!state.used) {
        this.evicted++;
        return;
      }
      state.used = false;
      this.states.set(key, state);
    }
  }
}
