import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HEALTH_OPTIONS } from '../../../nodes/lib/health/config';
import { feed } from '../../../nodes/lib/health/input';
import { NeighbourRul } from '../../../nodes/lib/health/rul-neighbours';
import { HealthTracker, type HealthReport } from '../../../nodes/lib/health/tracker';
import { PlantSimulator, type TruthEvent } from '../../../nodes/lib/sim/plant';
import { gaussian } from '../../../nodes/lib/sim/waveform';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

interface Trace {
  reports: HealthReport[];
  failure: TruthEvent | undefined;
}

/** Runs the plant for `hours`, sampling every 30 min, and feeds every reading to a health tracker. */
function runToFailure(seed: number, onsetHours: number, failureHours: number, hours: number): Map<string, Trace> {
  const sim = new PlantSimulator({
    assets: [{ id: 'pump-1', kind: 'pump' }, { id: 'pump-2', kind: 'pump' }],
    seed,
    start: T0,
    faults: [{ asset: 'pump-1', fault: 'bearing-wear', onsetHours, failureHours }],
  });
  // Failure at the vibration the simulated bearing fails at (1.3 × the ISO zone C/D limit).
  const tracker = new HealthTracker({ ...DEFAULT_HEALTH_OPTIONS, indicatorSensor: 'vibration_rms', failureThreshold: 9, baseline: undefined, emitEvery: true }, () => T0);
  const traces = new Map<string, Trace>([['pump-1', { reports: [], failure: undefined }], ['pump-2', { reports: [], failure: undefined }]]);
  for (let ts = T0; ts <= T0 + hours * HOUR; ts += HOUR / 2) {
    const sample = sim.sample(ts);
    for (const event of sample.truth) {
      const trace = traces.get(event.asset);
      if (trace && event.kind === 'failure' && !trace.failure) trace.failure = event;
    }
    if (traces.get('pump-1')?.failure) break;
    feed(tracker, sample.readings, undefined);
    for (const r of tracker.reports()) traces.get(r.asset)?.reports.push(r);
  }
  return traces;
}

describe('health score on plant-sim run-to-failure ground truth', () => {
  for (const seed of [1, 2, 3]) {
    it(`warns before a bearing fails and predicts the failure time (seed ${seed})`, () => {
      const traces = runToFailure(seed, 24, 120, 200);
      const worn = traces.get('pump-1') as Trace;
      const failure = worn.failure;
      assert.ok(failure, 'the simulated bearing fails');
      const warning = worn.reports.find((r) => r.status !== 'healthy');
      assert.ok(warning, 'a warning is raised');
      const leadHours = (failure.ts - warning.ts) / HOUR;
      assert.ok(leadHours >= 12, `warning ${leadHours.toFixed(1)} h before the failure`);
      // With the last day of the wear trend fitted, the predicted date brackets the true one.
      const late = worn.reports.filter((r) => r.predictedFailure && r.ts <= failure.ts - 6 * HOUR && r.ts >= failure.ts - 24 * HOUR);
      assert.ok(late.length > 0, 'predictions in the last day');
      const hits = late.filter((r) => {
        const p = r.predictedFailure;
        return p !== null && p.low <= failure.ts && (p.high === null || failure.ts <= p.high);
      });
      assert.ok(hits.length >= late.length * 0.8, `${hits.length} of ${late.length} intervals hold the true failure time`);
      const last = late[late.length - 1].predictedFailure;
      assert.ok(last && Math.abs(last.ts - failure.ts) < 6 * HOUR, `predicted ${last ? ((last.ts - failure.ts) / HOUR).toFixed(1) : '-'} h from the truth`);
      const healthy = traces.get('pump-2') as Trace;
      assert.ok(healthy.reports.length > 0 && healthy.reports.every((r) => r.status === 'healthy'), 'the sound pump never warns');
    });
  }
});

describe('nearest-neighbour RUL', () => {
  /** A run to failure of `life` cycles: two channels degrade exponentially, one is noise, one constant. */
  function syntheticRun(life: number, noise: () => number): number[][] {
    return Array.from({ length: life }, (_, i) => {
      const wear = Math.exp((4 * i) / life) - 1;
      return [10 + 0.5 * wear + 0.2 * noise(), 5 - 0.3 * wear + 0.1 * noise(), noise(), 3];
    });
  }

  it('predicts the remaining life of held-out runs far better than the mean', () => {
    const noise = gaussian(5);
    const lives = Array.from({ length: 60 }, (_, i) => 150 + ((i * 37) % 120));
    const runs = lives.map((life) => syntheticRun(life, noise));
    const model = NeighbourRul.fit(runs.slice(0, 40), { smoothWindow: 5, slopeWindow: 30, neighbours: 20, cap: 125, maxAge: 250 });
    assert.deepEqual(model.channels, [0, 1, 2], 'the constant channel is left out');
    const errors: number[] = [];
    const truths: number[] = [];
    runs.slice(40).forEach((run, k) => {
      const cut = Math.floor(run.length * (0.5 + 0.4 * ((k * 7) % 10) / 10));
      const truth = Math.min(run.length - cut, 125);
      truths.push(truth);
      errors.push(model.predict(run.slice(0, cut)) - truth);
    });
    const rmse = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    const mean = truths.reduce((s, t) => s + t, 0) / truths.length;
    const floor = Math.sqrt(truths.reduce((s, t) => s + (t - mean) ** 2, 0) / truths.length);
    assert.ok(rmse < floor / 2, `RMSE ${rmse.toFixed(1)} against the mean predictor's ${floor.toFixed(1)}`);
  });

  it('refuses empty or unusable training data', () => {
    assert.throws(() => NeighbourRul.fit([]), /at least one non-empty run/);
    assert.throws(() => NeighbourRul.fit([[[1, 2], [1, 2]]], { smoothWindow: 5, slopeWindow: 30, neighbours: 1, cap: 125, maxAge: 250 }), /no channel varies/);
    assert.throws(() => NeighbourRul.fit([[[1], [2]]], { smoothWindow: 5, slopeWindow: 30, neighbours: 5, cap: 125, maxAge: 250 }), /neighbours must be in 1\.\.2/);
  });
});
