import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateWaveform } from '../../../nodes/lib/sim/waveform';
import { VibrationAnalyzer } from '../../../nodes/lib/vibration/analyzer';
import { settingsFromConfig } from '../../../nodes/lib/vibration/config';
import { AnalysisPool, MAX_WORKERS } from '../../../nodes/lib/vibration/pool';
import { resultOf } from '../../../nodes/lib/vibration/result';
import type { Waveform } from '../../../nodes/lib/vibration/types';
import { loadFft } from '../../../nodes/lib/vibration/fft';

const settings = settingsFromConfig({ chart: 'spectrum' });

function waveform(seed: number, rpm = 1500 + 60 * seed): Waveform {
  const w = generateWaveform({ sampleRate: 12_800, samples: 12_800, rpm, fault: seed % 2 === 0 ? 'outer-race' : 'inner-race', damage: 0.5, seed, snrDb: 10 });
  return { samples: Float32Array.from(w.samples), sampleRate: 12_800, rpm, unit: 'g', asset: 'pump', sensor: `s${seed}`, start: 0 };
}

before(() => loadFft());

describe('analysis pool', () => {
  it('gives on worker threads the results of the flow-thread analyzer, for many waveforms in flight', async () => {
    const pool = new AnalysisPool(2, { analyzer: settings.analyzer, chart: settings.chart });
    const analyzer = new VibrationAnalyzer(settings.analyzer);
    try {
      const waveforms = Array.from({ length: 12 }, (_, i) => waveform(i + 1));
      const outcomes = await Promise.all(waveforms.map((w) => pool.analyze(w)));
      outcomes.forEach((outcome, i) => {
        assert.ok(outcome.ok);
        const local = analyzer.analyze(waveforms[i]);
        assert.ok(local.ok);
        assert.deepEqual(outcome.result, resultOf(local.analysis, settings.chart));
      });
      assert.ok(outcomes.some((o) => o.ok && o.result.diagnosis.fault === 'outer-race'));
    } finally {
      await pool.close();
    }
  });

  it('passes rejections back as outcomes, takes plain arrays, and the samples sent are a copy', async () => {
    const pool = new AnalysisPool(1, { analyzer: settings.analyzer, chart: 'off' });
    try {
      const short = { ...waveform(1), samples: new Float64Array(300) };
      const outcome = await pool.analyze(short);
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok && outcome.error.code === 'OUT_OF_RANGE');
      assert.equal(short.samples.length, 300, 'the caller keeps its samples');
      const plain = waveform(3);
      const fromJson = await pool.analyze({ ...plain, samples: Array.from(plain.samples) });
      assert.ok(fromJson.ok && fromJson.result.features.count === plain.samples.length);
    } finally {
      await pool.close();
    }
  });

  it('posts float samples without moving them, and only the samples of a view into a larger buffer', async () => {
    const pool = new AnalysisPool(1, { analyzer: settings.analyzer, chart: settings.chart });
    const analyzer = new VibrationAnalyzer(settings.analyzer);
    try {
      const w = waveform(4);
      const outcome = await pool.analyze(w);
      assert.equal(w.samples.length, 12_800, 'the caller keeps its samples');
      const local = analyzer.analyze(w);
      assert.ok(outcome.ok && local.ok);
      assert.deepEqual(outcome.result, resultOf(local.analysis, settings.chart));
      const padded = new Float64Array(3 * 12_800);
      padded.set(w.samples, 12_800);
      const view = padded.subarray(12_800, 2 * 12_800);
      const fromView = await pool.analyze({ ...w, samples: view });
      assert.ok(fromView.ok);
      assert.deepEqual(fromView.result.features, outcome.result.features);
      assert.equal(padded.length, 3 * 12_800);
    } finally {
      await pool.close();
    }
  });

  it('refuses a size outside 1..MAX_WORKERS and waveforms after close', async () => {
    assert.throws(() => new AnalysisPool(0, { analyzer: settings.analyzer, chart: 'off' }), RangeError);
    assert.throws(() => new AnalysisPool(MAX_WORKERS + 1, { analyzer: settings.analyzer, chart: 'off' }), RangeError);
    const pool = new AnalysisPool(1, { analyzer: settings.analyzer, chart: 'off' });
    await pool.close();
    await assert.rejects(pool.analyze(waveform(2)), /closed/);
  });

  it('reads the worker count from the configuration: 0 by default, at most MAX_WORKERS', () => {
    assert.equal(settingsFromConfig({}).workers, 0);
    assert.equal(settingsFromConfig({ workers: '2' }).workers, 2);
    assert.throws(() => settingsFromConfig({ workers: MAX_WORKERS + 1 }), /worker count/);
    assert.throws(() => settingsFromConfig({ workers: '1.5' }), /worker count/);
  });
});
