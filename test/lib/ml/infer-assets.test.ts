import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { AssetPool, payloadByAsset } from '../../../nodes/lib/ml/infer-assets';
import { inferOptionsFromConfig } from '../../../nodes/lib/ml/infer-config';
import type { InferResult, OutputTensor, ScoringBackend } from '../../../nodes/lib/ml/infer-engine';
import { DEFAULT_MAPPER_OPTIONS } from '../../../nodes/lib/ml/infer-features';
import { ModelScorer, type ShadowResult } from '../../../nodes/lib/ml/infer-scorer';
import { ModelRegistry } from '../../../nodes/lib/ml/registry';

const FEATURES = ['a', 'b'];
const dirs: string[] = [];

/** A backend scoring Σx × weight, the weight being the model's version (so results tell which version scored). */
function weightedBackend(weight: number, log: { closed: number }): ScoringBackend {
  return {
    inputs: [{ name: 'x', type: 'float32', shape: ['N', 2] }],
    outputs: [{ name: 'score' }],
    async run(_name, data, n, f) {
      const score = new Float32Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) score[i] += data[i * f + j] * weight;
      const out: Record<string, OutputTensor> = { score: { data: score, dims: [n] } };
      return out;
    },
    async close() {
      log.closed++;
    },
  };
}

interface Fixture {
  registry: ModelRegistry;
  loaded: string[];
  released: { closed: number };
  pool(maxAssets: number, idleMs: number): AssetPool<ModelScorer>;
  add(asset: string, promote: boolean): Promise<number>;
}

function fixture(): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-infer-assets-'));
  dirs.push(dir);
  const registry = new ModelRegistry(dir);
  const loaded: string[] = [];
  const released = { closed: 0 };
  const load = async (file: string): Promise<ScoringBackend> => {
    loaded.push(file);
    const version = Number(/v(\d+)[\\/]model\.onnx$/.exec(file)?.[1] ?? '1');
    return weightedBackend(version, released);
  };
  return {
    registry,
    loaded,
    released,
    pool: (maxAssets, idleMs) =>
      new AssetPool({ maxAssets, idleMs }, (asset) =>
        new ModelScorer(
          { kind: 'registry', registry, name: asset, shadow: false },
          { batch: { maxBatch: 8, maxWaitMs: 0 }, mapping: DEFAULT_MAPPER_OPTIONS },
          { swapped: () => undefined, failed: (err) => assert.fail(err) },
          load,
        ),
      ),
    add: async (asset, promote) => {
      const meta = await registry.register(
        { name: asset, kind: 'test', features: FEATURES, inputName: 'x', outputNames: ['score'], threshold: 100, scaler: { mean: [0, 0], scale: [1, 1] }, rows: 10, metrics: {} },
        new Uint8Array([1]),
      );
      if (promote) await registry.promote(asset, meta.version);
      return meta.version;
    },
  };
}

/** Scores [1, 1] for `asset` through its scorer; resolves with the result. */
function scoreOne(scorer: ModelScorer, asset: string): Promise<InferResult> {
  const mapped = scorer.map([1, 1], asset, 0);
  assert.equal(mapped.vectors.length, 1);
  return new Promise((resolve, reject) => {
    scorer.add({ vector: mapped.vectors[0], settle: (live: InferResult | Error, _shadow?: ShadowResult) => (live instanceof Error ? reject(live) : resolve(live)) });
  });
}

async function liveVersion(scorer: ModelScorer, version: number): Promise<void> {
  for (let i = 0; i < 200 && scorer.manager.live.current?.info.version !== version; i++) {
    await scorer.manager.settled();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(scorer.manager.live.current?.info.version, version);
}

describe('a scorer per asset', () => {
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('loads an asset model on first use only, each asset its own', async () => {
    const f = fixture();
    await f.add('P-101', true);
    await f.add('P-102', true);
    await f.add('P-102', true);
    const pool = f.pool(10, 0);
    assert.equal(pool.size, 0);
    assert.equal(f.loaded.length, 0, 'nothing loaded before a message');
    const p101 = pool.get('P-101', 0);
    await p101.manager.settled();
    assert.equal(f.loaded.length, 1);
    assert.equal(pool.get('P-101', 1), p101, 'the same scorer on later use');
    const p102 = pool.get('P-102', 2);
    await p102.manager.settled();
    assert.equal((await scoreOne(p101, 'P-101')).score, 2);
    const r102 = await scoreOne(p102, 'P-102');
    assert.deepEqual([r102.score, r102.model], [4, { name: 'P-102', version: 2 }]);
    await pool.close();
  });

  it('reloads an asset model when its new version is promoted', async () => {
    const f = fixture();
    await f.add('M-201', true);
    const pool = f.pool(10, 0);
    const scorer = pool.get('M-201', 0);
    await liveVersion(scorer, 1);
    const v2 = await f.add('M-201', false);
    await f.registry.promote('M-201', v2);
    await liveVersion(scorer, 2);
    assert.equal((await scoreOne(scorer, 'M-201')).score, 4);
    assert.equal(f.released.closed, 1, 'the old version is released');
    await pool.close();
  });

  it('tells an asset without a live model apart, and loads it once one is promoted', async () => {
    const f = fixture();
    const pool = f.pool(10, 0);
    const scorer = pool.get('C-301', 0);
    await scorer.manager.settled();
    assert.equal(scorer.ready, false);
    assert.equal(scorer.manager.state, 'waiting');
    assert.match(scorer.manager.unavailable().message, /model C-301 has no live version/);
    assert.throws(() => scorer.map([1, 1], 'C-301', 0), /C-301 has no live version/);
    await f.add('C-301', true);
    await liveVersion(scorer, 1);
    assert.equal(scorer.ready, true);
    await pool.close();
  });

  it('unloads the least recently used asset beyond the bound, and idle ones', async () => {
    const f = fixture();
    for (const asset of ['A', 'B', 'C']) await f.add(asset, true);
    const pool = f.pool(2, 1000);
    const a = pool.get('A', 0);
    const b = pool.get('B', 10);
    await Promise.all([a.manager.settled(), b.manager.settled()]);
    pool.get('A', 20);
    const c = pool.get('C', 30);
    await c.manager.settled();
    assert.equal(pool.size, 2);
    assert.equal(pool.evicted, 1);
    await b.manager.settled();
    assert.equal(b.manager.live.current, undefined, 'B, the least recently used, is unloaded');
    assert.notEqual(a.manager.live.current, undefined);
    await pool.sweep(1025);
    assert.equal(pool.size, 1, 'A, idle since 20, goes; C stays');
    assert.equal(pool.evicted, 2);
    assert.equal(a.manager.live.current, undefined);
    assert.notEqual(pool.get('C', 1030), undefined);
    assert.equal(f.released.closed, 2);
    await pool.close();
    assert.equal(f.released.closed, 3);
  });

  it('refuses an asset that cannot name a model, naming it', () => {
    const pool = fixture().pool(10, 0);
    assert.throws(() => pool.get('../etc', 0), (err: Error & { code?: string }) => err.code === 'INVALID_PAYLOAD' && /asset "\.\.\/etc" cannot name a model/.test(err.message));
    assert.throws(() => pool.get('has space', 0), /asset "has space"/);
    assert.equal(pool.size, 0);
  });

  it('splits a payload by asset: each item its own, else the topic', () => {
    const r = (asset: string | undefined, sensor: string): Record<string, unknown> => ({ asset, sensor, value: 1, ts: 0 });
    const parts = payloadByAsset([r('A', 'x'), r(undefined, 'y'), r('B', 'z'), r('A', 'w')], 'T/sensor');
    assert.deepEqual([...parts.keys()], ['A', 'T', 'B']);
    assert.equal((parts.get('A') as unknown[]).length, 2);
    assert.deepEqual([...payloadByAsset([1, 2], 'P-1').entries()], [['P-1', [1, 2]]]);
    assert.deepEqual([...payloadByAsset(r('Q', 'x'), undefined).keys()], ['Q']);
    assert.throws(() => payloadByAsset([1, 2], undefined), /needs an asset/);
  });

  it('reads the per-asset options from the editor fields', () => {
    const source = inferOptionsFromConfig({ source: 'registry', perAsset: true, model: '', registryDir: 'models', maxAssets: '50', idleTime: '2' }, '/u').source;
    assert.deepEqual(source, { kind: 'per-asset', dir: path.resolve('/u', 'models'), shadow: false, maxAssets: 50, idleMs: 120_000 });
    const defaults = inferOptionsFromConfig({ perAsset: true }, '/u').source;
    assert.deepEqual(defaults.kind === 'per-asset' && [defaults.maxAssets, defaults.idleMs], [1000, 3_600_000]);
    assert.throws(() => inferOptionsFromConfig({ perAsset: true, maxAssets: '1.5' }, '/u'), /max assets must be a whole number/);
    assert.throws(() => inferOptionsFromConfig({ perAsset: true, idleTime: '-1' }, '/u'), /idle time must be ≥ 0/);
    assert.equal(inferOptionsFromConfig({ source: 'file', perAsset: true, file: 'm.onnx', features: 'a' }, '/u').source.kind, 'file', 'a model file is one model');
  });
});
