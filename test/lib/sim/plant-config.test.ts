import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, sampleLines } from '../../../nodes/lib/sim/cli';
import { settingsFromConfig } from '../../../nodes/lib/sim/config';
import { PlantSimulator } from '../../../nodes/lib/sim/plant';

describe('plant-sim configuration', () => {
  it('builds N assets of one kind with defaults', () => {
    const s = settingsFromConfig({ assetCount: '3', assetKind: 'motor' });
    assert.deepEqual(s.plant.assets.map((a) => a.id), ['motor-1', 'motor-2', 'motor-3']);
    assert.deepEqual([s.tickMs, s.acceleration, s.plant.seed, s.plant.faults], [1000, 1440, 1, []]);
  });

  it('reads a JSON asset list and scenarios with string numbers from the editor', () => {
    const s = settingsFromConfig({
      assetMode: 'json',
      assetsJson: '[{"id":"P101","kind":"pump"},{"id":"C1","kind":"compressor"}]',
      scenarios: [{ asset: 'C1', fault: 'drift', onsetHours: '1.5', failureHours: '10', sensor: 'flow' }],
    });
    assert.deepEqual(s.plant.faults, [{ asset: 'C1', fault: 'drift', onsetHours: 1.5, failureHours: 10, sensor: 'flow' }]);
  });

  it('reads a random schedule', () => {
    const s = settingsFromConfig({ scheduleMode: 'random', ratePerMonth: '2', minFailureHours: 10, maxFailureHours: 20 });
    assert.deepEqual(s.plant.random, { ratePerMonth: 2, minFailureHours: 10, maxFailureHours: 20 });
    assert.equal(s.plant.faults, undefined);
  });

  for (const [name, config, reason] of [
    ['zero assets', { assetCount: 0 }, /asset count/],
    ['an unknown kind', { assetKind: 'turbine' }, /kind must be one of/],
    ['broken JSON', { assetMode: 'json', assetsJson: '[{' }, /JSON list/],
    ['duplicate ids', { assetMode: 'json', assetsJson: '[{"id":"a","kind":"pump"},{"id":"a","kind":"pump"}]' }, /twice/],
    ['an unknown asset', { scenarios: [{ asset: 'pump-9', fault: 'stuck', onsetHours: 1, failureHours: 1 }] }, /no asset pump-9/],
    ['an unknown fault', { scenarios: [{ asset: 'pump-1', fault: 'rust', onsetHours: 1, failureHours: 1 }] }, /fault must be one of/],
    ['cavitation on a motor', { assetKind: 'motor', scenarios: [{ asset: 'motor-1', fault: 'cavitation', onsetHours: 1, failureHours: 1 }] }, /pressure and flow/],
    ['a missing time to failure', { scenarios: [{ asset: 'pump-1', fault: 'stuck', onsetHours: 1 }] }, /required/],
    ['a sensor the kind lacks', { assetKind: 'motor', scenarios: [{ asset: 'motor-1', fault: 'stuck', onsetHours: 1, failureHours: 1, sensor: 'flow' }] }, /no sensor flow/],
    ['a zero acceleration', { acceleration: 0 }, /acceleration/],
    ['a tiny tick', { tickMs: 1 }, /tick interval/],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.throws(() => settingsFromConfig(config as Parameters<typeof settingsFromConfig>[0]), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_CONFIG');
        assert.match(err.message, reason);
        return true;
      });
    });
  }
});

describe('plant-sim command line', () => {
  it('parses the documented options into the node configuration', () => {
    const o = parseArgs(['--assets', '4', '--acceleration', '1440', '--seed', '1', '--fault', 'pump-1:bearing-wear:24:120', '--hours', '6', '--fast']);
    const s = settingsFromConfig(o.config);
    assert.equal(s.plant.assets.length, 4);
    assert.equal(s.acceleration, 1440);
    assert.deepEqual(s.plant.faults, [{ asset: 'pump-1', fault: 'bearing-wear', onsetHours: 24, failureHours: 120 }]);
    assert.deepEqual([o.hours, o.fast], [6, true]);
    assert.throws(() => parseArgs(['--fast']), /--hours/);
    assert.throws(() => parseArgs(['--bogus']), /unknown option/);
  });

  it('prints truth and readings as JSON lines', () => {
    const sim = new PlantSimulator({ assets: [{ id: 'm', kind: 'motor' }], seed: 1, start: 0, faults: [{ asset: 'm', fault: 'stuck', onsetHours: 0, failureHours: 1 }] });
    const lines = sampleLines(sim.sample(0)).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines[0], { truth: { asset: 'm', fault: 'stuck', kind: 'onset', ts: 0, sensor: 'bearing_temperature' } });
    assert.equal(lines.length, 7);
    assert.deepEqual(Object.keys(lines[1]), ['asset', 'sensor', 'value', 'ts', 'unit']);
  });
});
