import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { damageAt, generateWaveform, runToFailure } from '../../../nodes/lib/sim/waveform';
import { TimeStatsCalculator } from '../../../nodes/lib/vibration/time-stats';

const base = { sampleRate: 12_800, samples: 12_800, rpm: 1800, seed: 11 };

describe('synthetic waveforms', () => {
  it('are deterministic for a seed and differ between seeds', () => {
    const a = generateWaveform({ ...base, fault: 'outer-race', damage: 0.4 });
    const b = generateWaveform({ ...base, fault: 'outer-race', damage: 0.4 });
    const c = generateWaveform({ ...base, fault: 'outer-race', damage: 0.4, seed: 12 });
    assert.deepEqual(a.samples, b.samples);
    assert.notDeepEqual(a.samples, c.samples);
    assert.equal(a.samples.length, 12_800);
  });

  it('carry the ground truth, with the defect frequency', () => {
    const w = generateWaveform({ ...base, fault: 'inner-race', damage: 0.3 });
    assert.equal(w.truth.fault, 'inner-race');
    assert.equal(w.truth.damage, 0.3);
    assert.ok(Math.abs((w.truth.faultHz ?? 0) - 5.4152 * 30) < 0.01);
    assert.equal(generateWaveform({ ...base, fault: 'normal', damage: 0 }).truth.faultHz, undefined);
  });

  it('grow more impulsive and stronger with damage', () => {
    const stats = new TimeStatsCalculator();
    const at = (damage: number): { rms: number; kurtosis: number } =>
      stats.compute(generateWaveform({ ...base, fault: 'outer-race', damage }).samples, base.sampleRate);
    const healthy = at(0);
    const worn = at(0.3);
    const failed = at(1);
    assert.ok(healthy.kurtosis < 3.5, `healthy kurtosis ${healthy.kurtosis}`);
    assert.ok(worn.kurtosis > healthy.kurtosis + 1);
    assert.ok(failed.rms > worn.rms && worn.rms > healthy.rms);
  });

  it('set the sensor noise from an SNR relative to the bearing impacts', () => {
    const stats = new TimeStatsCalculator();
    const clean = stats.compute(generateWaveform({ ...base, fault: 'ball', damage: 0.5, snrDb: 40 }).samples, base.sampleRate);
    const noisy = stats.compute(generateWaveform({ ...base, fault: 'ball', damage: 0.5, snrDb: 0 }).samples, base.sampleRate);
    assert.ok(noisy.rms > clean.rms * 1.2 && noisy.kurtosis < clean.kurtosis);
  });

  it('run to failure: no damage before onset, then rising to 1', () => {
    assert.equal(damageAt(0.2, 0.3), 0);
    assert.equal(damageAt(1, 0.3), 1);
    const run = [...runToFailure({ ...base, samples: 2048, fault: 'cage', steps: 6, onset: 0.4 })];
    const damage = run.map((w) => w.truth.damage);
    assert.deepEqual(damage.slice(0, 3), [0, 0, 0]);
    assert.ok(damage.every((d, i) => i === 0 || d >= damage[i - 1]));
    assert.equal(damage[5], 1);
    assert.notDeepEqual(run[0].samples, run[1].samples);
  });
});
