/** Seeded synthetic signals for detector tests. */
import { AnomalyDetector } from '../../../nodes/lib/anomaly/detector';
import { DEFAULT_CONFIG, DEFAULT_SENSOR_OPTIONS, type DetectorConfig, type SensorOptions } from '../../../nodes/lib/anomaly/options';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a seeded generator. */
export function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** A detector with the given per-sensor options over the defaults. */
export function detectorWith(
  sensor: Partial<SensorOptions>,
  config: Partial<DetectorConfig> = {},
  now: () => number = () => 0,
): AnomalyDetector {
  return new AnomalyDetector({ ...DEFAULT_CONFIG, ...config, sensor: { ...DEFAULT_SENSOR_OPTIONS, ...sensor } }, now);
}

/** Scores of a series fed one per second from t = 0. */
export function scoresOf(detector: AnomalyDetector, values: number[], sensor = 's'): number[] {
  return values.map((v, i) => detector.process('a', sensor, v, i * 1000).score);
}

/** n samples of mean + σ·N(0,1). */
export function noise(n: number, seed: number, mean = 0, sigma = 1): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => mean + sigma * g());
}

/** Index of the first score ≥ 1 at or after `from`, or −1. */
export function firstAlarm(scores: number[], from = 0): number {
  for (let i = from; i < scores.length; i++) if (scores[i] >= 1) return i;
  return -1;
}
