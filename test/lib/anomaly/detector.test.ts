import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import { AnomalyDetector } from '../../../nodes/lib/anomaly/detector';
import { DEFAULT_FATIGUE } from '../../../nodes/lib/anomaly/fatigue';
import { DEFAULT_CONFIG, DEFAULT_SENSOR_OPTIONS, type DetectorName } from '../../../nodes/lib/anomaly/options';
import { detectorWith, noise, scoresOf } from './signals';

const EVERY: DetectorName[] = ['zscore', 'ewma', 'robust', 'iqr', 'limits', 'rate', 'cusum', 'ewmaChart', 'nelson', 'shift'];

describe('baseline persistence', () => {
  it('a restored detector scores like the one that kept running', () => {
    const sensor = { detectors: EVERY, min: -10, max: 10, rateLimit: 50, window: 40 };
    const original = detectorWith(sensor);
    scoresOf(original, noise(300, 1));
    const stored: Record<string, unknown> = {};
    assert.equal(original.persist(stored), 1);
    assert.equal(original.persist(stored), 0, 'nothing changed since');

    const restored = detectorWith(sensor);
    restored.restore(JSON.parse(JSON.stringify(stored)) as Record<string, unknown>);
    const next = noise(100, 2).map((x, i) => (i === 50 ? x + 6 : x));
    const expected = next.map((v, i) => original.process('a', 's', v, (300 + i) * 1000).score);
    const actual = next.map((v, i) => restored.process('a', 's', v, (300 + i) * 1000).score);
    // running sums are rebuilt from the stored window, so equal up to rounding
    actual.forEach((score, i) => assert.ok(Math.abs(score - expected[i]) < 1e-9, `reading ${i}: ${score} vs ${expected[i]}`));
    assert.ok(expected.some((s) => s >= 1), 'the comparison includes an anomaly');
    assert.equal(restored.warmingCount, 0);
  });

  it('persists at most the given number of changed keys per call, longest waiting first', () => {
    const detector = detectorWith({ detectors: ['zscore'] });
    for (const sensor of ['s1', 's2', 's3']) detector.process('a', sensor, 1, 0);
    const stored: Record<string, unknown> = {};
    assert.equal(detector.persist(stored, 2), 2);
    assert.deepEqual(Object.keys(stored), ['a/s1', 'a/s2']);
    assert.equal(detector.dirtyCount, 1);
    detector.process('a', 's1', 2, 1000);
    assert.equal(detector.persist(stored, 1), 1);
    assert.ok('a/s3' in stored, 'the key waiting longest comes first');
    assert.equal(detector.persist(stored), 1);
    assert.equal(detector.dirtyCount, 0);
  });

  it('stores numbers only', () => {
    const detector = detectorWith({ detectors: ['zscore', 'nelson'] });
    scoresOf(detector, noise(20, 3));
    const stored: Record<string, unknown> = {};
    detector.persist(stored);
    const flat = JSON.stringify(stored['a/s']).replace(/"[a-z]":/g, '');
    assert.match(flat, /^[-0-9.e,[\]{}]+$/);
  });

  it('ignores a stored state that is not one', () => {
    const detector = detectorWith({ detectors: ['zscore'] });
    detector.restore({ 'a/s': { b: { w: ['x'] } } });
    assert.equal(detector.process('a', 's', 1, 0).warmingUp, true);
  });

  it('a shorter window after a redeploy keeps the newest values', () => {
    const long = detectorWith({ detectors: ['zscore'], window: 100 });
    scoresOf(long, noise(100, 4));
    const stored: Record<string, unknown> = {};
    long.persist(stored);
    const short = detectorWith({ detectors: ['zscore'], window: 10, warmUp: 10 });
    short.restore(stored);
    assert.equal(short.process('a', 's', 0, 1e6).warmingUp, false);
  });
});

describe('baseline modes', () => {
  const fault = [...noise(100, 5), ...noise(400, 6, 1.2)];

  it("'learn' follows a new level, 'freeze' keeps the trained one", () => {
    const learn = scoresOf(detectorWith({ detectors: ['zscore'] }, { excludeAnomalies: false }), fault);
    const freeze = scoresOf(detectorWith({ detectors: ['zscore'] }, { mode: 'freeze', excludeAnomalies: false }), fault);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(learn.slice(-100)) < 0.3, `learn ${mean(learn.slice(-100))}`);
    assert.ok(mean(freeze.slice(-100)) > 0.3, `freeze ${mean(freeze.slice(-100))}`);
  });

  it("a frozen baseline stays frozen across a restore", () => {
    const frozen = detectorWith({ detectors: ['zscore'], warmUp: 20 }, { mode: 'freeze' });
    scoresOf(frozen, noise(20, 7));
    const stored: Record<string, unknown> = {};
    frozen.persist(stored);
    const learner = detectorWith({ detectors: ['zscore'], warmUp: 20 });
    learner.restore(stored);
    const first = learner.process('a', 's', 3, 1e6).score;
    scoresOf(learner, Array(50).fill(3));
    assert.equal(learner.process('a', 's', 3, 2e6).score, first);
  });
});

describe('AnomalyDetector', () => {
  it('rejects an invalid configuration with INVALID_CONFIG', () => {
    const bad = [
      { sensor: { ...DEFAULT_SENSOR_OPTIONS, window: 1 } },
      { sensor: { ...DEFAULT_SENSOR_OPTIONS, detectors: ['nope' as DetectorName] } },
      { sensor: { ...DEFAULT_SENSOR_OPTIONS, min: 5, max: 1 } },
      { fatigue: { ...DEFAULT_FATIGUE, k: 4, n: 3 } },
      { severities: { low: 1, medium: 3, high: 2, critical: 5 } },
      { rules: [{ match: '*temp*', options: { zThreshold: -1 } }] },
    ];
    for (const partial of bad) {
      assert.throws(() => new AnomalyDetector({ ...DEFAULT_CONFIG, ...partial }), (e: unknown) => e instanceof PdmError && e.code === 'INVALID_CONFIG');
    }
  });

  it('applies per-sensor rules and sensor-type profiles', () => {
    const detector = detectorWith(
      { detectors: ['limits'] },
      { rules: [{ match: 'pump-*/temp*', options: { max: 80 } }, { match: 'flow', options: { min: 0, max: 10 } }] },
    );
    assert.equal(detector.process('pump-1', 'temperature', 80, 0).score, 1);
    assert.equal(detector.process('fan-1', 'temperature', 80, 0).score, 0);
    assert.equal(detector.process('fan-1', 'flow', 10, 0).score, 1);
  });

  it('bounds the number of keys and reports KEY_LIMIT beyond it', () => {
    const detector = detectorWith({}, { maxKeys: 2 });
    assert.ok(detector.process('a', 'x', 1, 0).ok);
    assert.ok(detector.process('a', 'y', 1, 0).ok);
    const third = detector.process('a', 'z', 1, 0);
    assert.equal(third.ok, false);
    assert.equal(third.error?.code, 'KEY_LIMIT');
    assert.equal(detector.keyLimitHits, 1);
    assert.ok(detector.process('a', 'x', 2, 1).ok);
  });

  it('counts warming and firing keys', () => {
    let t = 0;
    const detector = detectorWith({ detectors: ['zscore'], warmUp: 10 }, { fatigue: { ...DEFAULT_FATIGUE, clearSamples: 2 } }, () => t);
    const base = noise(10, 8);
    base.forEach((v, i) => detector.process('a', 'one', v, i));
    detector.process('a', 'two', 1, 0);
    assert.equal(detector.warmingCount, 1);
    assert.equal(detector.anyReady, true);
    t = 1;
    const fired = detector.process('a', 'one', 100, 11);
    assert.equal(fired.state, 'firing');
    assert.equal(fired.event?.severity, 'critical');
    assert.equal(detector.firingCount, 1);
    detector.process('a', 'one', base[0], 12);
    const resolved = detector.process('a', 'one', base[1], 13);
    assert.equal(resolved.state, 'resolved');
    assert.equal(resolved.event?.severity, 'critical', 'a resolved event carries its episode peak');
    assert.deepEqual(resolved.event?.detectors, []);
    assert.equal(detector.firingCount, 0);
  });
});
