import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import driftDetectNode from '../../nodes/drift-detect';
import type { DriftEvent } from '../../nodes/lib/ml/drift';
import { learnBaseline } from '../../nodes/lib/ml/drift-stats';
import { ModelRegistry } from '../../nodes/lib/ml/registry';
import { gaussian } from '../../nodes/lib/sim/waveform';
import { recorder, withCatalog } from '../support/node-helper';
import { distanceModel } from '../support/onnx-models';

helper.init(require.resolve('node-red'));
helper.settings({ contextStorage: { default: { module: 'memory' } } });

/** Keeps node context across a redeploy, as a configured store does (see the anomaly-detect tests). */
async function useConfiguredStore(): Promise<void> {
  const runtimeDir = path.dirname(require.resolve('@node-red/runtime/package.json'));
  const context = (await import(path.join(runtimeDir, 'lib', 'nodes', 'context'))) as { load(): Promise<void> };
  await context.load();
}

interface ReportMessage extends NodeMessage {
  payload: DriftEvent;
}
interface RetrainMessage extends NodeMessage {
  payload: { asset: string; features: string[]; model?: { name: string; version: number }; reason: string };
}
interface CaughtMessage extends NodeMessage {
  error: { message: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-drift-'));
  dirs.push(dir);
  return dir;
}

function flow(config: Record<string, unknown>): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'n', z: 'f', type: 'drift-detect', windowSize: 200, evaluateEvery: 200, ...config, wires: [['report'], ['retrain']] },
    { id: 'report', z: 'f', type: 'helper' },
    { id: 'retrain', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown>): Promise<Node> {
  await helper.load(withCatalog(driftDetectNode), flow(config));
  return helper.getNode('n');
}

/** n vectors [temperature, vibration] of normal noise around (60 + shift, 2). */
function vectors(seed: number, n: number, shift = 0): number[][] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => [60 + shift + 2 * g(), 2 + 0.2 * g()]);
}

function windowStats(asset: string, end: number, temp: number, vib: number): Record<string, unknown>[] {
  const base = { asset, start: end - 1000, end, count: 10 };
  return [{ ...base, sensor: 'motor', mean: temp, rms: temp }, { ...base, sensor: 'pump', mean: vib, rms: vib }];
}

describe('drift-detect node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => {
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    return new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('learns a baseline per asset, reports no drift on unshifted data and raises one retrain event on a shift', async () => {
    const node = await load({ baseline: 'learn', features: 'temp, vib', learnCount: 1000 });
    const reports = recorder<ReportMessage>('report');
    const retrain = recorder<RetrainMessage>('retrain');
    node.receive({ topic: 'pump-1', payload: vectors(1, 1000) });
    node.receive({ topic: 'pump-1', payload: vectors(2, 200) });
    const [steady] = await reports.next();
    assert.equal(steady.topic, 'pump-1');
    assert.equal(steady.payload.drifted, false);
    assert.equal(steady.payload.baseline, 'learned');
    assert.deepEqual(steady.payload.features.map((f) => f.feature), ['temp', 'vib']);
    node.receive({ topic: 'pump-1', payload: vectors(3, 200, 4) });
    const [shifted] = await reports.next();
    assert.equal(shifted.payload.drifted, true);
    const temp = shifted.payload.features.find((f) => f.feature === 'temp');
    assert.ok(temp && temp.level === 'significant' && temp.pValue < 1e-6, JSON.stringify(temp));
    const [event] = await retrain.next();
    assert.equal(event.topic, 'retrain');
    assert.deepEqual(event.payload.features, ['temp']);
    node.receive({ topic: 'pump-1', payload: vectors(4, 200, 4) });
    await reports.next();
    assert.equal(retrain.messages.length, 1, 'one retrain event per drift episode');
  });

  it('keeps learned baselines across a redeploy and forgets them when the node is removed', async () => {
    const config = { baseline: 'learn', features: 'temp, vib', learnCount: 1000 };
    const node = await load(config);
    await useConfiguredStore();
    node.receive({ topic: 'pump-1', payload: vectors(1, 1000) });
    await helper.setFlows(flow({ ...config, name: 'redeployed' }), 'full');
    let reports = recorder<ReportMessage>('report');
    helper.getNode('n').receive({ topic: 'pump-1', payload: vectors(3, 200, 4) });
    const [shifted] = await reports.next();
    assert.equal(shifted.payload.drifted, true, 'compared with the baseline learned before the redeploy');
    await helper.setFlows(flow(config).filter((n) => n.id !== 'n'), 'full');
    await helper.setFlows(flow(config), 'full');
    reports = recorder<ReportMessage>('report');
    helper.getNode('n').receive({ topic: 'pump-1', payload: vectors(3, 1200, 4) });
    const [relearned] = await reports.next();
    assert.equal(relearned.payload.drifted, false, 'a new baseline learned from the values after the removal');
  });

  it('tests window statistics against the live model baseline from the registry', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    const history = vectors(5, 3000);
    const features = ['motor.mean', 'pump.rms'];
    const meta = await registry.register({
      name: 'pump-model', kind: 'distance', features, inputName: 'features', outputNames: ['score'], threshold: 1,
      scaler: { mean: [60, 2], scale: [2, 0.2] }, rows: history.length, metrics: {},
      baseline: { 'motor.mean': learnBaseline(history.map((v) => v[0])), 'pump.rms': learnBaseline(history.map((v) => v[1])) },
    }, distanceModel({ mean: [60, 2] }));
    await registry.promote('pump-model', meta.version);
    const node = await load({ baseline: 'model', model: 'pump-model', registryDir: dir });
    const reports = recorder<ReportMessage>('report');
    const retrain = recorder<RetrainMessage>('retrain');
    const worn = vectors(6, 200).map(([t, v]) => [t, v * 1.4]);
    node.receive({ payload: worn.flatMap(([t, v], i) => windowStats('pump-7', 1000 * (i + 1), t, v)) });
    const [report] = await reports.next();
    assert.deepEqual(report.payload.model, { name: 'pump-model', version: 1 });
    assert.equal(report.payload.baseline, 'model');
    assert.deepEqual(report.payload.features.filter((f) => f.drifted).map((f) => f.feature), ['pump.rms']);
    const [event] = await retrain.next();
    assert.deepEqual(event.payload.model, { name: 'pump-model', version: 1 });

    // A model retrained on the worn condition becomes live: its baseline replaces the old one.
    const v2 = await registry.register({
      ...meta, baseline: { 'motor.mean': learnBaseline(worn.map((v) => v[0])), 'pump.rms': learnBaseline(vectors(7, 3000).map(([, v]) => v * 1.4)) },
    }, distanceModel({ mean: [60, 2.8] }));
    await registry.promote('pump-model', v2.version);
    let after: ReportMessage | undefined;
    for (let round = 0; round < 50 && after?.payload.model?.version !== 2; round++) {
      const more = vectors(8 + round, 200).map(([t, v]) => [t, v * 1.4]);
      node.receive({ payload: more.flatMap(([t, v], i) => windowStats('pump-7', 1_000_000 * (round + 1) + 1000 * i, t, v)) });
      [after] = await reports.next();
    }
    assert.equal(after?.payload.model?.version, 2);
    assert.equal(after?.payload.drifted, false, JSON.stringify(after?.payload.features));
  });

  it('explains a model without a baseline and a registry without a live version', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    await registry.register({
      name: 'bare', kind: 'distance', features: ['a', 'b'], inputName: 'features', outputNames: ['score'], threshold: 1,
      scaler: { mean: [0, 0], scale: [1, 1] }, rows: 1, metrics: {},
    }, distanceModel({ mean: [0, 0] }));
    await registry.promote('bare', 1);
    let node = await load({ baseline: 'model', model: 'bare', registryDir: dir });
    let caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'x', payload: [1, 2] });
    assert.match((await caught.next())[0].error.message, /bare v1 has no training baseline/);
    await helper.unload();
    node = await load({ baseline: 'model', model: 'other', registryDir: dir });
    caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'x', payload: [1, 2] });
    assert.match((await caught.next())[0].error.message, /model other has no live version/);
  });

  it('rejects bad input and an invalid configuration with a reason', async () => {
    let node = await load({ baseline: 'learn', features: 'temp, vib' });
    let caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'x', payload: 'hot' });
    assert.match((await caught.next())[0].error.message, /expected window statistics/);
    await helper.unload();
    node = await load({ baseline: 'learn', features: '' });
    caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'x', payload: [1] });
    assert.match((await caught.next())[0].error.message, /list of features/);
  });
});
