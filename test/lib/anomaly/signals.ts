/** Seeded synthetic signals for detector tests. */
import { AnomalyDetector } from '../../../nodes/lib/anomaly/detector';
import { DEFAULT_CONFIG, DEFAULT_SENSOR_OPTIONS, type DetectorConfig, type SensorOptions } from '../../../nodes/lib/anomaly/options';

export { gaussian, mulberry32 } from '../../../nodes/lib/sim/waveform';
import { gaussian } from '../../../nodes/lib/sim/waveform';

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
