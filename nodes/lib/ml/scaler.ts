import type { Dataset } from './dataset';

/** Per-feature standardisation z = (x − mean) / scale, the first step inside every exported graph. */
export interface Scaler {
  mean: number[];
  scale: number[];
}

/** Mean and sample standard deviation per feature; a constant feature keeps scale 1 (its own units). */
export function fitScaler(dataset: Dataset): Scaler {
  const d = dataset.features.length;
  const n = dataset.rows;
  const mean = new Array<number>(d).fill(0);
  const sq = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += dataset.data[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sq[j] += (dataset.data[i * d + j] - mean[j]) ** 2;
  const scale = sq.map((s, j) => {
    const std = Math.sqrt(s / Math.max(1, n - 1));
    return std > 1e-12 * Math.max(1, Math.abs(mean[j])) ? std : 1;
  });
  return { mean, scale };
}

/** The standardised rows, row-major like the dataset. */
export function standardise(dataset: Dataset, scaler: Scaler): Float64Array {
  const d = dataset.features.length;
  const out = new Float64Array(dataset.rows * d);
  for (let i = 0; i < dataset.rows; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (dataset.data[i * d + j] - scaler.mean[j]) / scaler.scale[j];
  }
  return out;
}
