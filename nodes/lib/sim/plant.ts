/**
 * A simulated plant: N machines sampled at simulated times, faults that start and run to failure
 * on a schedule (given, or drawn at random), and the ground truth of each fault beside the data.
 * Pure and seeded: the same options and the same sample times give the same readings.
 */
import type { Reading } from '../reading';
import {
  applyProcessFault,
  faultApplies,
  healthyState,
  isSensorFault,
  PLANT_FAULTS_ALL,
  stateValue,
  stoppedState,
  type MachineState,
  type PlantFault,
  type ProcessFault,
} from './faults';
import { SENSOR_UNITS, sensorsOf, type AssetKind, type SensorName } from './machines';
import { gaussian, mulberry32 } from './waveform';

export interface AssetSpec {
  id: string;
  kind: AssetKind;
}

export interface ScheduledFault {
  asset: string;
  fault: PlantFault;
  /** Simulated hours from the start of the run to the fault's onset. */
  onsetHours: number;
  /** Simulated hours from onset to failure. */
  failureHours: number;
  /** The sensor a sensor fault affects (default bearing_temperature). */
  sensor?: SensorName;
}

export interface RandomSchedule {
  /** Expected faults per asset per simulated 30 days. */
  ratePerMonth: number;
  /** Range of simulated hours from onset to failure. */
  minFailureHours: number;
  maxFailureHours: number;
}

export interface PlantOptions {
  assets: AssetSpec[];
  seed: number;
  /** Simulated epoch ms of the start of the run. */
  start: number;
  faults?: ScheduledFault[];
  random?: RandomSchedule;
  /** Simulated hours a failed machine (or sensor) is out of service before it is repaired. */
  repairHours?: number;
}

export type TruthKind = 'onset' | 'failure' | 'repair';

export interface TruthEvent {
  asset: string;
  fault: PlantFault;
  kind: TruthKind;
  /** Simulated epoch ms. */
  ts: number;
  sensor?: SensorName;
}

export interface PlantSample {
  readings: Reading[];
  /** Ground truth events with ts after the previous sample and at or before this one, in time order. */
  truth: TruthEvent[];
}

interface FaultRun {
  fault: PlantFault;
  sensor: SensorName;
  onset: number;
  failure: number;
  repair: number;
  /** Index of the next event of this run to publish: 0 onset, 1 failure, 2 repair, 3 done. */
  next: number;
  /** The value a stuck sensor holds. */
  stuckAt: number;
}

interface AssetRun {
  spec: AssetSpec;
  sensors: SensorName[];
  runs: FaultRun[];
  /** Random schedule: the simulated ms from which the next fault is drawn. */
  drawFrom: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MONTH_MS = 30 * DAY_MS;
const SPIKE_PROBABILITY = 0.02;
const DEFAULT_FAULT_SENSOR: SensorName = 'bearing_temperature';
const NOISE: Readonly<Record<SensorName, number>> = {
  vibration_rms: 0,
  vibration_peak: 0,
  bearing_temperature: 0.3,
  winding_temperature: 0.4,
  current: 0.01,
  speed: 2,
  pressure: 0,
  flow: 0,
};

export class PlantSimulator {
  private assets: AssetRun[] = [];
  private normal: () => number = Math.random;
  private uniform: () => number = Math.random;
  private schedule: () => number = Math.random;
  private readonly state: MachineState = {
    vibrationRms: 0, crestFactor: 0, vibrationNoise: 0, bearingRise: 0, windingRise: 0,
    current: 0, speed: 0, pressure: 0, flow: 0, processNoise: 0,
  };

  constructor(readonly options: PlantOptions) {
    this.reset();
  }

  /** Back to the start of the run with the same seed. */
  reset(): void {
    const { seed } = this.options;
    this.normal = gaussian(seed);
    this.uniform = mulberry32(seed ^ 0x51ed270b);
    this.schedule = mulberry32(seed ^ 0x2545f491);
    const repairMs = (this.options.repairHours ?? 8) * HOUR_MS;
    this.assets = this.options.assets.map((spec) => ({ spec, sensors: sensorsOf(spec.kind), runs: [], drawFrom: this.options.start }));
    const byId = new Map(this.assets.map((a) => [a.spec.id, a]));
    for (const f of this.options.faults ?? []) {
      const asset = byId.get(f.asset);
      if (!asset) continue;
      const onset = this.options.start + f.onsetHours * HOUR_MS;
      const failure = onset + f.failureHours * HOUR_MS;
      asset.runs.push({ fault: f.fault, sensor: f.sensor ?? DEFAULT_FAULT_SENSOR, onset, failure, repair: failure + repairMs, next: 0, stuckAt: NaN });
    }
    for (const asset of this.assets) asset.runs.sort((a, b) => a.onset - b.onset);
  }

  /** Readings of every sensor of every asset at simulated time `ts`, and the truth passed since the last sample. */
  sample(ts: number): PlantSample {
    const truth: TruthEvent[] = [];
    const readings: Reading[] = [];
    const ambient = 25 + 4 * Math.sin((2 * Math.PI * (ts - 9 * HOUR_MS)) / DAY_MS);
    for (const asset of this.assets) {
      if (this.options.random) this.drawRandomFaults(asset, ts);
      this.collectTruth(asset, ts, truth);
      this.sampleAsset(asset, ts, ambient, readings);
    }
    truth.sort((a, b) => a.ts - b.ts);
    return { readings, truth };
  }

  /** The next failure after simulated time `ts`, if one is planned. */
  nextFailure(ts: number): TruthEvent | undefined {
    let best: TruthEvent | undefined;
    for (const asset of this.assets) {
      for (const run of asset.runs) {
        if (run.failure > ts && (best === undefined || run.failure < best.ts)) {
          best = { asset: asset.spec.id, fault: run.fault, kind: 'failure', ts: run.failure };
        }
      }
    }
    return best;
  }

  /** Process faults of `asset` under way at simulated time `ts` (after onset, before failure), with progress 0..1. */
  faultProgress(asset: string, ts: number): Array<{ fault: ProcessFault; progress: number }> {
    const run = this.assets.find((a) => a.spec.id === asset);
    if (!run) return [];
    return run.runs
      .filter((r) => !isSensorFault(r.fault) && ts >= r.onset && ts < r.failure)
      .map((r) => ({ fault: r.fault as ProcessFault, progress: (ts - r.onset) / (r.failure - r.onset) }));
  }

  /** Every planned fault run (onset, failure, repair), for inspection and tests. */
  plannedFaults(): Array<{ asset: string; fault: PlantFault; sensor: SensorName; onset: number; failure: number; repair: number }> {
    return this.assets.flatMap((a) => a.runs.map((r) => ({ asset: a.spec.id, fault: r.fault, sensor: r.sensor, onset: r.onset, failure: r.failure, repair: r.repair })));
  }

  private drawRandomFaults(asset: AssetRun, ts: number): void {
    const random = this.options.random as RandomSchedule;
    if (random.ratePerMonth <= 0) return;
    const pending = asset.runs.some((r) => r.repair > ts);
    if (pending) return;
    const onset = asset.drawFrom + (-Math.log(1 - this.schedule()) * MONTH_MS) / random.ratePerMonth;
    const choices = PLANT_FAULTS_ALL.filter((f) => faultApplies(f, asset.spec.kind));
    const fault = choices[Math.floor(this.schedule() * choices.length)];
    const sensor = asset.sensors[Math.floor(this.schedule() * asset.sensors.length)];
    const hours = random.minFailureHours + this.schedule() * (random.maxFailureHours - random.minFailureHours);
    const failure = onset + hours * HOUR_MS;
    const repair = failure + (this.options.repairHours ?? 8) * HOUR_MS;
    asset.runs.push({ fault, sensor, onset, failure, repair, next: 0, stuckAt: NaN });
    asset.drawFrom = repair;
  }

  private collectTruth(asset: AssetRun, ts: number, truth: TruthEvent[]): void {
    for (const run of asset.runs) {
      while (run.next < 3) {
        const kind: TruthKind = run.next === 0 ? 'onset' : run.next === 1 ? 'failure' : 'repair';
        const at = run.next === 0 ? run.onset : run.next === 1 ? run.failure : run.repair;
        if (at > ts) break;
        const event: TruthEvent = { asset: asset.spec.id, fault: run.fault, kind, ts: at };
        if (isSensorFault(run.fault)) event.sensor = run.sensor;
        truth.push(event);
        run.next++;
      }
    }
  }

  private sampleAsset(asset: AssetRun, ts: number, ambient: number, out: Reading[]): void {
    const { kind, id } = asset.spec;
    const state = this.state;
    healthyState(kind, state);
    let stopped = false;
    for (const run of asset.runs) {
      if (isSensorFault(run.fault) || ts < run.onset || ts >= run.repair) continue;
      if (ts >= run.failure) stopped = true;
      else applyProcessFault(run.fault as ProcessFault, kind, (ts - run.onset) / (run.failure - run.onset), state);
    }
    if (stopped) stoppedState(state);
    const vibration = state.vibrationRms * Math.max(0.2, 1 + state.vibrationNoise * this.normal());
    const crest = state.crestFactor * (1 + 0.05 * this.normal());
    const processFactor = 1 + state.processNoise * this.normal();
    for (const sensor of asset.sensors) {
      let value: number;
      if (sensor === 'vibration_rms') value = vibration;
      else if (sensor === 'vibration_peak') value = vibration * crest;
      else if (sensor === 'pressure' || sensor === 'flow') value = stateValue(state, sensor, ambient) * processFactor;
      else {
        const noise = NOISE[sensor];
        const base = stateValue(state, sensor, ambient);
        value = sensor === 'current' ? base * (1 + noise * this.normal()) : base + noise * this.normal();
        if (sensor === 'speed' && stopped) value = 0;
      }
      const shown = this.sensorFaults(asset, sensor, ts, value);
      if (shown === undefined) continue;
      out.push({ asset: id, sensor, value: Math.max(0, shown), ts, unit: SENSOR_UNITS[sensor] });
    }
  }

  /** The value a faulty sensor reports, or undefined when the reading is missing. */
  private sensorFaults(asset: AssetRun, sensor: SensorName, ts: number, value: number): number | undefined {
    let shown: number | undefined = value;
    for (const run of asset.runs) {
      if (run.sensor !== sensor || !isSensorFault(run.fault) || ts < run.onset || ts >= run.repair) continue;
      if (ts >= run.failure) return undefined;
      const progress = (ts - run.onset) / (run.failure - run.onset);
      switch (run.fault) {
        case 'stuck':
          if (Number.isNaN(run.stuckAt)) run.stuckAt = value;
          shown = run.stuckAt;
          break;
        case 'spike':
          if (this.uniform() < SPIKE_PROBABILITY) shown = (shown as number) * (3 + 3 * this.uniform());
          break;
        case 'drift':
          shown = (shown as number) + 0.4 * Math.abs(value) * progress;
          break;
        case 'dropout':
          if (this.uniform() < 0.2 + 0.8 * progress) return undefined;
          break;
      }
    }
    return shown;
  }
}
