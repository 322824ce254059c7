import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataQualityChecker, type QualityConfig } from '../../../nodes/lib/quality';
import type { Reading } from '../../../nodes/lib/reading';

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);

/** A checker on a clock the test moves, and a helper that checks one reading and returns its fate. */
function harness(config: Partial<QualityConfig> = {}) {
  let now = T0;
  const checker = new DataQualityChecker(config, () => now);
  const check = (value: number, ts = now, sensor = 'level', extra: Partial<Reading> = {}): string => {
    const outcome = checker.check({ asset: 'tank-1', sensor, value, ts, ...extra });
    if (outcome.accepted.length === 1) return outcome.accepted[0].quality ?? 'unset';
    return outcome.rejected[0].error.code;
  };
  return { checker, check, advance: (ms: number) => (now += ms), now: () => now };
}

const rule = (match: string, options: Partial<QualityConfig['defaults']>, type?: QualityConfig['rules'][0]['type']) => ({
  match,
  type,
  options,
});

describe('rule checks', () => {
  it('rejects readings the source marks bad (quality or an OPC UA status that is Bad)', () => {
    const { check, checker } = harness();
    assert.equal(check(1, T0, 'level', { quality: 'bad' }), 'BAD_QUALITY');
    assert.equal(checker.check({ asset: 'a', sensor: 's', value: 1, ts: T0, statusCode: 0x80000000 }).rejected[0].error.code, 'BAD_QUALITY');
    assert.equal(checker.check({ asset: 'a', sensor: 's', value: 1, ts: T0 + 1, statusCode: { value: 7 } }).accepted.length, 1);
    assert.equal(check(2, T0 + 2, 'level', { quality: 'uncertain' }), 'uncertain');
  });

  it('rejects future timestamps beyond the tolerance and stale ones beyond the age limit', () => {
    const { check } = harness({ futureToleranceMs: 5000, maxAgeMs: 3600_000, duplicates: 'off' });
    assert.equal(check(1, T0 + 5000), 'good');
    assert.equal(check(1, T0 + 5001), 'FUTURE_TIMESTAMP');
    assert.equal(check(1, T0 - 3600_000), 'good');
    assert.equal(check(1, T0 - 3600_001), 'STALE_TIMESTAMP');
    const unlimited = harness({ maxAgeMs: 0 });
    assert.equal(unlimited.check(1, Date.UTC(2001, 0, 1)), 'good');
  });

  it('applies the sensor-type range profile inferred from the sensor name', () => {
    const { check } = harness({ duplicates: 'off' });
    assert.equal(check(200, T0, 'bearing_temp'), 'good');
    assert.equal(check(200.1, T0, 'bearing_temp'), 'OUT_OF_RANGE');
    assert.equal(check(-41, T0, 'temperature'), 'OUT_OF_RANGE');
    assert.equal(check(-1, T0, 'vibration'), 'OUT_OF_RANGE');
    assert.equal(check(101, T0, 'pressure'), 'OUT_OF_RANGE');
    assert.equal(check(-1e9, T0, 'level'), 'good', 'an unknown type is unbounded');
  });

  it('lets the first matching table row set the type or the range', () => {
    const { check } = harness({
      duplicates: 'off',
      rules: [rule('tank-*/level', { min: 0, max: 10 }), rule('aux*', {}, 'pressure'), rule('*', { max: 50 })],
    });
    assert.equal(check(10, T0, 'level'), 'good');
    assert.equal(check(10.5, T0, 'level'), 'OUT_OF_RANGE');
    assert.equal(check(100.5, T0, 'aux1'), 'OUT_OF_RANGE', 'typed as pressure by the row');
    assert.equal(check(-100, T0, 'temperature'), 'OUT_OF_RANGE', 'profile min stays, row max applies');
    assert.equal(check(51, T0, 'temperature'), 'OUT_OF_RANGE');
  });

  it('rejects a change faster than max rate per second against the previous accepted reading', () => {
    const { check } = harness({ defaults: { ...noRules(), maxRate: 2 } });
    assert.equal(check(10, T0 - 10_000), 'good');
    assert.equal(check(12, T0 - 9000), 'good', '2/s is allowed');
    assert.equal(check(20, T0 - 8000), 'RATE_OF_CHANGE', '8/s');
    assert.equal(check(15, T0 - 7000), 'good', 'compared with 12 two seconds back: 1.5/s');
    assert.equal(check(100, T0 - 6000), 'RATE_OF_CHANGE');
    // A real step is accepted once enough time has passed since the last accepted reading.
    assert.equal(check(25, T0), 'good', '10 in 7 s');
    assert.equal(check(90, T0 - 20_000), 'good', 'an out-of-order reading has no slope to check');
  });

  it('flags a value stuck for N readings as uncertain from the N-th one, and recovers on change', () => {
    const { check } = harness({ defaults: { ...noRules(), flatlineSamples: 3 } });
    assert.deepEqual([check(5, T0 - 4000), check(5, T0 - 3000), check(5, T0 - 2000), check(5, T0 - 1000)], [
      'good', 'good', 'uncertain', 'uncertain',
    ]);
    assert.equal(check(6, T0), 'good');
  });

  it('flags a value stuck for S seconds, on the injected clock of the readings', () => {
    const { check, advance, now } = harness({ defaults: { ...noRules(), flatlineSeconds: 60 } });
    assert.equal(check(5, now()), 'good');
    advance(59_000);
    assert.equal(check(5, now()), 'good');
    advance(1000);
    assert.equal(check(5, now()), 'uncertain');
    advance(1000);
    assert.equal(check(5.01, now()), 'good');
  });

  it('rejects flatlines when so configured, and keeps rejecting while the value stays stuck', () => {
    const { check, checker } = harness({ flatlineAction: 'reject', defaults: { ...noRules(), flatlineSamples: 2 } });
    assert.equal(check(5, T0 - 3000), 'good');
    assert.equal(check(5, T0 - 2000), 'FLATLINE');
    assert.equal(check(5, T0 - 1000), 'FLATLINE');
    assert.equal(check(7, T0), 'good');
    const outcome = checker.check({ asset: 'tank-1', sensor: 'level', value: 7, ts: T0 + 1 });
    assert.match(outcome.rejected[0].error.reason, /repeated the same value for 2 readings/);
  });

  it('rejects duplicates by key and ts, optionally only when the value is the same too', () => {
    const byTs = harness({ duplicates: 'ts' });
    assert.equal(byTs.check(1, T0 - 1000), 'good');
    assert.equal(byTs.check(2, T0 - 1000), 'DUPLICATE');
    assert.equal(byTs.check(2, T0 - 1000, 'other'), 'good', 'another key');
    const byTsValue = harness({ duplicates: 'ts+value' });
    assert.equal(byTsValue.check(1, T0 - 1000), 'good');
    assert.equal(byTsValue.check(2, T0 - 1000), 'good', 'a correction');
    assert.equal(byTsValue.check(1, T0 - 1000), 'DUPLICATE');
    const off = harness({ duplicates: 'off' });
    assert.equal(off.check(1, T0), 'good');
    assert.equal(off.check(1, T0), 'good');
  });

  it('does not take readings without a source timestamp for duplicates of each other', () => {
    const { checker } = harness();
    assert.equal(checker.check([1, 2, 3], 'tank-1/level').accepted.length, 3);
    assert.equal(checker.check({ asset_id: 'tank-1', sensor_id: 'level', value: 4 }).accepted.length, 1);
    assert.equal(checker.check({ asset_id: 'tank-1', sensor_id: 'level', value: 4 }).accepted.length, 1);
  });

  it('spots a duplicate among the last few readings even when it arrives out of order', () => {
    const { check } = harness();
    for (let i = 0; i < 5; i++) assert.equal(check(i, T0 - 10_000 + i * 1000), 'good');
    assert.equal(check(0, T0 - 10_000), 'DUPLICATE');
  });

  it('marks a rule-rejected reading bad and reports it as normalised', () => {
    const { checker } = harness();
    const input = { device_id: 'oven', sensor_id: 'temperature', value: 999, timestamp: T0 / 1000 };
    const [item] = checker.check(input).rejected;
    assert.deepEqual(item.input, { asset: 'oven', sensor: 'temperature', value: 999, ts: T0, quality: 'bad' });
    assert.equal(item.error.code, 'OUT_OF_RANGE');
    assert.match(item.error.reason, /999 is outside -40\.\.200 for oven\/temperature \(temperature\)/);
  });
});

function noRules(): QualityConfig['defaults'] {
  return { min: -Infinity, max: Infinity, maxRate: Infinity, flatlineSamples: 0, flatlineSeconds: 0 };
}
