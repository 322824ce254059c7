import { PdmError } from '../errors';
import { quantile } from '../anomaly/multivariate';

/**
 * Training data as one row-major float64 matrix: `data[i * features.length + j]` is feature j of
 * row i. Rows are in time order when timestamps are known.
 */
export interface Dataset {
  features: string[];
  rows: number;
  data: Float64Array;
  /** Event time per row (epoch ms), when the input had it. */
  ts?: Float64Array;
}

export interface DatasetInput {
  payload: unknown;
  /** Feature names chosen in the node or on msg.features; empty = every feature found. */
  features?: readonly string[];
  maxRows?: number;
}

export interface ParsedDataset {
  dataset: Dataset;
  /** Rows left out because a chosen feature was missing or not a finite number. */
  dropped: number;
}

export const DEFAULT_MAX_ROWS = 2_000_000;

interface FeatureRow {
  ts?: number;
  values: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): PdmError {
  return new PdmError('INVALID_PAYLOAD', message);
}

/**
 * Accepts three shapes: rows `{ts?, asset?, features: {name: value}}`; a numeric matrix with the
 * feature names in `features`; or timescale-query rows / chart points `{x: epoch ms, y, series}`,
 * which are pivoted to one row per timestamp.
 */
export function parseDataset(input: DatasetInput): ParsedDataset {
  const { payload } = input;
  const maxRows = input.maxRows ?? DEFAULT_MAX_ROWS;
  if (!Array.isArray(payload) || payload.length === 0) throw invalid('msg.payload must be a non-empty array of rows');
  // Long rows {x, y, series} carry one value each, so the entry limit allows a value per feature.
  if (payload.length > maxRows * 64) throw new PdmError('PAYLOAD_TOO_LARGE', `msg.payload has ${payload.length} entries`);
  const first: unknown = payload[0];
  let rows: FeatureRow[];
  if (Array.isArray(first)) {
    if (!input.features || input.features.length === 0) throw invalid('a numeric matrix needs the feature names (msg.features or the node\'s feature list)');
    return fromMatrix(payload, input.features, maxRows);
  } else if (isObject(first) && isObject(first.features)) {
    rows = payload.map((row, i) => {
      if (!isObject(row) || !isObject(row.features)) throw invalid(`row ${i} has no "features" object`);
      return { ts: typeof row.ts === 'number' ? row.ts : undefined, values: row.features };
    });
  } else if (isObject(first) && 'series' in first && 'x' in first) {
    rows = pivotSeries(payload);
  } else {
    throw invalid('msg.payload rows must be {features: {...}} objects, numeric arrays, or timescale-query rows {x, y, series}');
  }
  if (rows.length > maxRows) throw new PdmError('PAYLOAD_TOO_LARGE', `${rows.length} rows, at most ${maxRows}`);
  const features = input.features && input.features.length > 0 ? [...input.features] : Object.keys(rows[0].values).sort();
  checkFeatureNames(features);
  const d = features.length;
  const data = new Float64Array(rows.length * d);
  const ts = rows.every((r) => r.ts !== undefined) ? new Float64Array(rows.length) : undefined;
  let n = 0;
  for (const row of rows) {
    let ok = true;
    for (let j = 0; j < d && ok; j++) {
      const v = row.values[features[j]];
      if (typeof v === 'number' && Number.isFinite(v)) data[n * d + j] = v;
      else ok = false;
    }
    if (!ok) continue;
    if (ts) ts[n] = row.ts as number;
    n++;
  }
  return { dataset: { features, rows: n, data: data.subarray(0, n * d), ts: ts?.subarray(0, n) }, dropped: rows.length - n };
}

function checkFeatureNames(features: string[]): void {
  if (features.length === 0) throw invalid('no features to train on');
  if (new Set(features).size !== features.length) throw invalid('feature names must be distinct');
  for (const f of features) if (typeof f !== 'string' || f === '') throw invalid('feature names must be non-empty strings');
}

function fromMatrix(payload: unknown[], features: readonly string[], maxRows: number): ParsedDataset {
  if (payload.length > maxRows) throw new PdmError('PAYLOAD_TOO_LARGE', `${payload.length} rows, at most ${maxRows}`);
  checkFeatureNames([...features]);
  const d = features.length;
  const data = new Float64Array(payload.length * d);
  let n = 0;
  for (let i = 0; i < payload.length; i++) {
    const row = payload[i];
    if (!Array.isArray(row) || row.length !== d) throw invalid(`row ${i} must be an array of ${d} numbers`);
    if (!row.every((v) => typeof v === 'number' && Number.isFinite(v))) continue;
    for (let j = 0; j < d; j++) data[n * d + j] = row[j] as number;
    n++;
  }
  return { dataset: { features: [...features], rows: n, data: data.subarray(0, n * d) }, dropped: payload.length - n };
}

/** Long rows {x, y, series} → one row per x (in time order) with a value per series. */
function pivotSeries(payload: unknown[]): FeatureRow[] {
  const byTime = new Map<number, Record<string, unknown>>();
  payload.forEach((point, i) => {
    if (!isObject(point)) throw invalid(`row ${i} is not an object`);
    const x = Number(point.x);
    if (!Number.isFinite(x)) throw invalid(`row ${i} has no numeric time "x"`);
    if (typeof point.series !== 'string' || point.series === '') throw invalid(`row ${i} has no "series" name`);
    let row = byTime.get(x);
    if (!row) byTime.set(x, (row = {}));
    row[point.series] = point.y === null ? NaN : Number(point.y);
  });
  const times = [...byTime.keys()].sort((a, b) => a - b);
  const all = new Set<string>();
  for (const values of byTime.values()) for (const name of Object.keys(values)) all.add(name);
  // Every series appears as a key of the first row so that "all features" means all series.
  const names = [...all].sort();
  return times.map((ts) => {
    const values = byTime.get(ts) as Record<string, unknown>;
    for (const name of names) if (!(name in values)) values[name] = NaN;
    return { ts, values };
  });
}

/** Rows [from, to) of a dataset, sharing its memory. */
export function sliceRows(dataset: Dataset, from: number, to: number): Dataset {
  const d = dataset.features.length;
  return {
    features: dataset.features,
    rows: to - from,
    data: dataset.data.subarray(from * d, to * d),
    ts: dataset.ts?.subarray(from, to),
  };
}

/** A copy with only the named features, in the given order. */
export function selectFeatures(dataset: Dataset, features: readonly string[]): Dataset {
  const d = dataset.features.length;
  const columns = features.map((f) => {
    const j = dataset.features.indexOf(f);
    if (j < 0) throw new PdmError('INVALID_PAYLOAD', `no feature "${f}" in the data`);
    return j;
  });
  const k = columns.length;
  const data = new Float64Array(dataset.rows * k);
  for (let i = 0; i < dataset.rows; i++) for (let c = 0; c < k; c++) data[i * k + c] = dataset.data[i * d + columns[c]];
  return { features: [...features], rows: dataset.rows, data, ts: dataset.ts };
}

/**
 * Splits off the last `fraction` of the rows as held-back data (time order is kept: the newest
 * rows test what the older rows taught). Both parts keep at least `minRows`.
 */
export function holdOut(dataset: Dataset, fraction: number, minRows: number): { train: Dataset; heldBack: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new PdmError('INVALID_CONFIG', `hold-out fraction must be in (0, 1), got ${fraction}`);
  const back = Math.round(dataset.rows * fraction);
  if (back < minRows || dataset.rows - back < minRows) {
    throw new PdmError('INVALID_PAYLOAD', `${dataset.rows} rows are too few: training and held-back parts need at least ${minRows} rows each`);
  }
  return { train: sliceRows(dataset, 0, dataset.rows - back), heldBack: sliceRows(dataset, dataset.rows - back, dataset.rows) };
}

/** Score threshold chosen on held-back normal data: the given quantile of its scores. */
export function quantileThreshold(scores: ArrayLike<number>, q: number): number {
  if (!(q > 0 && q <= 1)) throw new PdmError('INVALID_CONFIG', `threshold quantile must be in (0, 1], got ${q}`);
  const value = quantile(Array.from(scores), q);
  return Math.max(value, 1e-12);
}

export const BASELINE_BINS = 10;
export const BASELINE_SAMPLE = 1000;

export interface FeatureBaseline {
  edges: number[];
  fractions: number[];
  sample: number[];
}

/**
 * Per feature: the 11 edges of 10 quantile bins of the training values, the share of training
 * values in each bin (about 0.1 each; ties make them uneven) and an evenly spaced sample of at
 * most 1,000 values, for drift tests against later data.
 */
export function featureBaselines(dataset: Dataset): Record<string, FeatureBaseline> {
  const d = dataset.features.length;
  const out: Record<string, FeatureBaseline> = {};
  dataset.features.forEach((name, j) => {
    const column = new Float64Array(dataset.rows);
    for (let i = 0; i < dataset.rows; i++) column[i] = dataset.data[i * d + j];
    const sorted = Float64Array.from(column).sort();
    const at = (p: number): number => {
      const pos = (sorted.length - 1) * p;
      const lo = Math.floor(pos);
      const hi = Math.min(sorted.length - 1, lo + 1);
      return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    };
    const edges = Array.from({ length: BASELINE_BINS + 1 }, (_, b) => at(b / BASELINE_BINS));
    out[name] = { edges, fractions: binFractions(column, edges), sample: evenSample(column, BASELINE_SAMPLE) };
  });
  return out;
}

/** Shares of values per bin; bin b is [edges[b], edges[b+1]), the last one closed, outliers in the end bins. */
export function binFractions(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (v >= edges[mid]) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]++;
  }
  return counts.map((c) => (values.length === 0 ? 0 : c / values.length));
}

function evenSample(values: Float64Array, size: number): number[] {
  if (values.length <= size) return Array.from(values);
  return Array.from({ length: size }, (_, i) => values[Math.floor((i * values.length) / size)]);
}
