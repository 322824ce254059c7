import { rejection, type Rejection } from '../errors';
import type { Reading } from '../reading';
import { SensorRuleTable, type SensorRule } from '../sensor-rules';
import { systemClock, type Clock } from '../status';
import { KeyState, KeyStore, type KeyLimitAction } from './key-state';
import { decodePayload, normaliseItem, topicHint, type NormaliseHost, type TopicHint } from './normalise';
import { checkReading, TYPE_RANGES, UNBOUNDED_RULES, type CheckPolicy, type QualityRules } from './rules';
import { ScoreRing } from './score-ring';

export interface QualityConfig extends CheckPolicy {
  /** Rules for keys no table row matches (before the sensor-type range profile is applied). */
  defaults: QualityRules;
  rules: SensorRule<QualityRules>[];
  /** Readings per key (and for the node) that the good-share score covers. */
  scoreWindow: number;
  /** Items a batch may hold; a larger one is refused whole. */
  maxBatch: number;
  /** Keys whose state is kept; see KeyStore for what happens beyond. */
  maxKeys: number;
  keyLimit: KeyLimitAction;
}

export const DEFAULT_QUALITY_CONFIG: Readonly<QualityConfig> = {
  defaults: UNBOUNDED_RULES,
  rules: [],
  futureToleranceMs: 5_000,
  maxAgeMs: 24 * 3600_000,
  duplicates: 'ts',
  flatlineAction: 'uncertain',
  scoreWindow: 100,
  maxBatch: 100_000,
  maxKeys: 100_000,
  keyLimit: 'evict',
};

export interface RejectedItem {
  /** The reading as normalised when it failed a rule check, the item as received when it could not be read. */
  input: unknown;
  error: Rejection;
}

/** What msg.quality carries. */
export interface QualitySummary {
  accepted: number;
  rejected: number;
  /** Accepted readings whose quality is 'uncertain'. */
  uncertain: number;
  /** Good share of the last `scoreWindow` readings of each key this message touched. */
  scores: Record<string, number>;
  /** Single-reading messages: the key and its score. */
  key?: string;
  score?: number;
}

export interface MessageOutcome {
  /** The payload was one item that gave one reading (accepted or rejected), not a batch. */
  single: boolean;
  accepted: Reading[];
  rejected: RejectedItem[];
  /** Set when the message as a whole cannot be used: nothing in it is a reading, or it is too large. */
  failure?: Rejection;
  quality: QualitySummary;
}

export interface QualityTotals {
  accepted: number;
  rejected: number;
  uncertain: number;
  /** Messages refused whole (unusable or too large). */
  failedMessages: number;
  /** Good share of the node's last `scoreWindow` readings. */
  score: number;
  keys: number;
  evictedKeys: number;
}

/**
 * The data-quality core: normalises a message's payload to readings, checks each against its
 * key's rules and history, and splits them into accepted and rejected.
 */
export class DataQualityChecker implements NormaliseHost {
  private readonly config: QualityConfig;
  private readonly table: SensorRuleTable<QualityRules>;
  private readonly store: KeyStore;
  private readonly nodeScore: ScoreRing;
  private readonly totalsSoFar = { accepted: 0, rejected: 0, uncertain: 0, failedMessages: 0 };
  // The message being checked.
  arrival = 0;
  private topic: unknown;
  private hint: TopicHint | undefined;
  private hintResolved = false;
  private stamp = 0;
  private accepted: Reading[] = [];
  private rejected: RejectedItem[] = [];
  private uncertain = 0;
  private touched: KeyState[] = [];

  constructor(config: Partial<QualityConfig> = {}, private readonly now: Clock = systemClock) {
    this.config = { ...DEFAULT_QUALITY_CONFIG, ...config };
    this.table = new SensorRuleTable(this.config.defaults, this.config.rules, TYPE_RANGES);
    this.store = new KeyStore(this.config.maxKeys, this.config.keyLimit);
    this.nodeScore = new ScoreRing(this.config.scoreWindow);
  }

  check(payload: unknown, topic?: unknown): MessageOutcome {
    this.begin(topic);
    const decoded = decodePayload(payload);
    if (!decoded.ok) return this.fail(decoded.error);
    const content = decoded.value;
    if (Array.isArray(content)) {
      if (content.length > this.config.maxBatch) {
        return this.fail(rejection('PAYLOAD_TOO_LARGE', `batch of ${content.length} items exceeds the limit of ${this.config.maxBatch}`));
      }
      let recognised = 0;
      for (let i = 0; i < content.length; i++) if (normaliseItem(content[i], this)) recognised++;
      if (recognised === 0 && content.length > 0) {
        return this.fail(rejection('INVALID_PAYLOAD', `none of the ${content.length} items is a reading`));
      }
      return this.finish(false);
    }
    if (!normaliseItem(content, this)) return this.fail(this.rejected[0].error);
    return this.finish(this.accepted.length + this.rejected.length === 1);
  }

  totals(): QualityTotals {
    return {
      ...this.totalsSoFar,
      score: this.nodeScore.score,
      keys: this.store.size,
      evictedKeys: this.store.evicted,
    };
  }

  /** Forgets every key's history and the counts. */
  clear(): void {
    this.store.clear();
    this.nodeScore.clear();
    Object.assign(this.totalsSoFar, { accepted: 0, rejected: 0, uncertain: 0, failedMessages: 0 });
  }

  topicHint(): TopicHint | undefined {
    if (!this.hintResolved) {
      this.hint = topicHint(this.topic);
      this.hintResolved = true;
    }
    return this.hint;
  }

  reading(reading: Reading, stamped = false): void {
    const state = this.stateOf(reading.asset, reading.sensor);
    if (state === undefined) return this.refuseKey(reading);
    const failure = checkReading(reading, state, this.config, this.arrival, stamped);
    if (failure !== undefined) {
      this.record(state, false);
      this.rejected.push({ input: reading, error: failure });
      return;
    }
    const good = reading.quality === 'good';
    if (!good) this.uncertain++;
    this.record(state, good);
    this.accepted.push(reading);
  }

  reject(input: unknown, error: Rejection, asset?: string, sensor?: string): void {
    const state = asset !== undefined && sensor !== undefined ? this.stateOf(asset, sensor) : undefined;
    if (state !== undefined) this.record(state, false);
    else this.nodeScore.record(false);
    this.rejected.push({ input, error });
  }

  private begin(topic: unknown): void {
    this.arrival = this.now();
    this.topic = topic;
    this.hintResolved = false;
    this.stamp++;
    this.accepted = [];
    this.rejected = [];
    this.uncertain = 0;
    this.touched = [];
  }

  private stateOf(asset: string, sensor: string): KeyState | undefined {
    const key = `${asset}/${sensor}`;
    const known = this.store.get(key);
    if (known !== undefined) return known;
    const { type, options } = this.table.resolve(asset, sensor);
    const state = new KeyState(key, type, options, this.config.scoreWindow);
    return this.store.add(state) ? state : undefined;
  }

  private refuseKey(reading: Reading): void {
    reading.quality = 'bad';
    this.nodeScore.record(false);
    this.rejected.push({ input: reading, error: rejection('KEY_LIMIT', `already tracking ${this.config.maxKeys} keys`) });
  }

  private record(state: KeyState, good: boolean): void {
    state.score.record(good);
    this.nodeScore.record(good);
    if (state.touchedBy !== this.stamp) {
      state.touchedBy = this.stamp;
      this.touched.push(state);
    }
  }

  private finish(single: boolean): MessageOutcome {
    // Keyed by asset/sensor: an ordinary object would get a new hidden class for every key it meets,
    // allocated in the old generation; a prototype-less one is a plain dictionary from the start.
    const scores: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const state of this.touched) scores[state.key] = state.score.score;
    const quality: QualitySummary = {
      accepted: this.accepted.length,
      rejected: this.rejected.length,
      uncertain: this.uncertain,
      scores,
    };
    if (single && this.touched.length === 1) {
      quality.key = this.touched[0].key;
      quality.score = this.touched[0].score.score;
    }
    this.totalsSoFar.accepted += this.accepted.length;
    this.totalsSoFar.rejected += this.rejected.length;
    this.totalsSoFar.uncertain += this.uncertain;
    return { single, accepted: this.accepted, rejected: this.rejected, quality };
  }

  private fail(failure: Rejection): MessageOutcome {
    this.totalsSoFar.failedMessages++;
    return {
      single: false,
      accepted: [],
      rejected: [],
      failure,
      quality: { accepted: 0, rejected: 0, uncertain: 0, scores: Object.create(null) as Record<string, number> },
    };
  }
}
