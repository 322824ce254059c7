import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import { DEFAULT_QUALITY_CONFIG, qualityConfigFromEditor } from '../../../nodes/lib/quality';

describe('data-quality editor config', () => {
  it('uses the documented defaults for empty fields', () => {
    assert.deepEqual(qualityConfigFromEditor({}), DEFAULT_QUALITY_CONFIG);
    assert.deepEqual(qualityConfigFromEditor({ maxRate: '', futureTolerance: '', rules: [] }), DEFAULT_QUALITY_CONFIG);
  });

  it('reads numbers given as strings and converts seconds to milliseconds', () => {
    const config = qualityConfigFromEditor({
      maxRate: '2.5', flatlineSamples: '10', flatlineSeconds: 30, futureTolerance: '1', maxAge: '0',
      duplicates: 'ts+value', flatlineAction: 'reject', scoreWindow: '50', maxBatch: 10, maxKeys: '20', keyLimit: 'reject',
    });
    assert.deepEqual(config.defaults, { min: -Infinity, max: Infinity, maxRate: 2.5, flatlineSamples: 10, flatlineSeconds: 30 });
    assert.equal(config.futureToleranceMs, 1000);
    assert.equal(config.maxAgeMs, 0);
    assert.deepEqual(
      [config.duplicates, config.flatlineAction, config.scoreWindow, config.maxBatch, config.maxKeys, config.keyLimit],
      ['ts+value', 'reject', 50, 10, 20, 'reject'],
    );
  });

  it('turns table rows into rules: empty cells inherit, a 0 rate switches the check off', () => {
    const config = qualityConfigFromEditor({
      rules: [{ match: ' pump-*/temp* ', type: 'temperature', min: '0', max: '', maxRate: '0', flatlineSamples: '', flatlineSeconds: '' }],
    });
    assert.deepEqual(config.rules, [
      { match: 'pump-*/temp*', type: 'temperature', options: { min: 0, max: undefined, maxRate: Infinity, flatlineSamples: undefined, flatlineSeconds: undefined } },
    ]);
  });

  it('refuses bad values with INVALID_CONFIG naming the field', () => {
    const bad: Array<[Parameters<typeof qualityConfigFromEditor>[0], RegExp]> = [
      [{ maxRate: 'fast' }, /max rate must be a number/],
      [{ flatlineSamples: 1 }, /flatline samples/],
      [{ flatlineSeconds: -1 }, /flatline seconds must not be negative/],
      [{ scoreWindow: 0 }, /score window/],
      [{ maxBatch: 1.5 }, /max batch/],
      [{ duplicates: 'sometimes' }, /duplicates must be one of off, ts, ts\+value/],
      [{ rules: [{ match: '' }] }, /rule 1: match is empty/],
      [{ rules: [{ match: '*', type: 'humidity' }] }, /unknown sensor type "humidity"/],
      [{ rules: [{ match: '*', min: 5, max: 1 }] }, /rule 1: min 5 is above max 1/],
    ];
    for (const [editor, message] of bad) {
      assert.throws(() => qualityConfigFromEditor(editor), (err: unknown) => err instanceof PdmError && err.code === 'INVALID_CONFIG' && message.test(err.message));
    }
  });
});
