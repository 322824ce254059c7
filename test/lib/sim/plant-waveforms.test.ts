import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlantSimulator, type PlantOptions } from '../../../nodes/lib/sim/plant';
import { PlantWaveforms, type PlantWaveform } from '../../../nodes/lib/sim/plant-waveforms';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const OPTIONS: PlantOptions = {
  assets: [{ id: 'pump-1', kind: 'pump' }, { id: 'motor-1', kind: 'motor' }],
  seed: 4,
  start: T0,
  faults: [
    { asset: 'pump-1', fault: 'bearing-wear', onsetHours: 10, failureHours: 100 },
    { asset: 'motor-1', fault: 'misalignment', onsetHours: 0, failureHours: 50 },
  ],
};
const SETTINGS = { sampleRate: 12_800, samples: 2048, bearingDefect: 'ball' as const };

/** Waveforms at the given simulated hours of a fresh run. */
function run(hours: number[]): PlantWaveform[][] {
  const plant = new PlantSimulator(OPTIONS);
  const waves = new PlantWaveforms(plant, OPTIONS.assets, SETTINGS, OPTIONS.seed, T0);
  return hours.map((h) => {
    const ts = T0 + h * HOUR;
    return waves.sample(ts, plant.sample(ts).readings);
  });
}

function rms(x: Float64Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

describe('plant waveforms', () => {
  it('give one waveform per running asset at the tick speed, the same for the same seed', () => {
    const [a] = run([1]);
    const [b] = run([1]);
    assert.deepEqual(a.map((w) => [w.asset, w.sensor, w.unit, w.sampleRate, w.samples.length]), [
      ['pump-1', 'acceleration', 'g', 12_800, 2048],
      ['motor-1', 'acceleration', 'g', 12_800, 2048],
    ]);
    assert.ok(Math.abs(a[0].rpm - 2950) < 30 && Math.abs(a[1].rpm - 1480) < 30);
    assert.deepEqual(a[0].samples, b[0].samples);
  });

  it('carry the fault schedule as ground truth, a bearing defect growing towards failure', () => {
    const ticks = run([5, 20, 60, 112]);
    const pump = ticks.map((t) => t.find((w) => w.asset === 'pump-1'));
    assert.equal(pump[0]?.truth.fault, 'normal');
    assert.deepEqual([pump[1]?.truth.fault, pump[2]?.truth.fault], ['ball', 'ball']);
    assert.ok((pump[2]?.truth.damage ?? 0) > (pump[1]?.truth.damage ?? 1));
    assert.ok(rms(pump[2]?.samples ?? new Float64Array(1)) > rms(pump[0]?.samples ?? new Float64Array(1)), 'impacts add energy');
    assert.ok((pump[1]?.truth.faultHz ?? 0) > 0);
    assert.equal(ticks[1].find((w) => w.asset === 'motor-1')?.truth.fault, 'misalignment');
    assert.equal(pump[3], undefined, 'a failed machine stands still: no waveform');
  });
});
