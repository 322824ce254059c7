import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { PdmError } from '../errors';
import { Smoother, type SmoothingOptions } from './smoother';

export { Smoother, type SmoothingOptions };

/**
 * Hotelling T² and Q (squared prediction error) over a PCA model of a baseline.
 *
 * Vectors are standardised with the baseline mean and standard deviation, projected onto the
 * principal components that explain `varianceShare` of the baseline variance; T² = Σ t_i²/λ_i
 * measures distance inside that subspace, Q = ‖z − ẑ‖² the part the subspace cannot explain
 * (a broken correlation). Limits come from the baseline only, as an empirical quantile of its
 * own (optionally smoothed) statistics times a margin, so score = max(T²/T²lim, Q/Qlim) is 1 at
 * the limit.
 */

export interface PcaModelOptions {
  /** Share of the standardised variance the kept components must explain, in (0, 1]. */
  varianceShare?: number;
  /** Quantile of the baseline statistics taken as the limit, in (0, 1]; 1 = the baseline maximum. */
  limitQuantile?: number;
  /** Multiplier on that quantile (≥ 1 widens the limit). */
  limitMargin?: number;
  /** Smoothing applied to T² and Q before they meet their limits, in baseline and in use alike. */
  smoothing?: SmoothingOptions;
}

export const DEFAULT_MODEL_OPTIONS: Required<PcaModelOptions> = {
  varianceShare: 0.95,
  limitQuantile: 0.99,
  limitMargin: 1,
  smoothing: { kind: 'none', window: 1 },
};

export type Statistic = 't2' | 'q';

/** Plain-data form of a trained model, for context persistence. */
export interface PcaModelJSON {
  version: 1;
  sensors: string[];
  mean: number[];
  std: number[];
  /** Row-major d × k matrix of loadings (columns are the kept principal axes). */
  loadings: number[][];
  eigenvalues: number[];
  t2Limit: number;
  qLimit: number;
  smoothing: SmoothingOptions;
  trainingSize: number;
}

export interface VectorScore {
  t2: number;
  q: number;
  /** max(t2/t2Limit, q/qLimit) of the raw (unsmoothed) statistics. */
  score: number;
  statistic: Statistic;
  /**
   * Per-sensor share of the statistic that dominates, in sensor order: for Q the squared
   * residual of each standardised sensor, for T² z_j · Σ_i p_ji t_i / λ_i (these sum to T²;
   * a term can be negative).
   */
  contributions: Float64Array;
}

/** A pooled Q limit stays positive even when the baseline is fully explained by the kept axes. */
const MIN_LIMIT = 1e-9;

export class PcaModel {
  readonly sensors: readonly string[];
  readonly t2Limit: number;
  readonly qLimit: number;
  readonly smoothing: SmoothingOptions;
  readonly trainingSize: number;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  /** Row-major d × k. */
  private readonly loadings: Float64Array;
  private readonly eigenvalues: Float64Array;
  private readonly z: Float64Array;
  private readonly t: Float64Array;

  private constructor(json: PcaModelJSON) {
    const d = json.sensors.length;
    const k = json.eigenvalues.length;
    this.sensors = json.sensors.slice();
    this.mean = Float64Array.from(json.mean);
    this.std = Float64Array.from(json.std);
    this.eigenvalues = Float64Array.from(json.eigenvalues);
    this.loadings = new Float64Array(d * k);
    for (let j = 0; j < d; j++) for (let i = 0; i < k; i++) this.loadings[j * k + i] = json.loadings[j][i];
    this.t2Limit = json.t2Limit;
    this.qLimit = json.qLimit;
    this.smoothing = { kind: json.smoothing.kind, window: json.smoothing.window };
    this.trainingSize = json.trainingSize;
    this.z = new Float64Array(d);
    this.t = new Float64Array(k);
  }

  /** Trains on baseline vectors (each in `sensors` order); throws PdmError('INVALID_CONFIG'). */
  static fit(sensors: readonly string[], vectors: ArrayLike<number>[], options: PcaModelOptions = {}): PcaModel {
    const opts = resolveModelOptions(options);
    const d = sensors.length;
    if (d < 1) throw new PdmError('INVALID_CONFIG', 'a multivariate model needs at least one sensor');
    if (vectors.length <= d) {
      throw new PdmError('INVALID_CONFIG', `${vectors.length} baseline vectors for ${d} sensors: need more vectors than sensors`);
    }
    for (const v of vectors) {
      if (v.length !== d) throw new PdmError('INVALID_CONFIG', `baseline vector has ${v.length} values, expected ${d}`);
      for (let j = 0; j < d; j++) {
        if (!Number.isFinite(v[j])) throw new PdmError('INVALID_CONFIG', 'baseline vectors must hold finite numbers');
      }
    }
    const { mean, std } = columnMoments(vectors, d);
    const zRows = vectors.map((v) => Array.from({ length: d }, (_, j) => (v[j] - mean[j]) / std[j]));
    const zm = new Matrix(zRows);
    const cov = zm.transpose().mmul(zm).div(vectors.length - 1);
    const { values, axes } = sortedEigen(cov);
    const kept = keptComponents(values, opts.varianceShare);
    const json: PcaModelJSON = {
      version: 1,
      sensors: sensors.slice(),
      mean: Array.from(mean),
      std: Array.from(std),
      loadings: Array.from({ length: d }, (_, j) => axes[j].slice(0, kept)),
      eigenvalues: values.slice(0, kept),
      t2Limit: 1,
      qLimit: 1,
      smoothing: opts.smoothing,
      trainingSize: vectors.length,
    };
    const provisional = new PcaModel(json);
    const t2s = new Float64Array(vectors.length);
    const qs = new Float64Array(vectors.length);
    vectors.forEach((v, i) => {
      provisional.project(v);
      t2s[i] = provisional.hotelling();
      qs[i] = provisional.residual();
    });
    json.t2Limit = Math.max(MIN_LIMIT, baselineLimit(t2s, opts));
    json.qLimit = Math.max(MIN_LIMIT, baselineLimit(qs, opts));
    return new PcaModel(json);
  }

  static fromJSON(json: unknown): PcaModel {
    return new PcaModel(checkModelJSON(json));
  }

  toJSON(): PcaModelJSON {
    const d = this.sensors.length;
    const k = this.eigenvalues.length;
    return {
      version: 1,
      sensors: this.sensors.slice(),
      mean: Array.from(this.mean),
      std: Array.from(this.std),
      loadings: Array.from({ length: d }, (_, j) => Array.from(this.loadings.subarray(j * k, j * k + k))),
      eigenvalues: Array.from(this.eigenvalues),
      t2Limit: this.t2Limit,
      qLimit: this.qLimit,
      smoothing: { ...this.smoothing },
      trainingSize: this.trainingSize,
    };
  }

  get components(): number {
    return this.eigenvalues.length;
  }

  /** T², Q and contributions of one vector in `sensors` order. */
  score(vector: ArrayLike<number>): VectorScore {
    this.project(vector);
    const t2 = this.hotelling();
    const q = this.residual();
    const t2Ratio = t2 / this.t2Limit;
    const qRatio = q / this.qLimit;
    const statistic: Statistic = qRatio > t2Ratio ? 'q' : 't2';
    return { t2, q, score: Math.max(t2Ratio, qRatio), statistic, contributions: this.contributions(statistic) };
  }

  /** Per-sensor contributions of one vector to the given statistic (see VectorScore). */
  contributionsOf(vector: ArrayLike<number>, statistic: Statistic): Float64Array {
    this.project(vector);
    return this.contributions(statistic);
  }

  /** Fills this.z (standardised) and this.t (scores on the kept axes). */
  private project(vector: ArrayLike<number>): void {
    const d = this.sensors.length;
    const k = this.eigenvalues.length;
    this.t.fill(0);
    for (let j = 0; j < d; j++) {
      const zj = (vector[j] - this.mean[j]) / this.std[j];
      this.z[j] = zj;
      const row = j * k;
      for (let i = 0; i < k; i++) this.t[i] += zj * this.loadings[row + i];
    }
  }

  private hotelling(): number {
    let sum = 0;
    for (let i = 0; i < this.t.length; i++) sum += (this.t[i] * this.t[i]) / this.eigenvalues[i];
    return sum;
  }

  private residual(): number {
    let sum = 0;
    for (let j = 0; j < this.z.length; j++) {
      const r = this.residualAt(j);
      sum += r * r;
    }
    return sum;
  }

  private residualAt(j: number): number {
    const k = this.t.length;
    let fitted = 0;
    for (let i = 0; i < k; i++) fitted += this.t[i] * this.loadings[j * k + i];
    return this.z[j] - fitted;
  }

  private contributions(statistic: Statistic): Float64Array {
    const d = this.z.length;
    const k = this.t.length;
    const out = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      if (statistic === 'q') {
        const r = this.residualAt(j);
        out[j] = r * r;
      } else {
        let weight = 0;
        for (let i = 0; i < k; i++) weight += (this.loadings[j * k + i] * this.t[i]) / this.eigenvalues[i];
        out[j] = this.z[j] * weight;
      }
    }
    return out;
  }
}

export function resolveModelOptions(options: PcaModelOptions): Required<PcaModelOptions> {
  const opts = { ...DEFAULT_MODEL_OPTIONS, ...options };
  if (!(opts.varianceShare > 0 && opts.varianceShare <= 1)) {
    throw new PdmError('INVALID_CONFIG', 'varianceShare must be in (0, 1]');
  }
  if (!(opts.limitQuantile > 0 && opts.limitQuantile <= 1)) {
    throw new PdmError('INVALID_CONFIG', 'limitQuantile must be in (0, 1]');
  }
  if (!(opts.limitMargin > 0 && Number.isFinite(opts.limitMargin))) {
    throw new PdmError('INVALID_CONFIG', 'limitMargin must be a positive number');
  }
  checkSmoothing(opts.smoothing);
  return opts;
}

function checkSmoothing(s: SmoothingOptions): void {
  if (!['none', 'mean', 'ewma'].includes(s.kind)) throw new PdmError('INVALID_CONFIG', `unknown smoothing "${s.kind}"`);
  if (!(Number.isInteger(s.window) && s.window >= 1)) {
    throw new PdmError('INVALID_CONFIG', 'smoothing window must be a whole number ≥ 1');
  }
}

/** Baseline mean and sample std per column; a constant column keeps std 1 (engineering units). */
function columnMoments(vectors: ArrayLike<number>[], d: number): { mean: Float64Array; std: Float64Array } {
  const n = vectors.length;
  const mean = new Float64Array(d);
  for (const v of vectors) for (let j = 0; j < d; j++) mean[j] += v[j] / n;
  const std = new Float64Array(d);
  for (const v of vectors) for (let j = 0; j < d; j++) std[j] += (v[j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / (n - 1));
    std[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j])) ? s : 1;
  }
  return { mean, std };
}

/** Eigenvalues in descending order with their axes as rows of `axes[j][i]` = loading of sensor j on axis i. */
function sortedEigen(cov: Matrix): { values: number[]; axes: number[][] } {
  const evd = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const raw = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = raw.map((_, i) => i).sort((a, b) => raw[b] - raw[a]);
  const values = order.map((i) => Math.max(0, raw[i]));
  const axes = Array.from({ length: cov.rows }, (_, j) => order.map((i) => vectors.get(j, i)));
  return { values, axes };
}

/** Smallest number of axes whose eigenvalues reach the share; axes with no variance are never kept. */
function keptComponents(values: number[], share: number): number {
  const total = values.reduce((a, b) => a + b, 0);
  if (total <= 0) return 0;
  const floor = 1e-10 * total;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] <= floor) return i;
    sum += values[i];
    if (sum >= share * total * (1 - 1e-12)) return i + 1;
  }
  return values.length;
}

/** Quantile × margin of the baseline statistic after the same smoothing used online (warm-up skipped). */
function baselineLimit(stat: Float64Array, opts: Required<PcaModelOptions>): number {
  const smoother = new Smoother(opts.smoothing);
  const smoothed: number[] = [];
  const warmUp = stat.length > 2 * opts.smoothing.window ? opts.smoothing.window - 1 : 0;
  stat.forEach((value, i) => {
    const s = smoother.push(value);
    if (i >= warmUp) smoothed.push(s);
  });
  return quantile(smoothed, opts.limitQuantile) * opts.limitMargin;
}

/** Linear-interpolated quantile (the common "type 7" definition). */
export function quantile(values: number[], p: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function checkModelJSON(input: unknown): PcaModelJSON {
  const bad = (what: string): never => {
    throw new PdmError('INVALID_CONFIG', `stored multivariate model is invalid: ${what}`);
  };
  if (typeof input !== 'object' || input === null) return bad('not an object');
  const m = input as Partial<PcaModelJSON>;
  if (m.version !== 1) bad('unknown version');
  const sensors = m.sensors;
  if (!Array.isArray(sensors) || !sensors.every((s) => typeof s === 'string')) return bad('sensors');
  const d = sensors.length;
  const numbers = (a: unknown, len: number): boolean =>
    Array.isArray(a) && a.length === len && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!numbers(m.mean, d) || !numbers(m.std, d)) bad('mean/std');
  const k = Array.isArray(m.eigenvalues) ? m.eigenvalues.length : -1;
  if (!numbers(m.eigenvalues, k) || !(m.eigenvalues as number[]).every((x) => x > 0)) bad('eigenvalues');
  if (!Array.isArray(m.loadings) || m.loadings.length !== d || !m.loadings.every((row) => numbers(row, k))) bad('loadings');
  if (!(typeof m.t2Limit === 'number' && m.t2Limit > 0 && typeof m.qLimit === 'number' && m.qLimit > 0)) bad('limits');
  if (typeof m.smoothing !== 'object' || m.smoothing === null) return bad('smoothing');
  checkSmoothing(m.smoothing);
  if (typeof m.trainingSize !== 'number') bad('trainingSize');
  return m as PcaModelJSON;
}
