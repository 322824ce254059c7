import { rejection, type Rejection } from '../errors';
import { SensorRuleTable } from '../sensor-rules';
import { systemClock, type Clock } from '../status';
import type { AlertState, AnomalyEvent } from './events';
import { AlertStage, FatigueState } from './fatigue';
import { DETECTOR_COUNT, KeyModel, type KeyModelJSON } from './model';
import { compileOptions, TYPE_DEFAULTS, validateConfig, type CompiledOptions, type DetectorConfig, type SensorOptions } from './options';

class KeyState {
  readonly fatigue = new FatigueState();
  dirty = false;
  warm: boolean;

  constructor(readonly key: string, readonly model: KeyModel) {
    this.warm = model.ready;
  }
}

/**
 * The result of one reading. The detector reuses this object: read it before the next call.
 */
export interface Outcome {
  ok: boolean;
  key: string;
  score: number;
  warmingUp: boolean;
  /** The key is in a firing episode (after this reading). */
  firing: boolean;
  /** Set when the reading produced an event. */
  state: AlertState | undefined;
  event: AnomalyEvent | undefined;
  /** Set when !ok. */
  error: Rejection | undefined;
}

/**
 * Univariate anomaly detection for many keys (asset/sensor, or asset/sensor/feature for
 * window statistics): per-key baselines and detectors, a combined score (the maximum of the
 * enabled detectors), and the shared fatigue and event stages.
 */
export class AnomalyDetector {
  private readonly keys = new Map<string, KeyState>();
  private readonly table: SensorRuleTable<SensorOptions>;
  /** One compiled form per distinct resolved options object, shared by its keys. */
  private readonly compiled = new Map<SensorOptions, CompiledOptions>();
  private readonly scores = new Float64Array(DETECTOR_COUNT);
  private readonly outcome: Outcome = {
    ok: true, key: '', score: 0, warmingUp: false, firing: false, state: undefined, event: undefined, error: undefined,
  };
  private readonly alerts: AlertStage;
  private dirty: KeyState[] = [];
  /** Stored key states not seen yet since the restore; each is applied when its key first appears. */
  private pending: Record<string, unknown> = {};
  warmingCount = 0;
  keyLimitHits = 0;

  constructor(readonly config: DetectorConfig, now: Clock = systemClock) {
    validateConfig(config);
    this.alerts = new AlertStage(config.fatigue, config.severities, now);
    this.table = new SensorRuleTable(config.sensor, config.rules, TYPE_DEFAULTS);
  }

  /** Keys in a firing episode. */
  get firingCount(): number {
    return this.alerts.firingCount;
  }

  get keyCount(): number {
    return this.keys.size;
  }

  /** Scores one value. `feature` names the window feature for window-statistics input. */
  process(asset: string, sensor: string, value: number, ts: number, feature?: string): Outcome {
    const out = this.outcome;
    const key = feature === undefined ? `${asset}/${sensor}` : `${asset}/${sensor}/${feature}`;
    out.key = key;
    out.state = undefined;
    out.event = undefined;
    out.error = undefined;
    const st = this.keys.get(key) ?? this.create(key, asset, sensor);
    if (!st) {
      out.ok = false;
      out.score = 0;
      out.warmingUp = false;
      out.firing = false;
      out.error = rejection('KEY_LIMIT', `key limit ${this.config.maxKeys} reached; ${key} is not scored`);
      return out;
    }
    const model = st.model;
    const fatigue = st.fatigue;
    const score = model.score(value, ts, this.scores);
    const state = this.alerts.step(fatigue, score);
    if (state !== undefined) {
      const detectors = state === 'firing' ? model.detectorScores(this.scores, value, ts) : [];
      out.event = this.alerts.event(state, fatigue, { asset, sensor, feature, ts, value }, score, detectors, model.expected());
    }
    model.learn(value, ts, !(this.config.excludeAnomalies && score >= this.config.severities.low));
    if (!st.warm && model.ready) {
      st.warm = true;
      this.warmingCount--;
    }
    if (!st.dirty) {
      st.dirty = true;
      this.dirty.push(st);
    }
    out.ok = true;
    out.score = score;
    out.warmingUp = !st.warm;
    out.firing = fatigue.firing;
    out.state = state;
    return out;
  }

  private create(key: string, asset: string, sensor: string): KeyState | undefined {
    if (this.keys.size >= this.config.maxKeys) {
      this.keyLimitHits++;
      return undefined;
    }
    const options = this.table.resolve(asset, sensor).options;
    let compiled = this.compiled.get(options);
    if (compiled === undefined) {
      compiled = compileOptions(options);
      this.compiled.set(options, compiled);
    }
    const model = new KeyModel(compiled, this.config.mode === 'freeze');
    const stored = this.pending[key];
    if (stored !== undefined) {
      model.restore(stored);
      delete this.pending[key];
    }
    const st = new KeyState(key, model);
    this.keys.set(key, st);
    if (!st.warm) this.warmingCount++;
    return st;
  }

  /**
   * Takes stored key states (as written by `persist`). They are applied lazily, when each key
   * first appears, so a restore costs nothing for keys that never come back.
   */
  restore(stored: Record<string, unknown>): void {
    this.pending = { ...stored };
  }

  /** Keys changed since they were last persisted. */
  get dirtyCount(): number {
    return this.dirty.length;
  }

  /**
   * Writes the states changed since they were last persisted into `target`, at most `limit` of
   * them (the longest-waiting first), so that a caller can spread a large save over several turns
   * of the event loop. Returns how many changed keys were taken (a key released since it changed
   * is taken but not written).
   */
  persist(target: Record<string, KeyModelJSON | unknown>, limit = Infinity): number {
    const changed = this.dirty.length <= limit ? this.dirty : this.dirty.splice(0, limit);
    if (changed === this.dirty) this.dirty = [];
    for (const st of changed) {
      st.dirty = false;
      // A key released since it changed is no longer this detector's to save.
      if (this.keys.get(st.key) !== st) continue;
      target[st.key] = st.model.toJSON();
    }
    return changed.length;
  }

  /** The stored form of a key's state, live or restored but not yet seen; undefined when unknown. */
  stateOf(key: string): unknown {
    return this.keys.get(key)?.model.toJSON() ?? this.pending[key];
  }

  /** Forgets every key `owned` accepts and returns their stored states (for a hand-over). */
  release(owned: (key: string) => boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, st] of this.keys) {
      if (!owned(key)) continue;
      out[key] = st.model.toJSON();
      this.drop(st);
    }
    for (const key of Object.keys(this.pending)) {
      if (!owned(key)) continue;
      out[key] = this.pending[key];
      delete this.pending[key];
    }
    return out;
  }

  /** Replaces a key's state with a stored one, applied when the key next appears. */
  adopt(key: string, stored: unknown): void {
    const st = this.keys.get(key);
    if (st) this.drop(st);
    this.pending[key] = stored;
  }

  private drop(st: KeyState): void {
    this.keys.delete(st.key);
    if (!st.warm) this.warmingCount--;
    if (st.fatigue.firing) this.alerts.firingCount--;
  }

  /** Whether any key has finished warming up. */
  get anyReady(): boolean {
    return this.keys.size > this.warmingCount;
  }
}
