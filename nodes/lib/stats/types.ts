/**
 * The statistics of one closed window for one asset/sensor: what window-stats emits and
 * what anomaly-detect, health-score and storage accept as features.
 */
export interface WindowStats {
  asset: string;
  sensor: string;
  /** Window start and end, epoch ms; the window is [start, end). */
  start: number;
  end: number;
  count: number;
  unit?: string;
  mean: number;
  /** Sample standard deviation (n − 1). */
  std: number;
  min: number;
  max: number;
  range: number;
  rms: number;
  /** Largest absolute value. */
  peak: number;
  peakToPeak: number;
  /** peak / rms. */
  crestFactor: number;
  /** Fisher–Pearson skewness g1 = m3 / m2^1.5. */
  skewness: number;
  /** Pearson kurtosis m4 / m2² (3 for a normal distribution, as vibration analysis uses). */
  kurtosis: number;
  median: number;
  p05: number;
  p95: number;
  /** Least-squares trend, value units per second. */
  slope: number;
  /** (last − first) / elapsed seconds between them. */
  rateOfChange: number;
  first: number;
  last: number;
}

/** Names of the numeric features of a window, in output order. */
export const WINDOW_FEATURES = [
  'mean', 'std', 'min', 'max', 'range', 'rms', 'peak', 'peakToPeak', 'crestFactor', 'skewness', 'kurtosis',
  'median', 'p05', 'p95', 'slope', 'rateOfChange', 'first', 'last',
] as const;

export type WindowFeature = (typeof WINDOW_FEATURES)[number];

export function isWindowStats(value: unknown): value is WindowStats {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.asset === 'string' && typeof v.sensor === 'string' && typeof v.start === 'number' &&
    typeof v.end === 'number' && typeof v.count === 'number' && typeof v.mean === 'number'
  );
}
