import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DRIFT_OPTIONS, DriftDetector, type DriftOptions } from '../../../nodes/lib/ml/drift';
import { kolmogorovSurvival, ksTest, learnBaseline, psi } from '../../../nodes/lib/ml/drift-stats';
import { gaussian } from '../../../nodes/lib/sim/waveform';

const sorted = (xs: number[]): number[] => xs.slice().sort((a, b) => a - b);
function normalSample(seed: number, n: number, mean = 0, sd = 1): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => mean + sd * g());
}

describe('drift statistics', () => {
  it('PSI is near zero for the same distribution and large for a shifted one', () => {
    const base = learnBaseline(normalSample(1, 5000));
    assert.equal(base.edges.length, 11);
    assert.ok(Math.abs(base.fractions.reduce((s, f) => s + f, 0) - 1) < 1e-9);
    const same = psi(base, normalSample(2, 1000));
    const shifted = psi(base, normalSample(3, 1000, 1));
    assert.ok(same < 0.05, `same ${same}`);
    assert.ok(shifted > 0.25, `shifted ${shifted}`);
  });

  it('accepts inner cut points as edges as well as all boundaries', () => {
    const bins = { edges: [0, 1], fractions: [0.25, 0.5, 0.25] };
    assert.ok(psi(bins, [-1, 0.5, 0.6, 2]) < 1e-9);
    assert.ok(psi({ edges: [-5, 0, 1, 5], fractions: [0.25, 0.5, 0.25] }, [-1, 0.5, 0.6, 2]) < 1e-9);
  });

  it('KS gives a high p-value for equal distributions and a tiny one for shifted ones', () => {
    const a = sorted(normalSample(4, 400));
    assert.ok(ksTest(a, sorted(normalSample(5, 1000))).pValue > 0.05);
    const shifted = ksTest(a, sorted(normalSample(6, 1000, 0.5)));
    assert.ok(shifted.pValue < 1e-6, `p ${shifted.pValue}`);
    assert.ok(shifted.statistic > 0.15);
    // Known values of the Kolmogorov distribution: P(K > 1.36) ≈ 0.049, P(K > 1.63) ≈ 0.0098.
    assert.ok(Math.abs(kolmogorovSurvival(1.36) - 0.049) < 0.002);
    assert.ok(Math.abs(kolmogorovSurvival(1.63) - 0.0098) < 0.001);
    assert.equal(ksTest([], [1]).pValue, 1);
  });
});

const options = (o: Partial<DriftOptions> = {}): DriftOptions => ({ ...DEFAULT_DRIFT_OPTIONS, windowSize: 200, evaluateEvery: 200, learnCount: 1000, ...o });

describe('drift detector', () => {
  it('reports no drift on unshifted data and drift on shifted data, against a model baseline', () => {
    const baseline = { temp: learnBaseline(normalSample(10, 3000, 60, 2)), vib: learnBaseline(normalSample(11, 3000, 2, 0.2)) };
    const d = new DriftDetector(options(), ['temp', 'vib'], baseline);
    const tempSteady = normalSample(12, 1000, 60, 2);
    const vibSteady = normalSample(13, 1000, 2, 0.2);
    const vibWorn = normalSample(14, 200, 2.6, 0.25);
    const steady = [];
    for (let i = 0; i < 1000; i++) {
      d.add('pump-1', 'temp', tempSteady[i], i);
      d.add('pump-1', 'vib', vibSteady[i], i);
      d.add('pump-1', 'other', 99, i);
      steady.push(...d.takeReports());
    }
    assert.equal(steady.length, 5);
    assert.ok(steady.every((r) => !r.drifted && r.baseline === 'model'), JSON.stringify(steady.map((r) => r.features)));
    for (let i = 0; i < 200; i++) {
      d.add('pump-1', 'temp', tempSteady[i], 1000 + i);
      d.add('pump-1', 'vib', vibWorn[i], 1000 + i);
    }
    const [shifted] = d.takeReports();
    assert.equal(shifted.drifted, true);
    assert.equal(shifted.started, true);
    const vib = shifted.features.find((f) => f.feature === 'vib');
    const temp = shifted.features.find((f) => f.feature === 'temp');
    assert.ok(vib && vib.drifted && vib.level === 'significant' && vib.pValue < 1e-6, JSON.stringify(vib));
    assert.ok(temp && !temp.drifted && temp.psi < 0.25, JSON.stringify(temp));
    const worstSteady = Math.max(...steady.flatMap((r) => r.features.map((f) => f.psi)));
    assert.ok(vib.psi > 4 * worstSteady, `shifted PSI ${vib.psi} against at most ${worstSteady} unshifted`);
    for (let i = 0; i < 200; i++) {
      d.add('pump-1', 'temp', tempSteady[i], 1200 + i);
      d.add('pump-1', 'vib', vibWorn[i], 1200 + i);
    }
    const [still] = d.takeReports();
    assert.equal(still.drifted, true);
    assert.equal(still.started, false, 'one start per drift episode');
  });

  it('learns each asset its own baseline from its first values when the model has none', () => {
    const d = new DriftDetector(options({ learnCount: 500 }), ['x']);
    const a = normalSample(20, 900, 10, 1);
    const b = normalSample(21, 900, 50, 5);
    for (let i = 0; i < 700; i++) {
      d.add('a', 'x', a[i], i);
      d.add('b', 'x', b[i], i);
    }
    const reports = d.takeReports();
    assert.deepEqual(reports.map((r) => [r.asset, r.drifted, r.baseline]), [['a', false, 'learned'], ['b', false, 'learned']]);
    for (let i = 0; i < 200; i++) d.add('a', 'x', a[i] + 3, 700 + i);
    assert.equal(d.report('a')?.drifted, true);
    assert.equal(d.report('b')?.drifted, false);
  });

  it('persists learned baselines and learning progress, and restores them', () => {
    const d = new DriftDetector(options({ learnCount: 500 }), ['x', 'y']);
    const a = normalSample(40, 700, 10, 1);
    for (let i = 0; i < 500; i++) d.add('a', 'x', a[i], i);
    for (let i = 0; i < 100; i++) d.add('a', 'y', a[i], i);
    const saved = JSON.parse(JSON.stringify(d.persist())) as unknown;
    const e = new DriftDetector(options({ learnCount: 500 }), ['x', 'y']);
    assert.equal(e.restore(saved), 1);
    assert.equal(e.restore({ b: { x: { baseline: { edges: [1], fractions: [1], sample: [] } } } }), 1, 'an unusable baseline is ignored');
    for (let i = 0; i < 200; i++) e.add('a', 'x', a[i] + 3, 500 + i);
    const r = e.report('a');
    assert.deepEqual(r?.features.map((f) => [f.feature, f.drifted]), [['x', true]], 'x has its baseline; y is still learning');
    assert.deepEqual(new DriftDetector(options(), ['x'], { x: learnBaseline(a) }).persist(), {}, 'model baselines are not persisted');
  });

  it('says nothing before a full window, and checks its options and asset limit', () => {
    const d = new DriftDetector(options({ maxAssets: 1 }), ['x'], { x: learnBaseline(normalSample(30, 500)) });
    for (let i = 0; i < 199; i++) d.add('a', 'x', 0, i);
    assert.equal(d.report('a'), undefined);
    assert.throws(() => d.add('b', 'x', 0, 0), /more than 1 assets/);
    assert.throws(() => new DriftDetector(options({ psiSignificant: 0.05 }), ['x']), /moderate < significant/);
    assert.throws(() => new DriftDetector(options(), ['x'], { y: learnBaseline([1, 2, 3]) }), /covers none/);
  });
});
