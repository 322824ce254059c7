import { PdmError, rejection, type Rejection } from '../errors';
import type { Reading } from '../reading';
import { systemClock, type Clock } from '../status';
import { DeviationStream, type DeviationOptions, type DeviationStreamJSON } from './deviation';
import type { AlertState, AnomalyEvent, DetectorScore, SeverityThresholds } from './events';
import { AlertStage, FatigueState, type FatigueOptions } from './fatigue';
import { VectorAligner } from './multivariate-align';
import { MultivariateStream, type MultivariateStreamJSON, type MultivariateStreamOptions } from './multivariate-stream';
import type { SmoothingOptions } from './smoother';

/** 'pca': Hotelling T² and Q over the vector; 'deviation': each sensor against its own moving centre (deviation.ts). */
export type MultivariateMethod = 'pca' | 'deviation';

/** The multivariate options of the anomaly-detect node (see multivariate-config.ts). */
export interface MultivariateConfig {
  /** Sensor names of one asset, in vector order; the first paces 'latest' alignment. */
  sensors: string[];
  align: 'timestamp' | 'latest';
  method: MultivariateMethod;
  /** 'timestamp': readings within this many ms form one vector. */
  toleranceMs: number;
  /** 'latest': the oldest value a vector may use, in ms. */
  maxAgeMs: number;
  trainingSize: number;
  varianceShare: number;
  limitQuantile: number;
  smoothing: SmoothingOptions;
  /** Leave out sensors that drift more than this during training; undefined = keep all. */
  driftThreshold: number | undefined;
  /**
   * Score against a moving centre with this time constant in vectors, following only vectors under
   * the limit while the asset is not firing; undefined = the training mean.
   */
  centringTimeConstant: number | undefined;
  /** 'deviation': the rolling-mean length per sensor, in vectors. */
  deviationWindow: number;
  /** 'deviation': the time constant of the moving centre, in vectors. */
  deviationCentreTime: number;
  /** k-of-n persistence, clear-below (clearRatio), and the node's clear samples and cooldown. */
  fatigue: FatigueOptions;
  severities: SeverityThresholds;
  maxAssets: number;
}

/** What the node stores in context: the model settings they were made with, and each asset's stream. */
export interface MultivariateStore {
  settings: string;
  assets: Record<string, AssetScorerJSON>;
}

type AssetScorerJSON = MultivariateStreamJSON | DeviationStreamJSON;

/** What the detector needs of one asset's scorer, whichever the method. */
interface AssetScorer {
  readonly trained: boolean;
  /** Configured sensors the fitted model leaves out. */
  readonly excluded?: string[];
  update(ts: number, values: ArrayLike<number>): { learning: boolean; score: number };
  /** `accepted`: the asset is not firing and the vector is within the limit. */
  follow(values: ArrayLike<number>, accepted: boolean): void;
  /** The statistics of the vector last updated that reach `low`, with their main sensors. */
  detectorScores(low: number, values: ArrayLike<number>): DetectorScore[];
  toJSON(): AssetScorerJSON;
}

/** The result of one reading. The detector reuses this object: read it before the next call. */
export interface MultivariateOutcome {
  /** The reading completed a vector that was learned or scored. */
  vector: boolean;
  key: string;
  learning: boolean;
  score: number;
  firing: boolean;
  state: AlertState | undefined;
  event: AnomalyEvent<Record<string, number>> | undefined;
  error: Rejection | undefined;
}

class AssetState {
  readonly fatigue = new FatigueState();
  dirty = false;

  constructor(readonly asset: string, readonly key: string, readonly stream: AssetScorer) {}
}

/**
 * Hotelling T² and Q (or per-sensor deviation) per asset over a configured set of its sensors: vectors are assembled from
 * single-sensor readings, each asset learns its own baseline and then scores, and the score goes
 * through the same fatigue and event stages as the univariate detectors. Events name the sensor
 * group as the configured names joined with ',' (so the key is "asset/s1,s2,s3").
 */
export class MultivariateDetector {
  readonly sensorName: string;
  private readonly aligner: VectorAligner;
  private readonly scorerOf: (stored?: AssetScorerJSON) => AssetScorer;
  private readonly alerts: AlertStage;
  private readonly assets = new Map<string, AssetState>();
  private readonly settingsId: string;
  private pending: Record<string, AssetScorerJSON> = {};
  private dirty = false;
  private readonly outcome: MultivariateOutcome = {
    vector: false, key: '', learning: false, score: 0, firing: false, state: undefined, event: undefined, error: undefined,
  };
  /** Assets still gathering their baseline. */
  learningCount = 0;
  /** Stored asset states that no longer fitted the configuration and were dropped. */
  discarded = 0;

  constructor(readonly config: MultivariateConfig, now: Clock = systemClock) {
    const { sensors } = config;
    if (sensors.length < 2) throw new PdmError('INVALID_CONFIG', 'the multivariate detector needs at least two sensors');
    this.sensorName = sensors.join(',');
    this.aligner = new VectorAligner({
      sensors, mode: config.align, toleranceMs: config.toleranceMs, maxAgeMs: config.maxAgeMs, maxAssets: config.maxAssets,
    });
    if (config.method === 'deviation') {
      const options: DeviationOptions = {
        sensors, trainingSize: config.trainingSize, window: config.deviationWindow, centreTime: config.deviationCentreTime,
      };
      this.scorerOf = (stored) => new DeviationStream(options, stored as DeviationStreamJSON | undefined);
      this.settingsId = JSON.stringify({ method: config.method, ...options });
    } else {
      const options: MultivariateStreamOptions = {
        sensors,
        trainingSize: config.trainingSize,
        varianceShare: config.varianceShare,
        limitQuantile: config.limitQuantile,
        smoothing: config.smoothing,
        driftThreshold: config.driftThreshold,
        centringTimeConstant: config.centringTimeConstant,
      };
      this.scorerOf = (stored) => new MultivariateStream(options, stored as MultivariateStreamJSON | undefined);
      this.settingsId = JSON.stringify(options);
    }
    this.scorerOf(); // throws on bad options at deploy, not at the first vector
    this.alerts = new AlertStage(config.fatigue, config.severities, now);
  }

  get assetCount(): number {
    return this.assets.size;
  }

  get firingCount(): number {
    return this.alerts.firingCount;
  }

  /** Feeds one reading; readings of other sensors are ignored (vector false). */
  push(reading: Reading): MultivariateOutcome {
    const out = this.outcome;
    out.vector = false;
    out.state = undefined;
    out.event = undefined;
    out.error = undefined;
    let vector;
    try {
      vector = this.aligner.push(reading);
    } catch (err) {
      out.error = rejection('KEY_LIMIT', err instanceof Error ? err.message : String(err));
      return out;
    }
    if (vector === undefined) return out;
    const st = this.assets.get(vector.asset) ?? this.create(vector.asset);
    const result = st.stream.update(vector.ts, vector.values);
    out.vector = true;
    out.key = st.key;
    out.learning = result.learning;
    out.score = result.learning ? 0 : result.score;
    if (!st.dirty) {
      st.dirty = true;
      this.dirty = true;
    }
    if (result.learning) {
      if (st.stream.trained) this.learningCount--;
      out.firing = false;
      return out;
    }
    const state = this.alerts.step(st.fatigue, result.score);
    out.firing = st.fatigue.firing;
    // Only vectors the model accepts teach the moving centre at full speed, so a fault does not become the new normal.
    st.stream.follow(vector.values, !out.firing && result.score <= 1);
    if (state === undefined) return out;
    const detectors = state === 'firing' ? st.stream.detectorScores(this.config.severities.low, vector.values) : [];
    const event = this.alerts.event(state, st.fatigue, { asset: st.asset, sensor: this.sensorName, ts: vector.ts, value: this.record(vector.values) }, result.score, detectors);
    const excluded = st.stream.excluded ?? [];
    if (excluded.length > 0) event.excluded = excluded;
    out.state = state;
    out.event = event;
    return out;
  }

  /** Takes what `persist` stored; states made with other model settings are dropped (the assets relearn). */
  restore(stored: unknown): void {
    if (typeof stored !== 'object' || stored === null) return;
    const s = stored as Partial<MultivariateStore>;
    if (s.settings !== this.settingsId || typeof s.assets !== 'object' || s.assets === null) {
      this.discarded += typeof s.assets === 'object' && s.assets !== null ? Object.keys(s.assets).length : 0;
      return;
    }
    this.pending = { ...s.assets };
  }

  /** The whole store when any asset changed since the last call, else undefined. */
  persist(): MultivariateStore | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    const assets: Record<string, AssetScorerJSON> = { ...this.pending };
    for (const st of this.assets.values()) {
      st.dirty = false;
      assets[st.asset] = st.stream.toJSON();
    }
    return { settings: this.settingsId, assets };
  }

  private create(asset: string): AssetState {
    let stream: AssetScorer;
    const stored = this.pending[asset];
    delete this.pending[asset];
    try {
      stream = this.scorerOf(stored);
    } catch {
      this.discarded++;
      stream = this.scorerOf();
    }
    const st = new AssetState(asset, `${asset}/${this.sensorName}`, stream);
    this.assets.set(asset, st);
    if (!stream.trained) this.learningCount++;
    return st;
  }

  private record(values: ArrayLike<number>): Record<string, number> {
    const record: Record<string, number> = {};
    this.config.sensors.forEach((s, j) => (record[s] = values[j]));
    return record;
  }
}
