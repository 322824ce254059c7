import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateWaveform } from '../../../nodes/lib/sim/waveform';
import { VibrationAnalyzer, type Analysis } from '../../../nodes/lib/vibration/analyzer';
import { settingsFromConfig } from '../../../nodes/lib/vibration/config';
import { combFalseAlarm } from '../../../nodes/lib/vibration/diagnosis';
import type { Peak } from '../../../nodes/lib/vibration/peaks';
import type { FaultType } from '../../../nodes/lib/vibration/types';
import { loadFft } from '../../../nodes/lib/vibration/fft';

const analyzer = new VibrationAnalyzer(settingsFromConfig({}).analyzer);

function analyse(fault: FaultType, options: { rpm?: number; snrDb?: number; damage?: number; seed?: number; sampleRate?: number } = {}): Analysis {
  const fs = options.sampleRate ?? 12_800;
  const rpm = options.rpm ?? 1800;
  const w = generateWaveform({ sampleRate: fs, samples: fs, rpm, fault, damage: options.damage ?? 0.5, seed: options.seed ?? 7, snrDb: options.snrDb });
  const outcome = analyzer.analyze({ samples: w.samples, sampleRate: fs, rpm, unit: 'g', asset: 'motor', sensor: 'de', start: 0 });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.reason);
  return outcome.analysis;
}

before(() => loadFft());

describe('diagnosis', () => {
  it('names an outer-race defect, with BPFO harmonics as evidence', () => {
    const { diagnosis, features } = analyse('outer-race', { snrDb: 0 });
    assert.equal(diagnosis.fault, 'outer-race');
    const lines = diagnosis.findings[0].evidence.map((e) => e.line);
    assert.ok(lines.includes('BPFO'), lines.join());
    const bpfo = diagnosis.findings[0].evidence.find((e) => e.line === 'BPFO');
    assert.ok(bpfo && Math.abs(bpfo.hz - diagnosis.defectHz.bpfo) <= 0.02 * diagnosis.defectHz.bpfo + 3.2);
    assert.ok(bpfo.prominenceDb >= 10);
    assert.ok(features.bpfo > features.bpfi, 'the BPFO feature stands out');
  });

  it('names an inner-race defect', () => {
    assert.equal(analyse('inner-race', { snrDb: 10, rpm: 1200 }).diagnosis.fault, 'inner-race');
  });

  it('names a ball defect at 2 × BSF', () => {
    assert.equal(analyse('ball', { snrDb: 10, rpm: 2400 }).diagnosis.fault, 'ball');
  });

  it('names imbalance when 1× dominates past zone A', () => {
    const { diagnosis, features } = analyse('imbalance', { damage: 0.6 });
    assert.equal(diagnosis.fault, 'imbalance');
    assert.notEqual(diagnosis.zone, 'A');
    assert.ok(features.order1x > 5 * features.order2x);
    assert.equal(diagnosis.findings[0].evidence[0].line, '1×');
  });

  it('names misalignment when 2× is strong, and looseness with many harmonics', () => {
    assert.equal(analyse('misalignment', { damage: 0.6 }).diagnosis.fault, 'misalignment');
    assert.equal(analyse('looseness', { damage: 0.6 }).diagnosis.fault, 'looseness');
  });

  it('calls a healthy machine normal, in zone A', () => {
    for (const seed of [1, 2, 3]) {
      const { diagnosis } = analyse('normal', { seed });
      assert.equal(diagnosis.fault, 'normal', JSON.stringify(diagnosis.findings));
      assert.equal(diagnosis.zone, 'A');
    }
  });

  it('names a cage defect on a slow shaft (a few impacts per window) at 0 dB SNR, and not on a healthy one', () => {
    for (const sampleRate of [12_800, 25_600]) {
      for (const seed of [1, 2, 3]) {
        const { diagnosis } = analyse('cage', { rpm: 600, snrDb: 0, seed, sampleRate });
        assert.equal(diagnosis.fault, 'cage', `${sampleRate} Hz, seed ${seed}`);
        const comb = diagnosis.findings[0].evidence.filter((e) => e.line.endsWith('FTF'));
        assert.ok(comb.length >= 4, comb.map((e) => e.line).join());
        assert.equal(analyse('normal', { rpm: 600, seed, sampleRate }).diagnosis.fault, 'normal');
      }
    }
  });

  it('lists every bearing line it checked with its prominence', () => {
    const { diagnosis } = analyse('normal');
    const lines = diagnosis.checked.map((e) => e.line);
    for (const line of ['BPFO', '2×BPFO', 'BPFI', '2×BSF', '4×BSF', 'FTF']) assert.ok(lines.includes(line), line);
    assert.ok(diagnosis.checked.every((e) => Number.isFinite(e.prominenceDb)));
  });
});

describe('comb false-alarm probability', () => {
  const lines = (count: number, searched: number): Peak[] =>
    Array.from({ length: count }, (_, i) => ({ expectedHz: i + 1, hz: i + 1, amplitude: 0, floor: 0, prominenceDb: 0, searched }));

  it('is certain for no line and 2^−r for one bin r = 10^0.6 times its median', () => {
    assert.equal(combFalseAlarm(lines(8, 3), 0), 1);
    assert.ok(Math.abs(combFalseAlarm(lines(1, 1), 1) - Math.pow(2, -Math.pow(10, 0.6))) < 1e-12);
  });

  it('matches the binomial tail for equal lines and falls as more of them stand out', () => {
    const p = 1 - Math.pow(1 - Math.pow(2, -Math.pow(10, 0.6)), 3);
    const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);
    let expected = 0;
    for (let k = 6; k <= 8; k++) expected += choose(8, k) * Math.pow(p, k) * Math.pow(1 - p, 8 - k);
    assert.ok(Math.abs(combFalseAlarm(lines(8, 3), 6) - expected) < 1e-12);
    let previous = 1;
    for (let found = 1; found <= 8; found++) {
      const chance = combFalseAlarm(lines(8, 3), found);
      assert.ok(chance < previous, `${found}: ${chance}`);
      previous = chance;
    }
    assert.ok(combFalseAlarm(lines(8, 3), 6) < 1e-3);
    assert.ok(combFalseAlarm(lines(8, 3), 4) > 1e-3);
  });

  it('asks more of lines searched over more bins', () => {
    assert.ok(combFalseAlarm(lines(8, 9), 6) > combFalseAlarm(lines(8, 3), 6));
  });
});
