import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingsFromConfig, type AnomalyDetectConfig } from '../../../nodes/lib/anomaly/config';
import { Centring, centredBaseline } from '../../../nodes/lib/anomaly/multivariate-centring';
import { MultivariateDetector } from '../../../nodes/lib/anomaly/multivariate-detector';
import { PdmError } from '../../../nodes/lib/errors';
import { pumpReadings } from './pump';

const T0 = 1_700_000_000_000;
const PUMP: AnomalyDetectConfig = { mvEnabled: true, mvSensors: 'flow,pressure,current,housing', mvTraining: 150, mvK: 2, mvN: 3, cooldown: 0 };
const CENTRED: AnomalyDetectConfig = { ...PUMP, mvCentring: true, mvCentringTime: 20 };

const isConfigError = (e: unknown): boolean => e instanceof PdmError && e.code === 'INVALID_CONFIG';

function detector(config: AnomalyDetectConfig): MultivariateDetector {
  const mv = settingsFromConfig(config).multivariate;
  assert.ok(mv);
  return new MultivariateDetector(mv, () => 0);
}

/** The pump plus a motor housing temperature warming by 0.01 °C per vector, with a little ripple. */
function readings(i: number, broken = false) {
  const housing = 30 + 0.01 * i + 0.01 * Math.sin(i * 2.7);
  return [...pumpReadings('p1', i, T0, broken), { asset: 'p1', sensor: 'housing', value: housing, ts: T0 + i * 1000 }];
}

/** Feeds vectors from..to-1; returns whether the asset fired after each. */
function run(d: MultivariateDetector, from: number, to: number, broken = false): boolean[] {
  const firing: boolean[] = [];
  for (let i = from; i < to; i++) {
    let fired = false;
    for (const r of readings(i, broken)) {
      const o = d.push(r);
      if (o.vector) fired = o.firing;
    }
    firing.push(fired);
  }
  return firing;
}

function storedCentre(d: MultivariateDetector): number[] | undefined {
  const stored = d.persist()?.assets.p1;
  return stored !== undefined && 'centring' in stored ? stored.centring?.centre : undefined;
}

describe('Centring', () => {
  it('is a running mean until the time constant is reached, then an exponential average', () => {
    const c = new Centring(1, 4);
    for (const x of [2, 4, 6]) c.follow([x]);
    assert.equal(c.deviationOf([4])[0], 0, 'mean of 2, 4, 6');
    c.follow([8]);
    assert.equal(c.deviationOf([5])[0], 0, 'mean of the first four');
    c.follow([9]);
    assert.equal(c.deviationOf([0])[0], -6, 'then 5 + (9 − 5) / 4');
  });

  it('drops the settling deviations from the training vectors and ends where the training ended', () => {
    const c = new Centring(1, 2);
    const rows = [[1], [3], [5], [7]];
    assert.deepEqual(centredBaseline(c, rows), [[3], [3.5]], 'x − centre before it, from the third vector on');
    assert.deepEqual(c.toJSON(), { centre: [5.25], seen: 4 });
  });

  it('round-trips its state and refuses a state that does not fit', () => {
    const c = new Centring(2, 10);
    c.follow([1, 2]);
    const copy = new Centring(2, 10);
    copy.restore(JSON.parse(JSON.stringify(c.toJSON())));
    assert.deepEqual(copy.toJSON(), c.toJSON());
    for (const bad of [undefined, { centre: [1], seen: 1 }, { centre: [1, NaN], seen: 1 }, { centre: [1, 2], seen: -1 }]) {
      assert.throws(() => copy.restore(bad), isConfigError);
    }
    assert.throws(() => new Centring(2, 1), isConfigError);
    assert.throws(() => new Centring(2, 2.5), isConfigError);
  });
});

describe('MultivariateDetector with a moving centre', () => {
  it('a slowly warming sensor does not fire, where the fixed training mean does', () => {
    const fixed = detector(PUMP);
    const centred = detector(CENTRED);
    run(fixed, 0, 150);
    run(centred, 0, 150);
    assert.ok(run(fixed, 150, 600).some(Boolean), 'the warming leaves the fixed baseline');
    assert.ok(!run(centred, 150, 600).some(Boolean), 'the moving centre follows it');
  });

  it('a fault keeps firing while the centre is frozen, and the centre resumes once it clears', () => {
    const d = detector({ ...CENTRED, mvSensors: 'flow,pressure,current' });
    run(d, 0, 200);
    assert.deepEqual(run(d, 200, 201, true), [false], 'one vector over the limit is not yet 2 of 3');
    const before = storedCentre(d);
    const fault = run(d, 201, 400, true);
    assert.ok(fault.every(Boolean), 'firing through 200 broken vectors, ten time constants');
    assert.deepEqual(storedCentre(d), before, 'nothing of the fault was averaged in once firing');
    const after = run(d, 400, 450);
    assert.equal(after.at(-1), false, 'resolved once the pump is healthy again');
    assert.notDeepEqual(storedCentre(d), before, 'the centre follows again');
  });

  it('restores the centre with the model, so scores continue unchanged', () => {
    const first = detector(CENTRED);
    run(first, 0, 300);
    const second = detector(CENTRED);
    second.restore(JSON.parse(JSON.stringify(first.persist())));
    const scores = (d: MultivariateDetector) => readings(300).concat(readings(301, true)).flatMap((r) => {
      const o = d.push(r);
      return o.vector ? [o.score] : [];
    });
    assert.deepEqual(scores(second), scores(first));
  });

  it('maps the editor fields and refuses a time constant the training cannot settle', () => {
    assert.equal(settingsFromConfig(PUMP).multivariate?.centringTimeConstant, undefined);
    assert.equal(settingsFromConfig({ ...PUMP, mvCentring: true }).multivariate?.centringTimeConstant, 60);
    assert.equal(settingsFromConfig({ ...CENTRED, mvCentringTime: '30' }).multivariate?.centringTimeConstant, 30);
    assert.throws(() => detector({ ...CENTRED, mvCentringTime: 147 }), isConfigError, 'fewer than 4 vectors left to fit');
    assert.throws(() => detector({ ...CENTRED, mvCentringTime: 1 }), isConfigError);
    assert.doesNotThrow(() => detector({ ...CENTRED, mvCentringTime: 145 }));
  });
});
