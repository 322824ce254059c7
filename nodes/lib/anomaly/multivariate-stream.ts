import { PdmError } from '../errors';
import { PcaModel, resolveModelOptions, Smoother, type PcaModelJSON, type PcaModelOptions, type Statistic } from './multivariate';

/**
 * One asset's multivariate monitor: learns a baseline from its first `trainingSize` vectors,
 * then scores each vector, smooths T² and Q, and turns the score into an alarm with k-of-n
 * persistence and hysteresis.
 */
export interface MultivariateStreamOptions extends PcaModelOptions {
  /** Sensor names, fixing the order of every vector. */
  sensors: string[];
  /** Vectors gathered into the baseline before the model is fitted. */
  trainingSize: number;
  /** Raise the alarm when at least k of the last n scores exceed 1. Default 1 of 1. */
  persistence?: { k: number; n: number };
  /** Hysteresis: a raised alarm clears only once the score is below this (≤ 1) and persistence no longer holds. */
  clearBelow?: number;
  /** How many sensors to name as the main contributors. */
  topContributors?: number;
}

export type MultivariateState = 'learning' | 'normal' | 'anomaly';

export interface Contributor {
  sensor: string;
  contribution: number;
}

export interface MultivariateResult {
  ts: number;
  state: MultivariateState;
  /** Vectors in the baseline so far (equals trainingSize once fitted). */
  learned: number;
  /** max(T²/T²lim, Q/Qlim) of the smoothed statistics; NaN while learning. */
  score: number;
  t2: number;
  q: number;
  t2Limit: number;
  qLimit: number;
  /** The statistic that sets the score. */
  statistic: Statistic | undefined;
  /** Sensors that contribute most to that statistic for this vector, largest first. */
  contributors: Contributor[];
  /** The alarm rose on this vector. */
  onset: boolean;
  /** The alarm cleared on this vector. */
  cleared: boolean;
}

export interface MultivariateStreamJSON {
  model?: PcaModelJSON;
  baseline: number[][];
}

export class MultivariateStream {
  private readonly options: MultivariateStreamOptions;
  private readonly modelOptions: Required<PcaModelOptions>;
  private fitted: PcaModel | undefined;
  private baseline: number[][] = [];
  private readonly t2Smoother: Smoother;
  private readonly qSmoother: Smoother;
  private readonly exceeded: Uint8Array;
  private exceededNext = 0;
  private exceededCount = 0;
  private alarm = false;
  private readonly k: number;
  private readonly clearBelow: number;

  constructor(options: MultivariateStreamOptions, state?: MultivariateStreamJSON) {
    const { sensors, trainingSize, persistence = { k: 1, n: 1 }, clearBelow = 1, topContributors = 3, ...model } = options;
    const resolved = resolveModelOptions(model);
    if (sensors.length === 0 || new Set(sensors).size !== sensors.length) {
      throw new PdmError('INVALID_CONFIG', 'sensors must be a non-empty list of distinct names');
    }
    if (!(Number.isInteger(trainingSize) && trainingSize > sensors.length)) {
      throw new PdmError('INVALID_CONFIG', `trainingSize must be a whole number above the number of sensors (${sensors.length})`);
    }
    if (!(Number.isInteger(persistence.n) && Number.isInteger(persistence.k) && persistence.k >= 1 && persistence.k <= persistence.n)) {
      throw new PdmError('INVALID_CONFIG', 'persistence needs whole numbers 1 ≤ k ≤ n');
    }
    if (!(clearBelow > 0 && clearBelow <= 1)) throw new PdmError('INVALID_CONFIG', 'clearBelow must be in (0, 1]');
    this.options = { sensors: sensors.slice(), trainingSize, persistence, clearBelow, topContributors, ...resolved };
    this.modelOptions = resolved;
    this.k = persistence.k;
    this.clearBelow = clearBelow;
    this.exceeded = new Uint8Array(persistence.n);
    this.t2Smoother = new Smoother(resolved.smoothing);
    this.qSmoother = new Smoother(resolved.smoothing);
    if (state) this.restore(state);
  }

  get model(): PcaModel | undefined {
    return this.fitted;
  }

  get alarmed(): boolean {
    return this.alarm;
  }

  update(ts: number, values: ArrayLike<number>): MultivariateResult {
    const d = this.options.sensors.length;
    if (values.length !== d) throw new PdmError('INVALID_PAYLOAD', `vector has ${values.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(values[j])) throw new PdmError('NON_FINITE', `${this.options.sensors[j]} is ${values[j]}`);
    }
    const model = this.fitted;
    if (!model) return this.learn(ts, values);
    const raw = model.score(values);
    const t2 = this.t2Smoother.push(raw.t2);
    const q = this.qSmoother.push(raw.q);
    const t2Ratio = t2 / model.t2Limit;
    const qRatio = q / model.qLimit;
    const score = Math.max(t2Ratio, qRatio);
    const statistic: Statistic = qRatio > t2Ratio ? 'q' : 't2';
    const contributions = statistic === raw.statistic ? raw.contributions : model.contributionsOf(values, statistic);
    const { onset, cleared } = this.advanceAlarm(score);
    return {
      ts,
      state: this.alarm ? 'anomaly' : 'normal',
      learned: model.trainingSize,
      score,
      t2,
      q,
      t2Limit: model.t2Limit,
      qLimit: model.qLimit,
      statistic,
      contributors: this.topContributors(contributions),
      onset,
      cleared,
    };
  }

  /** Forgets the model and the baseline; the next vectors start a new baseline. */
  relearn(): void {
    this.fitted = undefined;
    this.baseline = [];
    this.resetRunning();
  }

  toJSON(): MultivariateStreamJSON {
    return this.fitted ? { model: this.fitted.toJSON(), baseline: [] } : { baseline: this.baseline.map((v) => v.slice()) };
  }

  private restore(state: MultivariateStreamJSON): void {
    if (state.model) {
      const model = PcaModel.fromJSON(state.model);
      if (model.sensors.join('\u0000') !== this.options.sensors.join('\u0000')) {
        throw new PdmError('INVALID_CONFIG', 'stored model was trained on other sensors');
      }
      this.fitted = model;
      return;
    }
    if (!Array.isArray(state.baseline)) throw new PdmError('INVALID_CONFIG', 'stored baseline is invalid');
    for (const v of state.baseline.slice(0, this.options.trainingSize)) this.learn(NaN, v);
  }

  private learn(ts: number, values: ArrayLike<number>): MultivariateResult {
    this.baseline.push(Array.from(values));
    if (this.baseline.length >= this.options.trainingSize) {
      const model = PcaModel.fit(this.options.sensors, this.baseline, this.modelOptions);
      this.resetRunning();
      this.primeSmoothers(model);
      this.fitted = model;
      this.baseline = [];
    }
    return {
      ts,
      state: 'learning',
      learned: this.fitted ? this.fitted.trainingSize : this.baseline.length,
      score: NaN,
      t2: NaN,
      q: NaN,
      t2Limit: this.fitted ? this.fitted.t2Limit : NaN,
      qLimit: this.fitted ? this.fitted.qLimit : NaN,
      statistic: undefined,
      contributors: [],
      onset: false,
      cleared: false,
    };
  }

  /** The smoothing window continues from the end of the baseline instead of starting empty. */
  private primeSmoothers(model: PcaModel): void {
    const window = this.modelOptions.smoothing.window;
    for (const v of this.baseline.slice(-window)) {
      const { t2, q } = model.score(v);
      this.t2Smoother.push(t2);
      this.qSmoother.push(q);
    }
  }

  private advanceAlarm(score: number): { onset: boolean; cleared: boolean } {
    const over = score > 1 ? 1 : 0;
    this.exceededCount += over - this.exceeded[this.exceededNext];
    this.exceeded[this.exceededNext] = over;
    this.exceededNext = (this.exceededNext + 1) % this.exceeded.length;
    const persistent = this.exceededCount >= this.k;
    if (!this.alarm && persistent) {
      this.alarm = true;
      return { onset: true, cleared: false };
    }
    if (this.alarm && !persistent && score < this.clearBelow) {
      this.alarm = false;
      return { onset: false, cleared: true };
    }
    return { onset: false, cleared: false };
  }

  private topContributors(contributions: Float64Array): Contributor[] {
    const n = Math.min(this.options.topContributors ?? 3, contributions.length);
    const order = Array.from(contributions.keys()).sort((a, b) => contributions[b] - contributions[a]);
    return order.slice(0, n).map((j) => ({ sensor: this.options.sensors[j], contribution: contributions[j] }));
  }

  private resetRunning(): void {
    this.t2Smoother.reset();
    this.qSmoother.reset();
    this.exceeded.fill(0);
    this.exceededNext = 0;
    this.exceededCount = 0;
    this.alarm = false;
  }
}
