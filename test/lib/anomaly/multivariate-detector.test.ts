import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingsFromConfig, type AnomalyDetectConfig } from '../../../nodes/lib/anomaly/config';
import { MultivariateDetector } from '../../../nodes/lib/anomaly/multivariate-detector';
import { PdmError } from '../../../nodes/lib/errors';
import { PUMP_SENSORS, pumpReadings } from './pump';

const T0 = 1_700_000_000_000;
const EDITOR: AnomalyDetectConfig = { mvEnabled: true, mvSensors: 'flow, pressure, current', mvTraining: 100, mvK: 2, mvN: 3, cooldown: 0 };

function detector(config: AnomalyDetectConfig = EDITOR, clock = () => 0): MultivariateDetector {
  const mv = settingsFromConfig(config).multivariate;
  assert.ok(mv);
  return new MultivariateDetector(mv, clock);
}

/** Feeds readings; returns, per completed vector, [learning, score, firing, event state]. */
function feed(d: MultivariateDetector, readings: ReturnType<typeof pumpReadings>) {
  const out = [];
  for (const r of readings) {
    const o = d.push(r);
    if (o.vector) out.push({ learning: o.learning, score: o.score, firing: o.firing, state: o.state, event: o.event });
  }
  return out;
}

const isConfigError = (e: unknown): boolean => e instanceof PdmError && e.code === 'INVALID_CONFIG';

describe('MultivariateDetector', () => {
  it('assembles vectors from separate readings, learns, then fires and resolves through the shared fatigue stage', () => {
    const d = detector();
    assert.equal(d.sensorName, 'flow,pressure,current');
    const learning = feed(d, Array.from({ length: 100 }, (_, i) => pumpReadings('p1', i, T0)).flat());
    assert.equal(learning.length, 100, 'one vector per instant');
    assert.ok(learning.every((v) => v.learning));
    assert.equal(d.learningCount, 0);
    const normal = feed(d, Array.from({ length: 50 }, (_, i) => pumpReadings('p1', 100 + i, T0)).flat());
    assert.ok(normal.every((v) => !v.learning && v.state === undefined), 'fresh normal data stays quiet');
    const broken = feed(d, [150, 151, 152].flatMap((i) => pumpReadings('p1', i, T0, true)));
    assert.deepEqual(broken.map((v) => v.firing), [false, true, true], '2 of 3 vectors over the limit');
    const event = broken[1].event;
    assert.ok(event);
    assert.equal(event.asset, 'p1');
    assert.equal(event.sensor, 'flow,pressure,current');
    assert.equal(event.ts, T0 + 151_000);
    assert.deepEqual(Object.keys(event.value), PUMP_SENSORS);
    assert.ok(event.score > 1);
    assert.equal(event.detectors[0].name, 'q', 'a broken relation shows in Q');
    assert.ok(Object.keys(event.detectors[0].detail ?? {}).length > 0);
    assert.equal(d.firingCount, 1);
    const after = feed(d, Array.from({ length: 5 }, (_, i) => pumpReadings('p1', 153 + i, T0)).flat());
    assert.equal(after.find((v) => v.state !== undefined)?.state, 'resolved');
    assert.equal(d.firingCount, 0);
  });

  it('keeps one model per asset and ignores sensors outside the list', () => {
    const d = detector();
    assert.equal(d.push({ asset: 'p1', sensor: 'vibration', value: 1, ts: T0 }).vector, false);
    feed(d, pumpReadings('p1', 0, T0));
    feed(d, pumpReadings('p2', 0, T0));
    assert.equal(d.assetCount, 2);
    assert.equal(d.learningCount, 2);
  });

  it('a stored model and learning baseline give identical scores after a restore', () => {
    const first = detector();
    feed(first, Array.from({ length: 120 }, (_, i) => pumpReadings('p1', i, T0)).flat());
    feed(first, Array.from({ length: 40 }, (_, i) => pumpReadings('p2', i, T0)).flat());
    const stored = JSON.parse(JSON.stringify(first.persist()));
    assert.equal(first.persist(), undefined, 'nothing changed since');
    const second = detector();
    second.restore(stored);
    const next = [...Array.from({ length: 10 }, (_, i) => pumpReadings('p1', 120 + i, T0)).flat(), ...pumpReadings('p1', 130, T0, true)];
    assert.deepEqual(feed(second, next).map((v) => v.score), feed(first, next).map((v) => v.score));
    const learning = feed(second, pumpReadings('p2', 40, T0));
    assert.equal(learning[0].learning, true);
    const rest = Array.from({ length: 59 }, (_, i) => pumpReadings('p2', 41 + i, T0)).flat();
    assert.equal(feed(second, rest).at(-1)?.learning, true);
    assert.equal(second.learningCount, 0, 'p2 finished its 100 vectors: 40 stored + 60 new');
  });

  it('drops stored models made with other settings', () => {
    const first = detector();
    feed(first, Array.from({ length: 120 }, (_, i) => pumpReadings('p1', i, T0)).flat());
    const other = detector({ ...EDITOR, mvQuantile: 0.95 });
    other.restore(first.persist());
    assert.equal(other.discarded, 1);
    assert.equal(feed(other, pumpReadings('p1', 120, T0))[0].learning, true);
  });

  it('names the sensors left out for drifting during training in the event', () => {
    const d = detector({ ...EDITOR, mvSensors: 'flow,pressure,current,housing', mvExcludeDrifting: true });
    const withHousing = (i: number, broken = false) => [
      ...pumpReadings('p1', i, T0, broken),
      { asset: 'p1', sensor: 'housing', value: 30 + i * 0.1 + 0.05 * Math.sin(i), ts: T0 + i * 1000 },
    ];
    feed(d, Array.from({ length: 100 }, (_, i) => withHousing(i)).flat());
    const fired = feed(d, [100, 101, 102].flatMap((i) => withHousing(i, true))).find((v) => v.event);
    assert.deepEqual(fired?.event?.excluded, ['housing']);
    assert.equal(fired?.event?.value.housing, 30 + 101 * 0.1 + 0.05 * Math.sin(101));
  });
});

describe('multivariate editor settings', () => {
  it('is off unless enabled, and maps the section to the detector configuration', () => {
    assert.equal(settingsFromConfig({ mvSensors: 'a,b' }).multivariate, undefined);
    const mv = settingsFromConfig({ ...EDITOR, mvAlign: 'latest', mvMaxAge: '2000', mvSmoothing: 'ewma', mvWindow: '4', mvClearBelow: '0.5', clearSamples: 2 }).multivariate;
    assert.deepEqual(mv?.sensors, PUMP_SENSORS);
    assert.equal(mv?.align, 'latest');
    assert.equal(mv?.maxAgeMs, 2000);
    assert.deepEqual(mv?.smoothing, { kind: 'ewma', window: 4 });
    assert.deepEqual(mv?.fatigue, { k: 2, n: 3, clearRatio: 0.5, clearSamples: 2, cooldownMs: 0 });
    assert.equal(mv?.driftThreshold, undefined);
    assert.equal(settingsFromConfig({ ...EDITOR, mvExcludeDrifting: true }).multivariate?.driftThreshold, 3);
  });

  it('refuses a missing, short, duplicated or pattern sensor list and bad numbers', () => {
    for (const mvSensors of [undefined, '', 'flow', 'flow,flow', 'flow,pres*', 'flow,?']) {
      assert.throws(() => settingsFromConfig({ ...EDITOR, mvSensors }), isConfigError, String(mvSensors));
    }
    assert.throws(() => settingsFromConfig({ ...EDITOR, mvTraining: 3 }), isConfigError);
    assert.throws(() => settingsFromConfig({ ...EDITOR, mvK: 4, mvN: 3 }), isConfigError);
    assert.throws(() => settingsFromConfig({ ...EDITOR, mvAlign: 'nearest' }), isConfigError);
    assert.throws(() => detector({ ...EDITOR, mvVariance: 1.5 }), isConfigError);
  });
});
