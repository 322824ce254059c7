import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import { VibrationAnalyzer } from '../../../nodes/lib/vibration/analyzer';
import { settingsFromConfig } from '../../../nodes/lib/vibration/config';
import { waveformFromMessage, type WaveformMessage } from '../../../nodes/lib/vibration/input';

const settings = settingsFromConfig({ maxSamples: 100_000 });
const analyzer = new VibrationAnalyzer(settings.analyzer);
const now = (): number => 5_000_000;

function noise(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + 0.1 * Math.cos(i * 0.07));
}

function outcome(msg: WaveformMessage): { code?: string; reason?: string } {
  const read = waveformFromMessage(msg, settings, now);
  if (!read.ok) return read.error;
  const result = analyzer.analyze(read.waveform);
  return result.ok ? {} : result.error;
}

const good = { payload: noise(2048), sampleRate: 2048, rpm: 1800, asset: 'a', sensor: 's' };

describe('waveform rejections', () => {
  it('accepts a good waveform, from an array or a typed array', () => {
    assert.deepEqual(outcome(good), {});
    assert.deepEqual(outcome({ ...good, payload: Float32Array.from(good.payload) }), {});
    assert.deepEqual(outcome({ ...good, asset: undefined, sensor: undefined, topic: 'pump/x' }), {});
  });

  const cases: Array<[string, WaveformMessage, string, RegExp]> = [
    ['a window shorter than one revolution', { ...good, payload: noise(1000), sampleRate: 1000, rpm: 30 }, 'OUT_OF_RANGE', /one revolution/],
    ['a NaN sample', { ...good, payload: [...noise(2000), NaN, 0] }, 'NON_FINITE', /sample 2000 is NaN/],
    ['a NaN in a typed array', { ...good, payload: Float64Array.from([...noise(2000), NaN, 0]) }, 'NON_FINITE', /sample 2000 is NaN/],
    ['infinities of both signs in a typed array', { ...good, payload: Float32Array.from([...noise(300), Infinity, -Infinity, ...noise(2000)]) }, 'NON_FINITE', /sample 300 is Infinity/],
    ['a null sample', { ...good, payload: [...noise(100), null, ...noise(2000)] as number[] }, 'NOT_A_NUMBER', /sample 100/],
    ['a sample that is not a number', { ...good, payload: [...noise(100), '1', ...noise(2000)] }, 'NOT_A_NUMBER', /sample 100/],
    ['a missing sample rate', { ...good, sampleRate: undefined }, 'MISSING_FIELD', /sampleRate/],
    ['a sample rate that is a string', { ...good, sampleRate: '2048' }, 'NOT_A_NUMBER', /sampleRate/],
    ['a negative sample rate', { ...good, sampleRate: -5 }, 'OUT_OF_RANGE', /sample rate/],
    ['a missing speed', { ...good, rpm: undefined }, 'MISSING_FIELD', /rpm/],
    ['zero rpm', { ...good, rpm: 0 }, 'OUT_OF_RANGE', /running speed/],
    ['absurd rpm', { ...good, rpm: 100_001 }, 'OUT_OF_RANGE', /running speed/],
    ['a running speed above Nyquist', { ...good, sampleRate: 100, payload: noise(2048), rpm: 6000 }, 'OUT_OF_RANGE', /Nyquist/],
    ['an empty payload', { ...good, payload: [] }, 'INVALID_PAYLOAD', /empty/],
    ['a huge payload', { ...good, payload: new Float64Array(100_001) }, 'PAYLOAD_TOO_LARGE', /100001 samples/],
    ['a payload that is no array', { ...good, payload: { samples: [] } }, 'INVALID_PAYLOAD', /array/],
    ['a Buffer of bytes', { ...good, payload: Buffer.alloc(4096) }, 'INVALID_PAYLOAD', /array/],
    ['an unknown unit', { ...good, unit: 'mm/s' }, 'INVALID_PAYLOAD', /unit/],
    ['no asset', { ...good, asset: undefined }, 'MISSING_FIELD', /asset/],
    ['a bad ts', { ...good, ts: 'yesterday' }, 'BAD_TIMESTAMP', /ts/],
  ];
  for (const [what, msg, code, reason] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const error = outcome(msg);
      assert.equal(error.code, code, JSON.stringify(error));
      assert.match(String(error.reason), reason);
    });
  }

  it('takes the start from msg.ts, or ends the waveform on arrival', () => {
    const read = waveformFromMessage(good, settings, now);
    assert.ok(read.ok);
    assert.equal(read.waveform.start, 5_000_000 - 1000);
    const stamped = waveformFromMessage({ ...good, ts: 42 }, settings, now);
    assert.ok(stamped.ok && stamped.waveform.start === 42);
  });
});

describe('configuration', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['a segment length that is no power of two', { segmentSize: '3000' }],
    ['an unknown unit', { unit: 'furlong' }],
    ['an inverted velocity band', { velocityLow: 1000, velocityHigh: 10 }],
    ['an unknown machine class', { machineClass: 'V' }],
    ['a pitch diameter below the ball diameter', { ballDiameter: 2, pitchDiameter: 1 }],
    ['missing multipliers', { bearingMode: 'multipliers', bpfo: 3.5 }],
    ['an inverted envelope band', { envelopeMode: 'manual', envelopeLow: 5000, envelopeHigh: 2000 }],
    ['a band name with spaces', { bands: [{ name: 'a b', low: 1, high: 2 }] }],
    ['a tolerance of 50 %', { orderTolerance: 50 }],
  ];
  for (const [what, config] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => settingsFromConfig(config), (err: unknown) => err instanceof PdmError && err.code === 'INVALID_CONFIG');
    });
  }

  it('takes published multipliers as they are', () => {
    const s = settingsFromConfig({ bearingMode: 'multipliers', bpfo: 3.5848, bpfi: 5.4152, bsf: 2.3567, ftf: 0.39828 });
    assert.deepEqual(s.analyzer.multipliers, { bpfo: 3.5848, bpfi: 5.4152, bsf: 2.3567, ftf: 0.39828 });
  });
});
