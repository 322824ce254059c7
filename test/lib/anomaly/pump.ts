/**
 * Three pump sensors driven by one load factor, as in a centrifugal pump: flow, outlet pressure
 * and motor current rise together. `broken` keeps each sensor inside its normal range but breaks
 * the relation (high flow with low pressure and low current).
 */
export const PUMP_SENSORS = ['flow', 'pressure', 'current'];

export interface PumpReading {
  asset: string;
  sensor: string;
  value: number;
  ts: number;
}

export function pumpValues(i: number, broken = false): number[] {
  const load = Math.sin(i * 0.37) + 0.5 * Math.sin(i * 1.91);
  const jitter = (k: number): number => 0.02 * Math.sin(i * (2.3 + k) + k);
  if (broken) return [50 + 8 * 1.2 + jitter(0), 4 - 0.5 * 1.2 + jitter(1), 20 - 2 * 1.2 + jitter(2)];
  return [50 + 8 * load + jitter(0), 4 + 0.5 * load + jitter(1), 20 + 2 * load + jitter(2)];
}

/** One reading per sensor, all stamped with the same instant. */
export function pumpReadings(asset: string, i: number, t0: number, broken = false): PumpReading[] {
  return pumpValues(i, broken).map((value, j) => ({ asset, sensor: PUMP_SENSORS[j], value, ts: t0 + i * 1000 }));
}
