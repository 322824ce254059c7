import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { modelTrainSettings } from '../../../nodes/lib/ml/config';
import { ModelRegistry } from '../../../nodes/lib/ml/registry';
import { retrain } from '../../../nodes/lib/ml/retrain';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../../../nodes/lib/ml/train';
import { trainInWorker } from '../../../nodes/lib/ml/train-thread';
import { registryCatalog } from '../../../nodes/lib/ml/catalog';
import type { PdmError } from '../../../nodes/lib/errors';
import { planeRows } from './synthetic';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-retrain-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('retraining', () => {
  const options = { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca' as const, name: 'pump' };

  it('promotes a model at least as good as the live one on the new held-back rows, else keeps it as candidate', async () => {
    const registry = new ModelRegistry(dir);
    const first = await retrain(registry, planeRows(1000, 1, 0.05), options, 'if-better');
    assert.equal(first.outcome, 'live');
    assert.match(first.reason, /no live model/);
    // The process got noisier: the live model alarms on much of the new normal data.
    const noisier = await retrain(registry, planeRows(1000, 2, 0.3), options, 'if-better');
    assert.equal(noisier.outcome, 'live', noisier.reason);
    assert.ok(noisier.meta.metrics.liveHeldBackAlarmRate > 0.2);
    // As good as the live model (the same data): at least as good is enough.
    const same = await retrain(registry, planeRows(1000, 2, 0.3), options, 'if-better');
    assert.equal(same.outcome, 'live', same.reason);
    assert.equal(same.meta.metrics.liveHeldBackAlarmRate, same.meta.metrics.heldBackAlarmRate);
    // A tighter threshold raises more alarms on the same normal rows than the live model does.
    const worse = await retrain(registry, planeRows(1000, 2, 0.3), { ...options, thresholdQuantile: 0.9 }, 'if-better');
    assert.equal(worse.outcome, 'candidate', worse.reason);
    assert.ok(worse.meta.metrics.heldBackAlarmRate > worse.meta.metrics.liveHeldBackAlarmRate);
    assert.equal((await registry.live('pump'))?.version, 3);
    assert.equal((await registry.candidate('pump'))?.version, 4);
    assert.equal((await registry.rollback('pump')).version, 2);
  });

  it('compares with a live model whose features differ, on the same held-back rows', async () => {
    const registry = new ModelRegistry(dir);
    const data = planeRows(1000, 11);
    const d = data.features.length;
    // The first feature trends across the rows: a model that leaves out trending features drops it.
    for (let i = 0; i < data.rows; i++) data.data[i * d] += 0.05 * i;
    const live = await retrain(registry, data, { ...options, name: 'belt' }, 'always');
    assert.equal(live.meta.features.length, d);
    const next = await retrain(registry, data, { ...options, name: 'belt', driftThreshold: 3 }, 'if-better');
    assert.equal(next.meta.features.length, d - 1);
    assert.equal(typeof next.meta.metrics.liveHeldBackAlarmRate, 'number', next.reason);
    assert.doesNotMatch(next.reason, /other features/);
  });

  it('follows the other policies', async () => {
    const registry = new ModelRegistry(dir);
    const data = planeRows(400, 3);
    assert.equal((await retrain(registry, data, { ...options, name: 'fan' }, 'never')).outcome, 'registered');
    assert.equal(await registry.live('fan'), undefined);
    assert.equal((await retrain(registry, data, { ...options, name: 'fan' }, 'candidate')).outcome, 'candidate');
    assert.equal((await registry.candidate('fan'))?.version, 2);
    assert.equal((await retrain(registry, data, { ...options, name: 'fan' }, 'always')).outcome, 'live');
    assert.equal((await registry.live('fan'))?.version, 3);
  });

  it('reads the editor form with defaults and rejects values out of range', () => {
    const s = modelTrainSettings({ modelName: 'm', kind: 'autoencoder', hidden: '8, 2', epochs: '5', excludeDrifting: true });
    assert.deepEqual(s.options.autoencoder.hidden, [8, 2]);
    assert.equal(s.options.autoencoder.epochs, 5);
    assert.equal(s.options.driftThreshold, 3);
    assert.equal(s.policy, 'if-better');
    assert.equal(modelTrainSettings({}).options.driftThreshold, undefined);
    assert.throws(() => modelTrainSettings({ holdOut: 0.9 }), /hold-out/);
    assert.throws(() => modelTrainSettings({ hidden: '8,x' }), /hidden/);
    assert.throws(() => modelTrainSettings({ promote: 'sometimes' }), /promotion/);
    assert.throws(() => modelTrainSettings({ modelName: '../up' }), /model name/);
  });
});

describe('training in a worker thread', () => {
  const options = { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca' as const, name: 'pump', asset: 'P-101' };

  it('gives the model the same fit on this thread gives', async () => {
    const data = planeRows(600, 7);
    const [here, there] = await Promise.all([trainModel(data, options), trainInWorker(data, options)]);
    assert.equal(there.meta.threshold, here.meta.threshold);
    assert.deepEqual(there.meta.scaler, here.meta.scaler);
    assert.equal(there.meta.asset, 'P-101');
    assert.deepEqual(Buffer.from(there.onnx), Buffer.from(here.onnx));
    assert.equal(there.heldBack.rows, here.heldBack.rows);
  });

  it('reports epochs, passes errors on with their code, and stops when cancelled', async () => {
    const epochs: number[] = [];
    const ae = { ...options, kind: 'autoencoder' as const, autoencoder: { ...options.autoencoder, hidden: [4, 2], epochs: 3, patience: 10 } };
    await trainInWorker(planeRows(300, 8), ae, { onEpoch: (e) => epochs.push(e.epoch) });
    assert.deepEqual(epochs, [1, 2, 3]);
    await assert.rejects(trainInWorker(planeRows(8, 8), options), (err: PdmError) => err.code === 'INVALID_PAYLOAD' && /too few/.test(err.message));
    const abort = new AbortController();
    const long = { ...ae, autoencoder: { ...ae.autoencoder, epochs: 10_000 } };
    const running = trainInWorker(planeRows(3000, 9), long, { signal: abort.signal, onEpoch: () => abort.abort() });
    await assert.rejects(running, /cancelled/);
  });
});

describe('registry catalog', () => {
  it('lists every model with its roles, newest version first', async () => {
    const registry = new ModelRegistry(fs.mkdtempSync(path.join(dir, 'catalog-')));
    assert.deepEqual(await registryCatalog(registry), []);
    const options = { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca' as const };
    for (const seed of [1, 2, 3, 4]) await retrain(registry, planeRows(300, seed), { ...options, name: 'P-101', asset: 'P-101' }, 'always');
    await registry.setCandidate('P-101', 1);
    await retrain(registry, planeRows(300, 5), { ...options, name: 'M-201' }, 'never');
    const catalog = await registryCatalog(registry, 1);
    assert.deepEqual(catalog.map((e) => e.name), ['M-201', 'P-101']);
    const pump = catalog[1];
    assert.equal(pump.asset, 'P-101');
    assert.equal(pump.live, 4);
    // Live and candidate always, then one more (the limit), newest first.
    assert.deepEqual(pump.versions.map((v) => [v.version, v.role]), [[4, 'live'], [3, 'previous'], [1, 'candidate']]);
    assert.equal(pump.versions[0].metrics.components, 2);
    assert.equal('baseline' in pump.versions[0], false);
    assert.deepEqual(catalog[0].versions.map((v) => v.role), ['registered']);
  });
});
