import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../nodes/lib/errors';
import { compileGlob, inferSensorType, RANGE_PROFILES, SensorRuleTable } from '../../nodes/lib/sensor-rules';

interface Limits {
  min: number;
  max: number;
  maxRate?: number;
}

describe('sensor-rules', () => {
  it('infers sensor types from common names', () => {
    assert.equal(inferSensorType('bearing_temperature'), 'temperature');
    assert.equal(inferSensorType('Thermocouple'), 'temperature');
    assert.equal(inferSensorType('Accelerometer1RMS'), 'vibration');
    assert.equal(inferSensorType('vibration'), 'vibration');
    assert.equal(inferSensorType('Pressure'), 'pressure');
    assert.equal(inferSensorType('motor_current'), 'current');
    assert.equal(inferSensorType('Volume Flow RateRMS'), 'flow');
    assert.equal(inferSensorType('running_hours'), 'default');
  });

  it('compiles globs that match whole strings and escape regex characters', () => {
    assert.ok(compileGlob('pump-*/temp?').test('pump-1/temp1'));
    assert.ok(!compileGlob('pump-*/temp?').test('pump-1/temp12'));
    assert.ok(compileGlob('a.b').test('a.b'));
    assert.ok(!compileGlob('a.b').test('axb'));
    assert.throws(() => compileGlob(' '), PdmError);
  });

  it('layers defaults, type profile and the first matching rule', () => {
    const table = new SensorRuleTable<Limits>(
      { min: -Infinity, max: Infinity },
      [
        { match: 'pump-7/*', options: { max: 80 } },
        { match: 'temp*', type: 'temperature', options: { maxRate: 2 } },
        { match: '*', options: { maxRate: 99 } },
      ],
      { temperature: { min: RANGE_PROFILES.temperature.min, max: RANGE_PROFILES.temperature.max } },
    );
    assert.deepEqual(table.resolve('pump-7', 'temperature'), { type: 'temperature', options: { min: -40, max: 80 } });
    assert.deepEqual(table.resolve('pump-1', 'temperature'), {
      type: 'temperature',
      options: { min: -40, max: 200, maxRate: 2 },
    });
    assert.deepEqual(table.resolve('pump-1', 'speed'), {
      type: 'speed',
      options: { min: -Infinity, max: Infinity, maxRate: 99 },
    });
    assert.equal(table.resolve('pump-1', 'speed'), table.resolve('pump-2', 'speed'), 'same rule and type: one shared object');
    assert.notEqual(table.resolve('pump-7', 'temperature'), table.resolve('pump-1', 'temperature'));
  });

  it('ignores empty rule cells and rejects unknown types', () => {
    const table = new SensorRuleTable<Limits>({ min: 0, max: 10 }, [{ match: '*', options: { max: undefined } }]);
    assert.equal(table.resolve('a', 'b').options.max, 10);
    assert.throws(
      () => new SensorRuleTable<Limits>({ min: 0, max: 1 }, [{ match: '*', type: 'bogus' as never, options: {} }]),
      /unknown sensor type/,
    );
  });
});
