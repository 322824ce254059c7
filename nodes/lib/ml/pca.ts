import { PdmError } from '../errors';
import { PcaModel, type PcaModelJSON } from '../anomaly/multivariate';
import { quantileThreshold, type Dataset } from './dataset';
import { GraphBuilder, standardise, weightedSquareSum } from './onnx-graph';

/**
 * PCA with Hotelling T² and Q (SPE) for batch training. The decomposition is the streaming
 * detector's PcaModel (eigen-decomposition of the standardised covariance, components by explained
 * variance); the limits here come from held-back normal data instead of the training rows:
 * T²₀ and Q₀ are the chosen quantile of each statistic on the held-back rows, and the combined
 * max(T²/T²₀, Q/Q₀) gets its own quantile threshold there, so that score ≥ 1 is as rare on the
 * held-back data as the quantile says (times an optional margin). The limits stored are T²₀ and
 * Q₀ times that threshold.
 */
export interface PcaTrainOptions {
  /** Share of standardised variance the kept components explain, (0, 1]. */
  varianceShare: number;
  /** Quantile of held-back scores taken as the threshold, (0, 1]. */
  thresholdQuantile: number;
  /** Multiplier on that quantile (≥ 1 widens the limit). */
  thresholdMargin: number;
}

export interface PcaTrained {
  kind: 'pca';
  model: PcaModelJSON;
  /** The combined statistic's threshold (in units of the per-statistic held-back quantiles). */
  threshold: number;
  explainedVariance: number;
}

export interface PcaScores {
  score: Float64Array;
  t2: Float64Array;
  q: Float64Array;
}

function rowsOf(dataset: Dataset): Float64Array[] {
  const d = dataset.features.length;
  return Array.from({ length: dataset.rows }, (_, i) => dataset.data.subarray(i * d, (i + 1) * d));
}

export function trainPca(train: Dataset, heldBack: Dataset, options: PcaTrainOptions): PcaTrained {
  const fitted = PcaModel.fit(train.features, rowsOf(train), { varianceShare: options.varianceShare });
  if (fitted.components === 0) throw new PdmError('INVALID_PAYLOAD', 'the training data has no variance: every feature is constant');
  const raw = scoreWith(fitted, heldBack);
  const t2Base = quantileThreshold(raw.t2, options.thresholdQuantile);
  const qBase = quantileThreshold(raw.q, options.thresholdQuantile);
  const combined = raw.t2.map((t2, i) => Math.max(t2 / t2Base, raw.q[i] / qBase));
  const threshold = quantileThreshold(combined, options.thresholdQuantile) * options.thresholdMargin;
  const model = { ...fitted.toJSON(), t2Limit: t2Base * threshold, qLimit: qBase * threshold };
  return { kind: 'pca', model, threshold, explainedVariance: explained(train, model) };
}

/** Score (max of T²/T²lim and Q/Qlim), T² and Q of each row. */
export function scorePca(trained: PcaTrained, dataset: Dataset): PcaScores {
  return scoreWith(PcaModel.fromJSON(trained.model), dataset);
}

function scoreWith(model: PcaModel, dataset: Dataset): PcaScores {
  const out: PcaScores = { score: new Float64Array(dataset.rows), t2: new Float64Array(dataset.rows), q: new Float64Array(dataset.rows) };
  rowsOf(dataset).forEach((row, i) => {
    const s = model.score(row);
    out.score[i] = s.score;
    out.t2[i] = s.t2;
    out.q[i] = s.q;
  });
  return out;
}

/** Kept eigenvalues over the total standardised variance of the training rows. */
function explained(train: Dataset, model: PcaModelJSON): number {
  const d = train.features.length;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let i = 0; i < train.rows; i++) sum += ((train.data[i * d + j] - model.mean[j]) / model.std[j]) ** 2;
    total += sum / Math.max(1, train.rows - 1);
  }
  const kept = model.eigenvalues.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.min(1, kept / total) : 1;
}

/**
 * The ONNX graph: z = (x − mean)/std; t = z·P; T² = Σ t²/λ; r = z·(I − PPᵀ); Q = Σ r²;
 * score = max(T²/T²lim, Q/Qlim). Outputs score, t2, q.
 */
export function exportPca(trained: PcaTrained, inputName: string): Uint8Array {
  const m = trained.model;
  const d = m.sensors.length;
  const k = m.eigenvalues.length;
  const g = new GraphBuilder(inputName, d);
  const z = standardise(g, m.mean, m.std);
  const projection = new Float64Array(d * k);
  const residual = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let i = 0; i < k; i++) projection[a * k + i] = m.loadings[a][i];
    for (let b = 0; b < d; b++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += m.loadings[a][i] * m.loadings[b][i];
      residual[a * d + b] = (a === b ? 1 : 0) - sum;
    }
  }
  const t = g.op('MatMul', [z, g.constant(projection, [d, k], 'loadings')], 't');
  const t2 = weightedSquareSum(g, t, m.eigenvalues.map((l) => 1 / l), 't2');
  const r = g.op('MatMul', [z, g.constant(residual, [d, d], 'residual_projector')], 'r');
  const q = weightedSquareSum(g, r, new Array<number>(d).fill(1), 'q');
  const t2Ratio = g.op('Mul', [t2, g.constant([1 / m.t2Limit], [], 'inv_t2_limit')], 't2_ratio');
  const qRatio = g.op('Mul', [q, g.constant([1 / m.qLimit], [], 'inv_q_limit')], 'q_ratio');
  g.output(g.op('Max', [t2Ratio, qRatio], 'score'), 'score');
  g.output(t2, 't2');
  g.output(q, 'q');
  return g.encode(`PCA T²+Q over ${d} features, ${k} components; score = max(T²/${m.t2Limit.toPrecision(6)}, Q/${m.qLimit.toPrecision(6)})`);
}
