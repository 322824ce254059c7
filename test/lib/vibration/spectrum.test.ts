import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { VibrationAnalyzer, velocityRmsOf } from '../../../nodes/lib/vibration/analyzer';
import { chartPoints, MAX_CHART_POINTS } from '../../../nodes/lib/vibration/chart';
import { settingsFromConfig } from '../../../nodes/lib/vibration/config';
import { EnvelopeAnalyzer } from '../../../nodes/lib/vibration/envelope';
import { PeakFinder } from '../../../nodes/lib/vibration/peaks';
import { STANDARD_GRAVITY, type Waveform } from '../../../nodes/lib/vibration/types';
import { WelchWorkspace } from '../../../nodes/lib/vibration/welch';
import { loadFft } from '../../../nodes/lib/vibration/fft';

function sines(fs: number, n: number, tones: Array<[hz: number, amplitude: number]>, offset = 0): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = offset;
    for (const [hz, a] of tones) v += a * Math.sin(2 * Math.PI * hz * (i / fs) + hz);
    x[i] = v;
  }
  return x;
}

function within(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${what}: ${actual} is not within ${relative * 100} % of ${expected}`);
}

before(() => loadFft());

describe('Welch spectrum', () => {
  const fs = 10_240;
  const tones: Array<[number, number]> = [[50, 1], [120.3, 0.5], [333.7, 0.25], [1234.56, 0.1]];
  const welch = new WelchWorkspace(4096);
  const view = welch.run(sines(fs, 4 * fs, tones, 0.7), 0.7, fs);
  const finder = new PeakFinder();

  it('averages half-overlapping segments', () => {
    assert.equal(welch.segments, Math.floor((4 * fs - 4096) / 2048) + 1);
    assert.equal(view.binHz, fs / 4096);
  });

  for (const [hz, amplitude] of tones) {
    it(`finds the ${hz} Hz line with its amplitude within 1 %, on or between bins`, () => {
      const peak = finder.find(view, hz, 0.02);
      assert.ok(peak);
      assert.ok(Math.abs(peak.hz - hz) <= view.binHz, `found at ${peak.hz} Hz`);
      within(peak.amplitude, amplitude, 0.01, `amplitude at ${hz} Hz`);
      assert.ok(peak.prominenceDb > 40, `prominence ${peak.prominenceDb} dB`);
    });
  }

  it('band mean square adds up to the tones inside the band (Parseval)', () => {
    within(view.bandMeanSquare(30, 400), (1 + 0.25 + 0.0625) / 2, 0.01, 'mean square 30–400 Hz');
  });

  it('finds nothing for a frequency beyond the spectrum', () => {
    assert.equal(finder.find(view, fs, 0.02), undefined);
  });

  it('decimates the chart to at most 1,000 points and keeps the peaks', () => {
    const points = chartPoints(view);
    assert.ok(points.length <= MAX_CHART_POINTS && points.length >= MAX_CHART_POINTS / 2, `${points.length} points`);
    const top = points.reduce((a, b) => (b.y > a.y ? b : a));
    assert.ok(Math.abs(top.x - 50) <= view.binHz * 2, `highest point at ${top.x} Hz`);
    assert.ok(points.every((p, i) => i === 0 || p.x > points[i - 1].x), 'x increases');
  });
});

describe('velocity RMS', () => {
  const fs = 12_800;
  for (const hz of [25, 80, 400]) {
    it(`a sine of A at ${hz} Hz has velocity RMS A/(2πf)/√2 (g and m/s²)`, () => {
      const welch = new WelchWorkspace(8192);
      const view = welch.run(sines(fs, 3 * fs, [[hz, 0.5]]), 0, fs);
      const expected = ((0.5 / (2 * Math.PI * hz)) / Math.SQRT2) * 1000;
      within(velocityRmsOf(view, 10, 1000, 1), expected, 0.01, 'm/s² → mm/s');
      within(velocityRmsOf(view, 10, 1000, STANDARD_GRAVITY), expected * STANDARD_GRAVITY, 0.01, 'g → mm/s');
    });
  }

  it('leaves out lines outside the band', () => {
    const welch = new WelchWorkspace(8192);
    const view = welch.run(sines(fs, 3 * fs, [[3000, 1]]), 0, fs);
    assert.ok(velocityRmsOf(view, 10, 1000, 1) < 1e-3);
  });
});

describe('envelope spectrum', () => {
  it('demodulates an amplitude-modulated carrier: the line at the modulation frequency has the modulation amplitude', () => {
    const fs = 16_384;
    const n = 4 * fs;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / fs;
      x[i] = (1 + 0.4 * Math.cos(2 * Math.PI * 37 * t)) * Math.cos(2 * Math.PI * 3000 * t);
    }
    const welch = new WelchWorkspace(8192);
    welch.run(x, 0, fs);
    const envelope = new EnvelopeAnalyzer().run(welch, fs, 2500, 3500, 200);
    const peak = new PeakFinder().find(envelope, 37, 0.02);
    assert.ok(peak);
    within(peak.amplitude, 0.4, 0.02, 'modulation amplitude');
    assert.ok(Math.abs(peak.hz - 37) <= envelope.binHz);
  });

  it('resolves over the whole waveform a modulation too slow for one segment', () => {
    const fs = 12_800;
    const x = new Float64Array(fs);
    for (let i = 0; i < fs; i++) {
      const t = i / fs;
      x[i] = (1 + 0.4 * Math.cos(2 * Math.PI * 4 * t)) * Math.cos(2 * Math.PI * 3000 * t);
    }
    const welch = new WelchWorkspace(4096);
    welch.run(x, 0, fs);
    const analyzer = new EnvelopeAnalyzer();
    const averaged = analyzer.run(welch, fs, 2500, 3500, 200);
    const whole = analyzer.wholeWindow;
    assert.ok(whole.binHz < averaged.binHz / 2, `${whole.binHz} Hz bins`);
    const peak = new PeakFinder().find(whole, 4, 0.05, 4);
    assert.ok(peak);
    within(peak.amplitude, 0.4, 0.05, 'modulation amplitude');
    assert.ok(Math.abs(peak.hz - 4) <= whole.binHz);
    assert.ok(peak.prominenceDb > 20, `${peak.prominenceDb} dB`);
  });
});

describe('analyzer features', () => {
  it('reports 1×, 2×, 3× amplitudes and band RMS as flat WindowStats-compatible fields', () => {
    const settings = settingsFromConfig({ bands: [{ name: 'low', low: 0, high: 200 }] });
    const analyzer = new VibrationAnalyzer(settings.analyzer);
    const fs = 12_800;
    const waveform: Waveform = {
      samples: sines(fs, fs, [[30, 0.2], [60, 0.1], [90, 0.05]]), sampleRate: fs, rpm: 1800, unit: 'g', asset: 'm1', sensor: 'de', start: 1000,
    };
    const outcome = analyzer.analyze(waveform);
    assert.ok(outcome.ok);
    const f = outcome.analysis.features;
    within(f.order1x, 0.2, 0.01, '1×');
    within(f.order2x, 0.1, 0.01, '2×');
    within(f.order3x, 0.05, 0.01, '3×');
    within(f.band_low, Math.sqrt((0.04 + 0.01 + 0.0025) / 2), 0.01, 'band RMS');
    within(f.rms, Math.sqrt((0.04 + 0.01 + 0.0025) / 2), 0.01, 'time-domain RMS');
    assert.equal(f.start, 1000);
    assert.equal(f.end, 2000);
    assert.equal(f.count, fs);
    assert.equal(outcome.analysis.spectrum.fftSize, analyzer.segmentSizeFor(fs, fs, 30));
  });

  it('auto segment length keeps four averages unless a slow shaft needs finer bins; a fixed one is capped by the waveform', () => {
    const auto = new VibrationAnalyzer(settingsFromConfig({}).analyzer);
    assert.equal(auto.segmentSizeFor(25_600, 25_600, 30), 8192);
    assert.equal(auto.segmentSizeFor(12_000, 12_000, 30), 4096);
    // 10 Hz orders at 12.8 kHz: 4096-point bins (3.1 Hz) would put them 3.2 bins apart.
    assert.equal(auto.segmentSizeFor(12_800, 12_800, 10), 8192);
    assert.equal(auto.segmentSizeFor(12_800, 12_800, 1), 8192);
    const fixed = new VibrationAnalyzer(settingsFromConfig({ segmentSize: '16384' }).analyzer);
    assert.equal(fixed.segmentSizeFor(100_000, 25_600, 10), 16384);
    assert.equal(fixed.segmentSizeFor(10_000, 25_600, 30), 8192);
  });
});
