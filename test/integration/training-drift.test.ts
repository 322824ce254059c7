/**
 * flows/training.json as shipped: its drift-detect compares each asset's readings with the
 * training baseline of that asset's own live model in the registry of the user directory; and
 * the drift-detect example that shows it from training to retraining.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DriftEvent } from '../../nodes/lib/ml/drift';
import { learnBaseline } from '../../nodes/lib/ml/drift-stats';
import { DEFAULT_REGISTRY_SUBDIR } from '../../nodes/lib/ml/infer-config';
import { ModelRegistry } from '../../nodes/lib/ml/registry';
import { gaussian } from '../../nodes/lib/sim/waveform';
import { onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const SENSORS = ['vibration_rms', 'bearing_temperature'];
/** The flow's drift-detect window. */
const WINDOW = 500;

/** Readings of the two sensors around (vibration, temperature), one a minute from t0. */
function readings(asset: string, seed: number, vibration: number, temperature: number, t0: number): Record<string, unknown>[] {
  const g = gaussian(seed);
  return Array.from({ length: WINDOW }, (_, i) => [
    { asset, sensor: 'vibration_rms', value: vibration + 0.1 * g(), ts: t0 + 60_000 * i },
    { asset, sensor: 'bearing_temperature', value: temperature + g(), ts: t0 + 60_000 * i },
  ]).flat();
}

async function registerAsset(registry: ModelRegistry, asset: string, seed: number, vibration: number, temperature: number): Promise<void> {
  const g = gaussian(seed);
  const history = Array.from({ length: 3000 }, () => [vibration + 0.1 * g(), temperature + g()]);
  const meta = await registry.register({
    name: asset, asset, kind: 'pca', features: SENSORS, inputName: 'features', outputNames: ['score'], threshold: 1,
    scaler: { mean: [vibration, temperature], scale: [0.1, 1] }, rows: history.length, metrics: {},
    baseline: { vibration_rms: learnBaseline(history.map((v) => v[0])), bearing_temperature: learnBaseline(history.map((v) => v[1])) },
  }, new Uint8Array([1]));
  await registry.promote(asset, meta.version);
}

describe("drift against each asset's own training baseline: the training flow and the example", () => {
  let runtime: EmbeddedRuntime;
  const delivered = new Map<string, Array<Record<string, unknown>>>();

  before(async () => {
    runtime = await startRuntime([{ id: 'empty', type: 'tab', label: 'empty' }], { captureLevel: 30 });
    runtime.RED.hooks.add('postDeliver.trainingDrift', (event: { destination: { id: string }; msg: Record<string, unknown> }) => {
      const list = delivered.get(event.destination.id) ?? [];
      list.push(event.msg);
      delivered.set(event.destination.id, list);
    });
  });

  after(async () => {
    runtime?.RED.hooks.remove('postDeliver.trainingDrift');
    await runtime?.stop();
  });

  it('runs the per-asset example: drift for one pump, none for the other, a pump without a model, and a fresh start after retraining', async () => {
    const file = path.join(projectRoot, 'examples', 'drift-detect', '02 - A baseline per asset.json');
    const flow = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
    delivered.clear();
    runtime.logs.length = 0;
    await runtime.deploy(onTab(flow));
    const reports = (): DriftEvent[] => (delivered.get('dd02-reports') ?? []).map((m) => m.payload as DriftEvent);
    const pump7 = (): DriftEvent[] => reports().filter((r) => r.asset === 'example-pump-7');
    await waitFor(() => pump7().length >= 2, 20_000, 'two reports of pump 7, before and after its retraining');
    const [before, after] = pump7();
    assert.deepEqual([before.model?.version, before.drifted], [1, true]);
    assert.deepEqual(before.features.filter((f) => f.drifted).map((f) => f.feature), ['current']);
    assert.deepEqual([after.model?.version, after.drifted], [2, false], JSON.stringify(after.features));
    assert.ok(reports().filter((r) => r.asset === 'example-pump-8').every((r) => !r.drifted && r.model?.version === 1));
    assert.deepEqual((delivered.get('dd02-retrain') ?? []).map((m) => (m.payload as { asset: string }).asset), ['example-pump-7']);
    const noModel = delivered.get('dd02-no-model') ?? [];
    assert.ok(noModel.length > 0 && noModel.every((m) => JSON.stringify((m.error as { assets: string[] }).assets) === '["example-pump-9"]'));
    assert.deepEqual(runtime.logs.filter((e) => e.level <= 20).map((e) => `${e.type} ${String(e.msg)}`), []);
  });

  it('reports each asset against its own model, and a drifted asset to the training queue', async () => {
    const registry = new ModelRegistry(path.join(runtime.userDir, DEFAULT_REGISTRY_SUBDIR));
    // P-101 was trained running cool, P-102 hot: each one's normal is drift for the other.
    await registerAsset(registry, 'P-101', 1, 2, 50);
    await registerAsset(registry, 'P-102', 2, 4, 60);
    const flow = JSON.parse(fs.readFileSync(path.join(projectRoot, 'flows', 'training.json'), 'utf8')) as FlowNode[];
    await runtime.deploy(flow);
    const reports = (): DriftEvent[] => (delivered.get('tr-drift-reports') ?? []).map((m) => m.payload as DriftEvent);

    runtime.inject('tr-in-readings', { payload: [...readings('P-101', 3, 2, 50, 0), ...readings('P-102', 4, 4, 60, 0), ...readings('C-301', 5, 3, 55, 0)] });
    await waitFor(() => reports().length >= 2, 10_000, 'a drift report of both assets');
    const steady = new Map(reports().map((r) => [r.asset, r]));
    assert.deepEqual([...steady.keys()].sort(), ['P-101', 'P-102'], 'C-301 has no model: no report');
    for (const asset of ['P-101', 'P-102']) {
      const r = steady.get(asset);
      assert.deepEqual(r?.model, { name: asset, version: 1 });
      assert.equal(r?.baseline, 'model');
      assert.deepEqual(r?.features.map((f) => f.feature), SENSORS, "the model's features");
      assert.equal(r?.drifted, false, JSON.stringify(r?.features));
    }
    assert.equal(delivered.get('tr-retrain'), undefined);

    // P-101 runs at P-102's level: drift for P-101 only, and P-101 goes to the training queue.
    const t1 = 60_000 * WINDOW;
    runtime.inject('tr-in-readings', { payload: [...readings('P-101', 6, 4, 60, t1), ...readings('P-102', 7, 4, 60, t1)] });
    await waitFor(() => reports().length >= 4 && (delivered.get('tr-retrain') ?? []).length >= 1, 10_000, 'the reports after the shift and a retrain event');
    const shifted = new Map(reports().slice(2).map((r) => [r.asset, r]));
    assert.equal(shifted.get('P-101')?.drifted, true);
    assert.equal(shifted.get('P-102')?.drifted, false, JSON.stringify(shifted.get('P-102')?.features));
    const retrain = delivered.get('tr-retrain') ?? [];
    assert.deepEqual(retrain.map((m) => (m.payload as { asset: string }).asset), ['P-101']);
    assert.ok((delivered.get('tr-queue') ?? []).some((m) => m.topic === 'retrain'), 'the retrain event reaches the queue');
    assert.deepEqual(runtime.logs.filter((e) => e.level <= 20 && e.type === 'drift-detect').map((e) => String(e.msg)), []);
  });
});
