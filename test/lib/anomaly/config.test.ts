import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingsFromConfig } from '../../../nodes/lib/anomaly/config';
import { AnomalyDetector } from '../../../nodes/lib/anomaly/detector';
import { DEFAULT_CONFIG } from '../../../nodes/lib/anomaly/options';
import { PdmError } from '../../../nodes/lib/errors';

const isConfigError = (e: unknown) => e instanceof PdmError && e.code === 'INVALID_CONFIG';

describe('anomaly-detect editor settings', () => {
  it('an empty form gives the documented defaults', () => {
    const s = settingsFromConfig({});
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    assert.deepEqual(plain(s.detector), plain(DEFAULT_CONFIG));
    assert.deepEqual(s.features, ['mean']);
    assert.equal(s.persistIntervalMs, 30_000);
    assert.equal(s.store, undefined);
    assert.equal(s.passNormal, false);
  });

  it('reads numbers given as strings, blanks as unset, seconds as milliseconds', () => {
    const s = settingsFromConfig({
      zThreshold: '4', min: '', max: '80', cooldown: '10', nelsonRules: '1, 2,7', k: '2', n: '3', features: 'mean, rms', store: 'disk',
    });
    assert.equal(s.detector.sensor.zThreshold, 4);
    assert.equal(s.detector.sensor.min, undefined);
    assert.equal(s.detector.sensor.max, 80);
    assert.equal(s.detector.fatigue.cooldownMs, 10_000);
    assert.deepEqual(s.detector.sensor.nelsonRules, [1, 2, 7]);
    assert.deepEqual(s.features, ['mean', 'rms']);
    assert.equal(s.store, 'disk');
    assert.doesNotThrow(() => new AnomalyDetector(s.detector));
  });

  it('parses rule rows with JSON options and refuses bad ones', () => {
    const s = settingsFromConfig({ rules: [{ match: 'pump-*/temp*', type: 'temperature', options: '{"max": 90}' }] });
    assert.deepEqual(s.detector.rules, [{ match: 'pump-*/temp*', type: 'temperature', options: { max: 90 } }]);
    assert.throws(() => settingsFromConfig({ rules: [{ match: 'x', options: '{max: 90}' }] }), isConfigError);
    assert.throws(() => settingsFromConfig({ rules: [{ match: 'x', options: '{"maxx": 90}' }] }), isConfigError);
    assert.throws(() => settingsFromConfig({ rules: [{ match: 'x', type: 'steam', options: '' }] }), isConfigError);
  });

  it('accepts any feature name, such as spectrum features, and refuses malformed names and a negative save interval', () => {
    assert.deepEqual(settingsFromConfig({ features: 'mean, velocityRms,band_high' }).features, ['mean', 'velocityRms', 'band_high']);
    assert.throws(() => settingsFromConfig({ features: 'mean,a-b' }), isConfigError);
    assert.throws(() => settingsFromConfig({ features: 'payload.x' }), isConfigError);
    assert.throws(() => settingsFromConfig({ persistInterval: -1 }), isConfigError);
  });
});
