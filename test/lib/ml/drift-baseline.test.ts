import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_DRIFT_OPTIONS, type DriftOptions } from '../../../nodes/lib/ml/drift';
import { LiveBaseline, type BaselineModel } from '../../../nodes/lib/ml/drift-baseline';
import { driftSettingsFromConfig } from '../../../nodes/lib/ml/drift-config';
import { learnBaseline } from '../../../nodes/lib/ml/drift-stats';
import { AssetPool } from '../../../nodes/lib/ml/infer-assets';
import { ModelRegistry } from '../../../nodes/lib/ml/registry';
import { gaussian } from '../../../nodes/lib/sim/waveform';

const options: DriftOptions = { ...DEFAULT_DRIFT_OPTIONS, windowSize: 200, evaluateEvery: 200 };
const dirs: string[] = [];

function normalSample(seed: number, n: number, mean: number): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => mean + g());
}

/** A registry with helpers to register a model version whose `x` baseline is centred on `mean`. */
function fixture(): { registry: ModelRegistry; add(name: string, mean: number | undefined, promote: boolean): Promise<number> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-drift-baseline-'));
  dirs.push(dir);
  const registry = new ModelRegistry(dir);
  return {
    registry,
    add: async (name, mean, promote) => {
      const baseline = mean === undefined ? undefined : { x: learnBaseline(normalSample(Math.round(mean * 10), 3000, mean)) };
      const meta = await registry.register(
        { name, asset: name, kind: 'test', features: ['x'], inputName: 'x', outputNames: ['score'], threshold: 1, scaler: { mean: [0], scale: [1] }, rows: 3000, metrics: {}, baseline },
        new Uint8Array([1]),
      );
      if (promote) await registry.promote(name, meta.version);
      return meta.version;
    },
  };
}

interface Log {
  loaded: BaselineModel[];
  failed: string[];
}

function watch(registry: ModelRegistry, name: string, log: Log): LiveBaseline {
  return new LiveBaseline(registry, name, { features: [], options }, {
    loaded: (model) => log.loaded.push(model),
    failed: (err) => log.failed.push(err.message),
  });
}

/** Feeds 200 values around `mean` and returns whether the report found drift. */
function drifts(baseline: LiveBaseline, asset: string, mean: number, seed: number): boolean | undefined {
  const current = baseline.current;
  assert.ok(current, `${asset} has a baseline`);
  normalSample(seed, 200, mean).forEach((v, i) => current.detector.add(asset, 'x', v, i));
  const [report] = current.detector.takeReports();
  return report?.drifted;
}

describe('a live model baseline', () => {
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('waits for a live version, then tests against it, and starts over when another version goes live', async () => {
    const f = fixture();
    const log: Log = { loaded: [], failed: [] };
    const b = watch(f.registry, 'P-1', log);
    await b.settled();
    assert.equal(b.state, 'waiting');
    assert.equal(b.current?.model, undefined);
    assert.match(b.unavailable().message, /model P-1 has no live version/);

    await f.add('P-1', 10, true);
    await b.settled();
    assert.equal(b.state, 'ready');
    assert.deepEqual(log.loaded, [{ name: 'P-1', version: 1 }]);
    assert.deepEqual(b.current?.index.features, ['x'], "the model's features when none are configured");
    assert.equal(drifts(b, 'P-1', 10, 1), false);
    assert.equal(drifts(b, 'P-1', 13, 2), true);
    const before = b.current?.detector;
    assert.equal(before?.driftedCount, 1);

    // A candidate does not change the baseline; a promotion does, with empty windows and no drift.
    const v2 = await f.add('P-1', 13, false);
    await b.settled();
    assert.equal(b.current?.detector, before);
    await f.registry.promote('P-1', v2);
    await b.settled();
    assert.deepEqual(b.current?.model, { name: 'P-1', version: 2 });
    assert.notEqual(b.current?.detector, before);
    assert.equal(b.current?.detector.driftedCount, 0);
    assert.equal(b.current?.detector.report('P-1'), undefined, 'the new window starts empty');
    assert.equal(drifts(b, 'P-1', 13, 3), false, 'the shifted values are normal for the new version');
    await f.registry.rollback('P-1');
    await b.settled();
    assert.deepEqual(b.current?.model, { name: 'P-1', version: 1 });
    assert.deepEqual(log.failed, []);
    await b.close();
  });

  it('keeps the baseline in place when the new live version has none, and stops following the registry once closed', async () => {
    const f = fixture();
    await f.add('P-2', 10, true);
    const log: Log = { loaded: [], failed: [] };
    const b = watch(f.registry, 'P-2', log);
    await b.settled();
    await f.add('P-2', undefined, true);
    await b.settled();
    assert.deepEqual(b.current?.model, { name: 'P-2', version: 1 });
    assert.match(log.failed[0] ?? '', /P-2 v2 has no training baseline/);
    assert.equal(b.state, 'ready');
    await b.close();
    await f.add('P-2', 20, true);
    await b.settled();
    assert.deepEqual(b.current?.model, { name: 'P-2', version: 1 });

    const bare = watch(f.registry, 'bare', log);
    await f.add('bare', undefined, true);
    await bare.settled();
    assert.equal(bare.state, 'error');
    assert.match(bare.unavailable().message, /bare v1 has no training baseline/);
    await bare.close();
  });

  it('in a pool, each asset tests against its own model and only the promoted asset starts over', async () => {
    const f = fixture();
    await f.add('P-10', 10, true);
    await f.add('P-20', 20, true);
    const log: Log = { loaded: [], failed: [] };
    const pool = new AssetPool({ maxAssets: 10, idleMs: 0 }, (asset) => watch(f.registry, asset, log));
    const p10 = pool.get('P-10', 0);
    const p20 = pool.get('P-20', 0);
    await Promise.all([p10.settled(), p20.settled()]);
    assert.equal(drifts(p10, 'P-10', 10, 4), false);
    assert.equal(drifts(p20, 'P-20', 20, 5), false);
    assert.equal(drifts(p10, 'P-10', 20, 6), true, "P-20's normal is drift for P-10");
    const p20Detector = p20.current?.detector;
    await f.registry.promote('P-10', await f.add('P-10', 20, false));
    await Promise.all([p10.settled(), p20.settled()]);
    assert.deepEqual([p10.current?.model.version, p20.current?.model.version], [2, 1]);
    assert.equal(p20.current?.detector, p20Detector, 'the other asset keeps its windows');
    assert.throws(() => pool.get('no/asset', 0), /cannot name a model/);
    await pool.close();
  });

  it('reads the per-asset option from the editor fields', () => {
    const settings = driftSettingsFromConfig({ baseline: 'model', perAsset: true, model: '', registryDir: 'models', maxAssets: '50', idleTime: '2' }, '/u');
    assert.deepEqual(settings.baseline, { kind: 'per-asset', dir: path.resolve('/u', 'models'), maxAssets: 50, idleMs: 120_000 });
    assert.deepEqual(settings.features, []);
    assert.equal(driftSettingsFromConfig({ baseline: 'model', model: 'm' }, '/u').baseline.kind, 'model');
    assert.equal(driftSettingsFromConfig({ baseline: 'learn', perAsset: true, features: 'a' }, '/u').baseline.kind, 'learn', 'a learned baseline is always per asset');
    assert.throws(() => driftSettingsFromConfig({ perAsset: true, maxAssets: '0' }, '/u'), /max assets must be a whole number/);
    assert.throws(() => driftSettingsFromConfig({ model: '' }, '/u'), /model name/);
  });
});
