/**
 * The workload shared by the chain benchmarks: readings of many keys with plausible values,
 * event time advancing one second per round, and the node configurations used both in the
 * runtime flow and in the plain-function-call ceiling.
 */
import type { AnomalyDetectConfig } from '../../nodes/lib/anomaly/config';
import type { EditorQualityConfig } from '../../nodes/lib/quality';
import type { Reading } from '../../nodes/lib/reading';
import { mulberry32 } from '../../nodes/lib/sim/waveform';
import type { WindowStatsConfig } from '../../nodes/lib/stats/config';

const SENSORS: ReadonlyArray<[string, number, number]> = [
  ['temperature', 65, 2], ['vibration', 4, 0.4], ['pressure', 6, 0.2], ['current', 40, 1.5], ['speed', 1480, 5],
  ['flow', 120, 3], ['winding_temperature', 80, 2], ['bearing_temperature', 55, 1], ['vibration_peak', 9, 1], ['level', 50, 5],
];

export const qualityConfig: EditorQualityConfig = {
  rules: [], flatlineAction: 'uncertain', futureTolerance: 5, maxAge: 86_400, duplicates: 'ts', scoreWindow: 100,
  maxBatch: 100_000, maxKeys: 200_000, keyLimit: 'evict',
} as EditorQualityConfig;

export const windowConfig: WindowStatsConfig = {
  window: 'tumbling', size: 10, time: 'event', lateness: 2, keyBy: 'asset-sensor', maxKeys: 200_000, quantileCap: 10_000,
  output: 'window',
} as WindowStatsConfig;

export const detectConfig: AnomalyDetectConfig = {
  detectors: ['zscore', 'ewma', 'limits', 'cusum'], window: 100, warmUp: 20, mode: 'learn', features: 'mean',
  passNormal: true, batchEvents: false, persistInterval: 0, maxKeys: 200_000,
};


export interface Workload {
  keys: number;
  /** Event time of round 0. */
  start: number;
  /** Reading i of the whole stream: key i % keys, round floor(i / keys). */
  reading(i: number): Reading;
}

export function workload(keys: number, seed = 7): Workload {
  const random = mulberry32(seed);
  // Six hours back: three repeats an hour apart stay inside data-quality's 24 h age limit.
  const start = Date.now() - 6 * 3_600_000;
  const assets = Math.ceil(keys / SENSORS.length);
  return {
    keys,
    start,
    reading(i: number): Reading {
      const k = i % keys;
      const [sensor, mean, sd] = SENSORS[k % SENSORS.length];
      const asset = `pump-${Math.floor(k / SENSORS.length) % assets}`;
      return { asset, sensor, value: mean + sd * (random() - 0.5) * 3.4, ts: start + Math.floor(i / keys) * 1000 };
    },
  };
}

/** Messages of `perMsg` readings each, built before timing starts. */
export function batches(load: Workload, total: number, perMsg: number): Reading[][] {
  const out: Reading[][] = [];
  for (let i = 0; i < total; i += perMsg) {
    const batch: Reading[] = new Array(Math.min(perMsg, total - i));
    for (let j = 0; j < batch.length; j++) batch[j] = load.reading(i + j);
    out.push(batch);
  }
  return out;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
