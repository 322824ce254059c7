import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingsFromConfig, type AnomalyDetectConfig } from '../../../nodes/lib/anomaly/config';
import type { AnomalyEvent } from '../../../nodes/lib/anomaly/events';
import { DeviationStream, type DeviationOptions } from '../../../nodes/lib/anomaly/deviation';
import { MultivariateDetector } from '../../../nodes/lib/anomaly/multivariate-detector';
import { PdmError } from '../../../nodes/lib/errors';
import { gaussian } from './signals';

const SENSORS = ['flow', 'pressure', 'housing'];
const OPTIONS: DeviationOptions = { sensors: SENSORS, trainingSize: 400, window: 5, centreTime: 300 };
const TRAINING = OPTIONS.trainingSize;

const isConfigError = (e: unknown): boolean => e instanceof PdmError && e.code === 'INVALID_CONFIG';

/**
 * A plant at 1 vector per second: flow with white measurement noise, pressure with noise, and a
 * housing temperature that wanders slowly on top of a first-order warming (5 °C, time constant 25 min).
 */
function plant(seed: number, n: number): number[][] {
  const g = gaussian(seed);
  let wander = 0;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    wander = 0.995 * wander + 0.02 * g();
    rows.push([32 + 0.5 * g(), 4 + 0.05 * g(), 40 + 5 * (1 - Math.exp(-i / 1500)) + wander + 0.01 * g()]);
  }
  return rows;
}

/** Scores of rows after training, the centre fed as the detector feeds it. */
function scores(stream: DeviationStream, rows: number[][]): number[] {
  const out: number[] = [];
  rows.forEach((row, i) => {
    const { learning, score } = stream.update(i * 1000, row);
    if (learning) return;
    out.push(score);
    stream.follow(row);
  });
  return out;
}

describe('DeviationStream', () => {
  it('learns for trainingSize vectors, then scores; 1 = the largest training deviation', () => {
    const stream = new DeviationStream(OPTIONS);
    const rows = plant(1, TRAINING + 1);
    for (let i = 0; i < TRAINING; i++) assert.equal(stream.update(i, rows[i]).learning, true);
    assert.equal(stream.trained, true);
    const last = stream.update(TRAINING, rows[TRAINING]);
    assert.equal(last.learning, false);
    assert.ok(Number.isFinite(last.score) && last.score >= 0);
  });

  it('detects a step on a noisy sensor within a few windows', () => {
    const rows = plant(2, 1000);
    for (let i = 700; i < 1000; i++) rows[i][0] -= 2; // flow drops by 4 noise σ
    const s = scores(new DeviationStream(OPTIONS), rows);
    const first = s.findIndex((x, k) => k + TRAINING >= 700 && x >= 1);
    assert.ok(first >= 0, 'the step is found');
    assert.ok(first + TRAINING - 700 <= 10, `within 10 vectors of the step, got ${first + TRAINING - 700}`);
    assert.ok(s.slice(700 - TRAINING + 10).filter((x) => x >= 1).length > 250, 'and it stays out while the step lasts');
  });

  it('detects a fast drift on the quiet sensor', () => {
    const rows = plant(3, 1000);
    for (let i = 700; i < 1000; i++) rows[i][1] += 0.005 * (i - 700); // pressure climbs 1.5 bar in 5 min
    const s = scores(new DeviationStream(OPTIONS), rows);
    const first = s.findIndex((x, k) => k + TRAINING >= 700 && x >= 1);
    assert.ok(first >= 0 && first + TRAINING - 700 < 120, `found within two minutes, got ${first + TRAINING - 700}`);
  });

  /** Share of scored vectors over the limit across ten seeds. */
  const overShare = (rows: (seed: number) => number[][]): number => {
    let over = 0;
    let total = 0;
    for (let seed = 10; seed < 20; seed++) {
      const s = scores(new DeviationStream(OPTIONS), rows(seed));
      over += s.filter((x) => x >= 1).length;
      total += s.length;
    }
    return over / total;
  };

  it('false-alarm rate on white noise alone is small', () => {
    const share = overShare((seed) => {
      const g = gaussian(seed);
      return Array.from({ length: 3000 }, () => [32 + 0.5 * g(), 4 + 0.05 * g(), 40 + 0.1 * g()]);
    });
    assert.ok(share < 0.01, `share of vectors over the limit ${share.toFixed(4)}`);
  });

  it('false-alarm rate on normal operation with a slowly wandering, warming temperature stays low', () => {
    const share = overShare((seed) => plant(seed, 3000));
    assert.ok(share < 0.05, `share of vectors over the limit ${share.toFixed(4)}`);
  });

  it('widens the scale of a persistent sensor: of two sensors with the same spread, the slowly swinging one gets the wider scale', () => {
    const stream = new DeviationStream({ ...OPTIONS, sensors: ['white', 'slow'] });
    const g = gaussian(4);
    for (let i = 0; i < TRAINING; i++) stream.update(i, [g(), Math.sin(i / 30)]);
    const [white, slow] = stream.toJSON().scales ?? [];
    assert.ok(slow > 2 * white, `scales ${white} and ${slow}`);
  });

  it('a lasting new level becomes the normal after a while instead of holding the alarm for ever', () => {
    const rows = plant(5, 400 + 20_000);
    for (let i = 700; i < rows.length; i++) rows[i][0] -= 2;
    const stream = new DeviationStream(OPTIONS);
    let firing = false;
    const states: boolean[] = [];
    rows.forEach((row, i) => {
      const { learning, score } = stream.update(i, row);
      if (learning) return;
      firing = firing ? score >= 0.8 : score >= 1;
      states.push(firing);
      stream.follow(row);
    });
    assert.equal(states[400], true, 'fires on the step');
    assert.equal(states.at(-1), false, 'released once the centre has moved to the new level');
  });

  it('a sensor constant in training makes any later move count', () => {
    const stream = new DeviationStream(OPTIONS);
    const rows = plant(6, 600).map((r) => [r[0], 4, r[2]]);
    rows[599][1] = 4.001;
    const s = scores(stream, rows);
    assert.ok(s.at(-1)! >= 1);
    assert.ok(s.slice(0, -1).every((x) => Number.isFinite(x)));
  });

  it('names the sensors over the limit, largest first', () => {
    const stream = new DeviationStream(OPTIONS);
    const rows = plant(7, 520);
    for (let i = 500; i < 520; i++) rows[i][0] -= 4;
    scores(stream, rows);
    const [score] = stream.detectorScores(1);
    assert.equal(score.name, 'deviation');
    assert.ok(score.score >= 1);
    assert.equal(Object.keys(score.detail ?? {})[0], 'flow');
  });

  it('restores a stored state and scores exactly as before, learning or trained', () => {
    const rows = plant(8, 700);
    for (const cut of [200, 500]) {
      const a = new DeviationStream(OPTIONS);
      scores(a, rows.slice(0, cut));
      const b = new DeviationStream(OPTIONS, JSON.parse(JSON.stringify(a.toJSON())));
      assert.deepEqual(scores(b, rows.slice(cut)), scores(a, rows.slice(cut)));
    }
  });

  it('refuses bad options and invalid stored states', () => {
    assert.throws(() => new DeviationStream({ ...OPTIONS, window: 0 }), isConfigError);
    assert.throws(() => new DeviationStream({ ...OPTIONS, trainingSize: 19 }), isConfigError, 'fewer than 4 windows');
    assert.throws(() => new DeviationStream({ ...OPTIONS, centreTime: 1 }), isConfigError);
    assert.throws(() => new DeviationStream(OPTIONS, { baseline: [[1, 2]] }), isConfigError);
    assert.throws(() => new DeviationStream(OPTIONS, { baseline: [], scales: [1, 0, 1], limit: 1, slopes: [0, 0, 0], centre: [0, 0, 0], means: [] }), isConfigError);
    assert.throws(() => new DeviationStream(OPTIONS).update(0, [1, NaN, 3]), (e: unknown) => e instanceof PdmError && e.code === 'NON_FINITE');
  });
});

describe('anomaly-detect multivariate method "deviation"', () => {
  const CONFIG: AnomalyDetectConfig = { mvEnabled: true, mvSensors: SENSORS.join(','), mvMethod: 'deviation', mvTraining: TRAINING, cooldown: 0 };
  const detector = (config: AnomalyDetectConfig): MultivariateDetector => {
    const mv = settingsFromConfig(config).multivariate;
    assert.ok(mv);
    return new MultivariateDetector(mv, () => 0);
  };

  it('takes the method and its fields from the editor, with defaults', () => {
    const mv = settingsFromConfig(CONFIG).multivariate;
    assert.equal(mv?.method, 'deviation');
    assert.equal(mv?.deviationWindow, 5);
    assert.equal(mv?.deviationCentreTime, 300);
    assert.equal(settingsFromConfig({ ...CONFIG, mvMethod: undefined }).multivariate?.method, 'pca');
    assert.throws(() => settingsFromConfig({ ...CONFIG, mvMethod: 'mset' }), isConfigError);
    assert.throws(() => detector({ ...CONFIG, mvDevWindow: 200 }), isConfigError, 'training shorter than 4 windows, at deploy');
  });

  it('fires an event naming the sensor that moved, then resolves when it returns', () => {
    const d = detector(CONFIG);
    const rows = plant(9, 1100);
    for (let i = 600; i < 800; i++) rows[i][0] -= 3;
    const states: string[] = [];
    let firing: AnomalyEvent<Record<string, number>> | undefined;
    rows.forEach((row, i) => {
      row.forEach((value, j) => {
        const o = d.push({ asset: 'p1', sensor: SENSORS[j], value, ts: i * 1000 });
        if (o.state) states.push(o.state);
        if (o.state === 'firing' && !firing) firing = o.event;
      });
    });
    assert.deepEqual(states.slice(0, 1), ['firing']);
    assert.ok(states.includes('resolved'), 'resolved after the flow returns');
    assert.equal(firing?.detectors[0].name, 'deviation');
    assert.ok('flow' in (firing?.detectors[0].detail ?? {}));
  });

  it('stores its state, and a store made with another method is dropped', () => {
    const d = detector(CONFIG);
    plant(10, TRAINING + 5).forEach((row, i) => row.forEach((value, j) => d.push({ asset: 'p1', sensor: SENSORS[j], value, ts: i * 1000 })));
    const stored = d.persist();
    const again = detector(CONFIG);
    again.restore(stored);
    again.push({ asset: 'p1', sensor: 'flow', value: 32, ts: 1e9 });
    assert.equal(again.learningCount, 0, 'restored trained');
    const pca = detector({ ...CONFIG, mvMethod: 'pca' });
    pca.restore(stored);
    assert.equal(pca.discarded, 1);
  });
});
