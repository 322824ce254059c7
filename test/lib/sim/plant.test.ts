import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reading } from '../../../nodes/lib/reading';
import { SimClock } from '../../../nodes/lib/sim/clock';
import { isoZone, ISO_CLASS_II } from '../../../nodes/lib/sim/machines';
import { PlantSimulator, type PlantOptions, type TruthEvent } from '../../../nodes/lib/sim/plant';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

function plant(overrides: Partial<PlantOptions> = {}): PlantSimulator {
  return new PlantSimulator({
    assets: [
      { id: 'pump-1', kind: 'pump' },
      { id: 'pump-2', kind: 'pump' },
      { id: 'motor-1', kind: 'motor' },
      { id: 'comp-1', kind: 'compressor' },
      { id: 'conv-1', kind: 'conveyor' },
    ],
    seed: 7,
    start: T0,
    ...overrides,
  });
}

/** Samples every `stepMinutes` simulated minutes for `hours`, collecting readings and truth. */
function run(sim: PlantSimulator, hours: number, stepMinutes = 10): { readings: Reading[]; truth: TruthEvent[] } {
  const readings: Reading[] = [];
  const truth: TruthEvent[] = [];
  for (let ts = T0; ts <= T0 + hours * HOUR; ts += stepMinutes * 60_000) {
    const sample = sim.sample(ts);
    readings.push(...sample.readings);
    truth.push(...sample.truth);
  }
  return { readings, truth };
}

function series(readings: Reading[], asset: string, sensor: string): Reading[] {
  return readings.filter((r) => r.asset === asset && r.sensor === sensor);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('plant simulator', () => {
  it('gives the same readings for the same seed and different ones for another seed', () => {
    const faults = [{ asset: 'pump-1', fault: 'spike' as const, onsetHours: 1, failureHours: 10, sensor: 'current' as const }];
    const a = run(plant({ faults }), 6);
    const b = run(plant({ faults }), 6);
    const c = run(plant({ faults, seed: 8 }), 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.readings.map((r) => r.value), c.readings.map((r) => r.value));
  });

  it('starts over on reset', () => {
    const sim = plant();
    const first = run(sim, 2);
    sim.reset();
    assert.deepEqual(run(sim, 2), first);
  });

  it('keeps healthy machines in ISO zone A/B and plausible ranges', () => {
    const { readings } = run(plant(), 48);
    const vibration = readings.filter((r) => r.sensor === 'vibration_rms').map((r) => r.value);
    assert.ok(vibration.length > 1000);
    assert.ok(vibration.every((v) => isoZone(v) === 'A' || isoZone(v) === 'B'), `max ${Math.max(...vibration)}`);
    assert.ok(mean(vibration) > 1 && mean(vibration) < 2.5);
    const within = (sensor: string, lo: number, hi: number): void => {
      const values = readings.filter((r) => r.sensor === sensor).map((r) => r.value);
      assert.ok(values.length > 0 && values.every((v) => v >= lo && v <= hi), `${sensor} ${Math.min(...values)}..${Math.max(...values)}`);
    };
    within('vibration_peak', 2, 12);
    within('bearing_temperature', 35, 80);
    within('winding_temperature', 55, 105);
    within('current', 15, 130);
    within('speed', 1400, 3000);
    within('pressure', 4, 8.2);
    within('flow', 100, 650);
    assert.equal(series(readings, 'motor-1', 'pressure').length, 0, 'a motor has no process side');
    assert.ok(readings.every((r) => typeof r.unit === 'string' && r.ts >= T0));
  });

  it('publishes onset, failure and repair at the scheduled simulated times', () => {
    const sim = plant({ repairHours: 5, faults: [{ asset: 'pump-2', fault: 'overheating', onsetHours: 3, failureHours: 12.5 }] });
    assert.deepEqual(sim.nextFailure(T0), { asset: 'pump-2', fault: 'overheating', kind: 'failure', ts: T0 + 15.5 * HOUR });
    const { truth } = run(sim, 30, 7);
    assert.deepEqual(truth, [
      { asset: 'pump-2', fault: 'overheating', kind: 'onset', ts: T0 + 3 * HOUR },
      { asset: 'pump-2', fault: 'overheating', kind: 'failure', ts: T0 + 15.5 * HOUR },
      { asset: 'pump-2', fault: 'overheating', kind: 'repair', ts: T0 + 20.5 * HOUR },
    ]);
    assert.equal(sim.nextFailure(T0 + 16 * HOUR), undefined);
  });

  it('grows bearing-wear vibration exponentially to zone D at failure, with the bearing getting hotter', () => {
    const onset = 24;
    const life = 120;
    const { readings } = run(plant({ faults: [{ asset: 'pump-1', fault: 'bearing-wear', onsetHours: onset, failureHours: life }] }), onset + life + 2);
    const vib = series(readings, 'pump-1', 'vibration_rms');
    const temp = series(readings, 'pump-1', 'bearing_temperature');
    const failure = T0 + (onset + life) * HOUR;
    const dayMeans = (points: Reading[]): number[] => {
      const means: number[] = [];
      for (let from = T0 + onset * HOUR; from < failure; from += 24 * HOUR) {
        means.push(mean(points.filter((r) => r.ts >= from && r.ts < from + 24 * HOUR).map((r) => r.value)));
      }
      return means;
    };
    const vibDays = dayMeans(vib);
    const tempDays = dayMeans(temp);
    for (let i = 1; i < vibDays.length; i++) {
      assert.ok(vibDays[i] > vibDays[i - 1], `vibration day means ${vibDays.join(', ')}`);
      assert.ok(tempDays[i] > tempDays[i - 1], `temperature day means ${tempDays.join(', ')}`);
    }
    // Exponential: the daily growth ratio stays about constant rather than the daily increment.
    const ratios = vibDays.slice(1).map((v, i) => v / vibDays[i]);
    assert.ok(Math.max(...ratios) / Math.min(...ratios) < 1.3, `ratios ${ratios.join(', ')}`);
    const lastHour = vib.filter((r) => r.ts >= failure - HOUR && r.ts < failure).map((r) => r.value);
    assert.equal(isoZone(mean(lastHour)), 'D');
    const beforeOnset = vib.filter((r) => r.ts < T0 + onset * HOUR).map((r) => r.value);
    assert.ok(mean(beforeOnset) < ISO_CLASS_II.bc);
    const after = series(readings, 'pump-1', 'speed').filter((r) => r.ts > failure);
    assert.ok(after.length > 0 && after.every((r) => r.value === 0), 'the failed pump stops');
  });

  it('drops pressure and flow and makes vibration erratic under cavitation', () => {
    const { readings } = run(plant({ faults: [{ asset: 'pump-1', fault: 'cavitation', onsetHours: 0, failureHours: 100 }] }), 95);
    const late = (sensor: string, asset: string): number[] =>
      series(readings, asset, sensor).filter((r) => r.ts > T0 + 80 * HOUR).map((r) => r.value);
    assert.ok(mean(late('pressure', 'pump-1')) < 0.8 * mean(late('pressure', 'pump-2')));
    assert.ok(mean(late('flow', 'pump-1')) < 0.8 * mean(late('flow', 'pump-2')));
    const spread = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2))) / mean(xs);
    assert.ok(spread(late('vibration_rms', 'pump-1')) > 3 * spread(late('vibration_rms', 'pump-2')));
  });

  it('raises vibration and bearing temperature under misalignment, winding temperature and current under overheating', () => {
    const { readings } = run(plant({ faults: [
      { asset: 'pump-1', fault: 'misalignment', onsetHours: 0, failureHours: 50 },
      { asset: 'motor-1', fault: 'overheating', onsetHours: 0, failureHours: 50 },
    ] }), 48);
    const late = (asset: string, sensor: string): number => mean(series(readings, asset, sensor).filter((r) => r.ts > T0 + 40 * HOUR).map((r) => r.value));
    assert.ok(late('pump-1', 'vibration_rms') > 2 * late('pump-2', 'vibration_rms'));
    assert.ok(late('pump-1', 'bearing_temperature') > late('pump-2', 'bearing_temperature') + 10);
    const healthyMotor = run(plant(), 48).readings;
    const healthy = (sensor: string): number => mean(series(healthyMotor, 'motor-1', sensor).filter((r) => r.ts > T0 + 40 * HOUR).map((r) => r.value));
    assert.ok(late('motor-1', 'winding_temperature') > healthy('winding_temperature') + 40);
    assert.ok(late('motor-1', 'current') > 1.1 * healthy('current'));
  });

  it('applies sensor faults to the one sensor: stuck is constant, dropout leaves readings out', () => {
    const sim = plant({ faults: [
      { asset: 'pump-1', fault: 'stuck', onsetHours: 2, failureHours: 20, sensor: 'bearing_temperature' },
      { asset: 'pump-2', fault: 'dropout', onsetHours: 2, failureHours: 20, sensor: 'current' },
    ] });
    const { readings } = run(sim, 30);
    const stuck = series(readings, 'pump-1', 'bearing_temperature').filter((r) => r.ts >= T0 + 2 * HOUR && r.ts < T0 + 22 * HOUR);
    assert.ok(stuck.length > 100 && new Set(stuck.map((r) => r.value)).size === 1);
    const beforeStuck = series(readings, 'pump-1', 'bearing_temperature').filter((r) => r.ts < T0 + 2 * HOUR);
    assert.ok(new Set(beforeStuck.map((r) => r.value)).size > 5);
    assert.ok(new Set(series(readings, 'pump-1', 'winding_temperature').filter((r) => r.ts > T0 + 2 * HOUR).map((r) => r.value)).size > 100);
    const samplesPerWindow = (from: number, to: number): number => (to - from) * 6;
    const present = (asset: string, sensor: string, from: number, to: number): number =>
      series(readings, asset, sensor).filter((r) => r.ts >= T0 + from * HOUR && r.ts < T0 + to * HOUR).length;
    assert.equal(present('pump-2', 'current', 0, 2), samplesPerWindow(0, 2));
    assert.ok(present('pump-2', 'current', 2, 22) < 0.7 * samplesPerWindow(2, 22));
    assert.equal(present('pump-2', 'current', 22, 30), 0, 'a failed sensor is silent until repaired');
    assert.equal(present('pump-2', 'speed', 2, 30), samplesPerWindow(2, 30), 'other sensors are unaffected');
  });

  it('adds a growing offset under drift and rare large outliers under spike', () => {
    const { readings } = run(plant({ faults: [
      { asset: 'pump-1', fault: 'drift', onsetHours: 0, failureHours: 100, sensor: 'winding_temperature' },
      { asset: 'pump-2', fault: 'spike', onsetHours: 0, failureHours: 100, sensor: 'flow' },
    ] }), 90);
    const at = (asset: string, sensor: string, from: number): number =>
      mean(series(readings, asset, sensor).filter((r) => r.ts >= T0 + from * HOUR && r.ts < T0 + (from + 5) * HOUR).map((r) => r.value));
    assert.ok(at('pump-1', 'winding_temperature', 80) > at('pump-1', 'winding_temperature', 0) + 20);
    const flows = series(readings, 'pump-2', 'flow').map((r) => r.value);
    const outliers = flows.filter((v) => v > 300).length;
    assert.ok(outliers > 0 && outliers < 0.05 * flows.length, `${outliers} of ${flows.length}`);
  });

  it('draws a random schedule deterministically, one fault run at a time per asset', () => {
    const random = { ratePerMonth: 4, minFailureHours: 24, maxFailureHours: 72 };
    const a = plant({ random });
    const b = plant({ random });
    const truthA = run(a, 24 * 60, 60).truth;
    assert.deepEqual(run(b, 24 * 60, 60).truth, truthA);
    assert.ok(truthA.filter((e) => e.kind === 'failure').length >= 5);
    for (const run of a.plannedFaults()) {
      assert.ok(run.failure - run.onset >= 24 * HOUR && run.failure - run.onset <= 72 * HOUR);
      assert.ok(run.fault !== 'cavitation' || run.asset.startsWith('pump') || run.asset.startsWith('comp'));
    }
  });
});

describe('simulated clock', () => {
  it('maps real time to simulated time by the acceleration', () => {
    let real = 1_000_000;
    const clock = new SimClock(1440, T0, () => real);
    assert.equal(clock.simNow(), T0);
    real += 60_000;
    assert.equal(clock.simNow(), T0 + 24 * HOUR);
    real += 500;
    assert.equal(clock.simNow(), T0 + 24 * HOUR + 720_000);
  });
});
