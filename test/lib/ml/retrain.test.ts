import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { modelTrainSettings } from '../../../nodes/lib/ml/config';
import { ModelRegistry } from '../../../nodes/lib/ml/registry';
import { retrain } from '../../../nodes/lib/ml/retrain';
import { DEFAULT_TRAIN_OPTIONS } from '../../../nodes/lib/ml/train';
import { planeRows } from './synthetic';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-retrain-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('retraining', () => {
  const options = { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca' as const, name: 'pump' };

  it('promotes a model that beats the live one on the new held-back rows, else keeps it as candidate', async () => {
    const registry = new ModelRegistry(dir);
    const first = await retrain(registry, planeRows(1000, 1, 0.05), options, 'if-better');
    assert.equal(first.outcome, 'live');
    assert.match(first.reason, /no live model/);
    // The process got noisier: the live model alarms on much of the new normal data.
    const noisier = await retrain(registry, planeRows(1000, 2, 0.3), options, 'if-better');
    assert.equal(noisier.outcome, 'live', noisier.reason);
    assert.ok(noisier.meta.metrics.liveHeldBackAlarmRate > 0.2);
    const same = await retrain(registry, planeRows(1000, 2, 0.3), options, 'if-better');
    assert.equal(same.outcome, 'candidate', same.reason);
    assert.equal((await registry.live('pump'))?.version, 2);
    assert.equal((await registry.candidate('pump'))?.version, 3);
    assert.equal((await registry.rollback('pump')).version, 1);
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
