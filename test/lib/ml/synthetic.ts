import type { Dataset } from '../../../nodes/lib/ml/dataset';
import { gaussian } from '../../../nodes/lib/sim/waveform';

export const FEATURES = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'];

/**
 * Rows on a known 2-dimensional plane in 8 features: x = offset + A·(u, v) + noise, with u, v
 * standard normal and noise σ = 0.05, so 2 components explain nearly all variance.
 */
const MIXING = [
  [1, 0],
  [0, 1],
  [1, 1],
  [1, -1],
  [2, 0.5],
  [-0.5, 1.5],
  [0.3, -2],
  [1.2, 0.8],
];
const OFFSET = [10, -5, 0, 100, 3, 7, -20, 1];

export function planeRows(rows: number, seed: number, noise = 0.05): Dataset {
  const g = gaussian(seed);
  const d = FEATURES.length;
  const data = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const u = g();
    const v = g();
    for (let j = 0; j < d; j++) data[i * d + j] = OFFSET[j] + MIXING[j][0] * u + MIXING[j][1] * v + noise * g();
  }
  return { features: FEATURES, rows, data, ts: Float64Array.from({ length: rows }, (_, i) => 1_700_000_000_000 + i * 1000) };
}

/** Points of ordinary size that leave the plane: one feature moved by `shift` against the others. */
export function offPlaneRows(rows: number, seed: number, shift = 1): Dataset {
  const ds = planeRows(rows, seed);
  const d = FEATURES.length;
  for (let i = 0; i < rows; i++) ds.data[i * d + (i % d)] += i % 2 === 0 ? shift : -shift;
  return ds;
}
