import { PdmError } from '../errors';
import { roundScore, type DetectorScore } from './events';
import { checkVector } from './multivariate-align';
import { Centring, centredBaseline, type CentringJSON } from './multivariate-centring';
import { stationaryColumns } from './multivariate-drift';
import { Smoother, type SmootherJSON } from './smoother';
import { PcaModel, resolveModelOptions, type PcaModelJSON, type PcaModelOptions, type Statistic } from './multivariate';

/**
 * One asset's multivariate scorer: learns a baseline from its first `trainingSize` vectors, fits
 * the PCA model once (the baseline is frozen after training), then scores each vector with
 * smoothed T² and Q. Turning scores into alerts is left to the shared fatigue stage.
 */
export interface MultivariateStreamOptions extends PcaModelOptions {
  /** Sensor names, fixing the order of every vector. */
  sensors: string[];
  /** Vectors gathered into the baseline before the model is fitted. */
  trainingSize: number;
  /**
   * Leave out of the model the sensors whose drift across the training vectors (see
   * multivariate-drift.ts) exceeds this; absent = every sensor is kept.
   */
  driftThreshold?: number;
  /**
   * Score each vector against a slow moving average of the vectors (this time constant, in
   * vectors) instead of the training mean; see multivariate-centring.ts. The caller feeds the
   * average through `follow` while the asset is not firing. Absent = the training mean.
   */
  centringTimeConstant?: number;
  /** How many sensors to name as the main contributors. */
  topContributors?: number;
}

export interface Contributor {
  sensor: string;
  /** The sensor's part of the statistic divided by the statistic (T² terms can be negative). */
  share: number;
}

/** What one vector gave. The stream reuses this object: read it before the next update. */
export interface MultivariateResult {
  ts: number;
  learning: boolean;
  /** Vectors in the baseline so far (equals trainingSize once fitted). */
  learned: number;
  /** max(T²/T²lim, Q/Qlim) of the smoothed statistics; NaN while learning. */
  score: number;
  /** Smoothed T² / its limit, and Q / its limit. */
  t2Ratio: number;
  qRatio: number;
  /** The statistic that sets the score. */
  statistic: Statistic | undefined;
}

export interface MultivariateStreamJSON {
  model?: PcaModelJSON;
  baseline: number[][];
  /** Running state of the T² and Q smoothers, so a restored stream scores exactly as before. */
  smoothers?: [SmootherJSON, SmootherJSON];
  /** The moving centre, with centringTimeConstant. */
  centring?: CentringJSON;
}

const STATISTICS: readonly Statistic[] = ['t2', 'q'];

export class MultivariateStream {
  readonly sensors: readonly string[];
  private readonly trainingSize: number;
  private readonly driftThreshold: number | undefined;
  private readonly centring: Centring | undefined;
  private readonly top: number;
  private readonly modelOptions: Required<PcaModelOptions>;
  private fitted: PcaModel | undefined;
  /** Vector index of each model sensor. */
  private columns: number[] = [];
  private projected = new Float64Array(0);
  private baseline: number[][] = [];
  private readonly t2Smoother: Smoother;
  private readonly qSmoother: Smoother;
  private readonly result: MultivariateResult = {
    ts: 0, learning: true, learned: 0, score: NaN, t2Ratio: NaN, qRatio: NaN, statistic: undefined,
  };

  constructor(options: MultivariateStreamOptions, state?: MultivariateStreamJSON) {
    const { sensors, trainingSize, driftThreshold, centringTimeConstant, topContributors = 3, ...model } = options;
    this.modelOptions = resolveModelOptions(model);
    if (sensors.length === 0 || new Set(sensors).size !== sensors.length) {
      throw new PdmError('INVALID_CONFIG', 'sensors must be a non-empty list of distinct names');
    }
    if (!(Number.isInteger(trainingSize) && trainingSize > sensors.length)) {
      throw new PdmError('INVALID_CONFIG', `trainingSize must be a whole number above the number of sensors (${sensors.length})`);
    }
    if (driftThreshold !== undefined && !(driftThreshold > 0)) throw new PdmError('INVALID_CONFIG', 'driftThreshold must be > 0');
    if (centringTimeConstant !== undefined) {
      this.centring = new Centring(sensors.length, centringTimeConstant);
      if (!(trainingSize - centringTimeConstant > sensors.length)) {
        throw new PdmError('INVALID_CONFIG', `the training size must exceed the centring time constant by more than the number of sensors (${sensors.length})`);
      }
    }
    this.sensors = sensors.slice();
    this.trainingSize = trainingSize;
    this.driftThreshold = driftThreshold;
    this.top = topContributors;
    this.t2Smoother = new Smoother(this.modelOptions.smoothing);
    this.qSmoother = new Smoother(this.modelOptions.smoothing);
    if (state) this.restore(state);
  }

  get model(): PcaModel | undefined {
    return this.fitted;
  }

  get trained(): boolean {
    return this.fitted !== undefined;
  }

  /** Configured sensors that the fitted model leaves out (drifting during training). */
  get excluded(): string[] {
    if (!this.fitted) return [];
    const kept = this.fitted.sensors;
    return this.sensors.filter((s) => !kept.includes(s));
  }

  update(ts: number, values: ArrayLike<number>): MultivariateResult {
    checkVector(this.sensors, values);
    const out = this.result;
    out.ts = ts;
    const model = this.fitted;
    if (!model) {
      this.learn(values);
      out.learning = true;
      out.learned = this.fitted ? this.trainingSize : this.baseline.length;
      out.score = NaN;
      out.t2Ratio = NaN;
      out.qRatio = NaN;
      out.statistic = undefined;
      return out;
    }
    const raw = model.score(this.prepare(values));
    out.t2Ratio = this.t2Smoother.push(raw.t2) / model.t2Limit;
    out.qRatio = this.qSmoother.push(raw.q) / model.qLimit;
    out.statistic = out.qRatio > out.t2Ratio ? 'q' : 't2';
    out.score = out.statistic === 'q' ? out.qRatio : out.t2Ratio;
    out.learning = false;
    out.learned = model.trainingSize;
    return out;
  }

  /** The sensors that contribute most to a statistic for this vector, largest first. */
  contributors(values: ArrayLike<number>, statistic: Statistic): Contributor[] {
    const model = this.fitted;
    if (!model) return [];
    const c = model.contributionsOf(this.prepare(values), statistic);
    let total = 0;
    for (let j = 0; j < c.length; j++) total += c[j];
    const n = Math.min(this.top, c.length);
    const order = Array.from(c.keys()).sort((a, b) => c[b] - c[a]);
    return order.slice(0, n).map((j) => ({ sensor: model.sensors[j], share: total > 0 ? c[j] / total : 0 }));
  }

  /** Moves the centre towards an accepted vector (with centring, once the model is fitted): one while the asset is not firing and within the limit. */
  follow(values: ArrayLike<number>, accepted: boolean): void {
    if (accepted && this.fitted && this.centring) this.centring.follow(values);
  }

  /** T² and Q of the vector last updated, those at or over `low`, each with its top contributing sensors as shares of the statistic. */
  detectorScores(low: number, values: ArrayLike<number>): DetectorScore[] {
    const out: DetectorScore[] = [];
    const ratios = { t2: this.result.t2Ratio, q: this.result.qRatio };
    for (const name of STATISTICS) {
      if (!(ratios[name] >= low)) continue;
      const detail: Record<string, number> = {};
      for (const c of this.contributors(values, name)) detail[c.sensor] = roundScore(c.share);
      out.push({ name, score: roundScore(ratios[name]), detail });
    }
    return out;
  }

  toJSON(): MultivariateStreamJSON {
    if (!this.fitted) return { baseline: this.baseline.map((v) => v.slice()) };
    const json: MultivariateStreamJSON = { model: this.fitted.toJSON(), baseline: [], smoothers: [this.t2Smoother.toJSON(), this.qSmoother.toJSON()] };
    if (this.centring) json.centring = this.centring.toJSON();
    return json;
  }

  /** The vector as the model takes it: centred when configured, then reduced to the model's sensors. */
  private prepare(values: ArrayLike<number>): ArrayLike<number> {
    const centred = this.centring ? this.centring.deviationOf(values) : values;
    if (this.columns.length === this.sensors.length) return centred;
    for (let i = 0; i < this.columns.length; i++) this.projected[i] = centred[this.columns[i]];
    return this.projected;
  }

  private restore(state: MultivariateStreamJSON): void {
    if (state.model) {
      const model = PcaModel.fromJSON(state.model);
      if (!model.sensors.every((s) => this.sensors.includes(s))) {
        throw new PdmError('INVALID_CONFIG', 'stored model was trained on other sensors');
      }
      this.use(model, []);
      this.centring?.restore(state.centring);
      if (Array.isArray(state.smoothers)) {
        this.t2Smoother.restore(state.smoothers[0]);
        this.qSmoother.restore(state.smoothers[1]);
      }
      return;
    }
    if (!Array.isArray(state.baseline)) throw new PdmError('INVALID_CONFIG', 'stored baseline is invalid');
    for (const v of state.baseline.slice(0, this.trainingSize)) {
      if (!Array.isArray(v) || v.length !== this.sensors.length || !v.every(Number.isFinite)) {
        throw new PdmError('INVALID_CONFIG', 'stored baseline is invalid');
      }
      this.learn(v as number[]);
    }
  }

  private learn(values: ArrayLike<number>): void {
    this.baseline.push(Array.from(values));
    if (this.baseline.length < this.trainingSize) return;
    const d = this.sensors.length;
    const kept = this.driftThreshold === undefined
      ? this.sensors.map((_, j) => j)
      : stationaryColumns(this.baseline, d, this.driftThreshold);
    const centred = this.centring ? centredBaseline(this.centring, this.baseline) : this.baseline;
    const rows = kept.length === d ? centred : centred.map((v) => kept.map((j) => v[j]));
    const model = PcaModel.fit(kept.map((j) => this.sensors[j]), rows, this.modelOptions);
    this.use(model, rows);
    this.baseline = [];
  }

  /** The smoothing window continues from the end of the baseline instead of starting empty. */
  private use(model: PcaModel, rows: number[][]): void {
    this.fitted = model;
    this.columns = model.sensors.map((s) => this.sensors.indexOf(s));
    this.projected = new Float64Array(this.columns.length);
    this.t2Smoother.reset();
    this.qSmoother.reset();
    for (const v of rows.slice(-this.modelOptions.smoothing.window)) {
      const { t2, q } = model.score(v);
      this.t2Smoother.push(t2);
      this.qSmoother.push(q);
    }
  }
}
