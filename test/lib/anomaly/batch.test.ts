import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectPayload } from '../../../nodes/lib/anomaly/batch';
import type { WindowStats } from '../../../nodes/lib/stats/types';
import { detectorWith, noise } from './signals';

const options = { features: ['mean'], maxBatch: 10_000 };

function stats(sensor: string, end: number, mean: number, std = 1): WindowStats {
  return {
    asset: 'pump-1', sensor, start: end - 1000, end, count: 10, mean, std, min: mean - 1, max: mean + 1, range: 2,
    rms: mean, peak: mean + 1, peakToPeak: 2, crestFactor: 1, skewness: 0, kurtosis: 3, median: mean, p05: mean - 1,
    p95: mean + 1, slope: 0, rateOfChange: 0, first: mean, last: mean,
  };
}

describe('detectPayload', () => {
  it('scores a batch: normal readings with aligned scores, one emission per event', () => {
    const detector = detectorWith({ detectors: ['zscore'], warmUp: 20 });
    const readings = noise(40, 1, 20).map((value, i) => ({ asset: 'p', sensor: 'temp', value, ts: i * 1000 }));
    readings[30].value = 90;
    const result = detectPayload(detector, readings, undefined, options);
    assert.equal(result.batch, true);
    assert.deepEqual(result.events.map((e) => e.meta), [{ key: 'p/temp', state: 'firing' }, { key: 'p/temp', state: 'resolved' }]);
    assert.equal(result.events[0].event.value, 90);
    assert.equal(result.events[1].event.ts, 33_000, 'resolved after three normal readings');
    assert.equal(result.passed.length, 38);
    assert.equal(result.scores.length, 38);
    assert.ok(result.scores.every((s) => s < 1));
    assert.ok(!result.passed.includes(readings[30]));
    assert.equal(result.passed[0], readings[0], 'passes the incoming objects');
  });

  it('skips bad items of a batch, lists them, and keeps the good ones', () => {
    const detector = detectorWith({});
    const batch = [
      { asset: 'p', sensor: 's', value: 1, ts: 1 },
      { asset: 'p', sensor: 's', value: 'x', ts: 2 },
      null,
      { asset: 'p', sensor: 's', value: 2, ts: 3 },
      { asset: 'p', sensor: 's', value: NaN, ts: 4 },
    ];
    const result = detectPayload(detector, batch, undefined, options);
    assert.equal(result.passed.length, 2);
    assert.equal(result.rejectedCount, 3);
    assert.deepEqual(result.rejected.map((r) => [r.index, r.code]), [[1, 'NOT_A_NUMBER'], [2, 'INVALID_PAYLOAD'], [4, 'NON_FINITE']]);
  });

  it('accepts a bare number with msg.topic asset/sensor', () => {
    const detector = detectorWith({});
    const result = detectPayload(detector, 21.5, 'line/1/pump-7/temperature', options);
    assert.equal(result.batch, false);
    assert.equal(result.key, 'line/1/pump-7/temperature');
    assert.equal(result.warmingUp, true);
    assert.equal((result.passed[0] as { value: number }).value, 21.5);
    assert.equal(detectPayload(detector, 21.5, undefined, options).rejected[0].code, 'MISSING_FIELD');
  });

  it('scores each configured feature of window statistics under its own key', () => {
    const detector = detectorWith({ detectors: ['zscore'], warmUp: 10 });
    const features = { features: ['mean', 'std'], maxBatch: 100 };
    const history = noise(20, 2, 60).map((m, i) => stats('temp', (i + 1) * 1000, m, 1 + Math.abs(m - 60) / 10));
    const first = detectPayload(detector, history, undefined, features);
    assert.equal(first.passed.length, 20);
    assert.equal(detector.keyCount, 2);
    const hot = detectPayload(detector, stats('temp', 30_000, 60.2, 25), undefined, features);
    assert.equal(hot.events.length, 1);
    const { event, meta } = hot.events[0];
    assert.equal(event.sensor, 'temp');
    assert.equal(event.feature, 'std');
    assert.equal(event.value, 25);
    assert.equal(event.ts, 30_000);
    assert.equal(meta.key, 'pump-1/temp/std');
    assert.equal(hot.passed.length, 0);
  });

  it('rejects window statistics whose feature is missing', () => {
    const detector = detectorWith({});
    const result = detectPayload(detector, stats('temp', 1000, 1), undefined, { features: ['nope'], maxBatch: 10 });
    assert.equal(result.rejected[0].code, 'NOT_A_NUMBER');
    assert.equal(result.passed.length, 0);
  });

  it('refuses a batch above the size limit as a whole', () => {
    const detector = detectorWith({});
    const result = detectPayload(detector, new Array(11).fill({ asset: 'a', sensor: 's', value: 1, ts: 1 }), undefined, { features: ['mean'], maxBatch: 10 });
    assert.equal(result.rejected[0].code, 'PAYLOAD_TOO_LARGE');
    assert.equal(detector.keyCount, 0);
  });
});
