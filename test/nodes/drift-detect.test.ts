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
import { events, recorder, withCatalog } from '../support/node-helper';
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
interface NoModelMessage extends NodeMessage {
  error: { message: string; assets: string[] };
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
    { id: 'n', z: 'f', type: 'drift-detect', windowSize: 200, evaluateEvery: 200, ...config, wires: [['report'], ['retrain'], ['noModel']] },
    { id: 'report', z: 'f', type: 'helper' },
    { id: 'retrain', z: 'f', type: 'helper' },
    { id: 'noModel', z: 'f', type: 'helper' },
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

/** Registers a version of `asset`'s model whose [temp, vib] baseline is `history`, live when `promote`. */
async function registerAsset(registry: ModelRegistry, asset: string, history: number[][], promote = true): Promise<number> {
  const meta = await registry.register({
    name: asset, asset, kind: 'distance', features: ['temp', 'vib'], inputName: 'features', outputNames: ['score'], threshold: 1,
    scaler: { mean: [60, 2], scale: [2, 0.2] }, rows: history.length, metrics: {},
    baseline: { temp: learnBaseline(history.map((v) => v[0])), vib: learnBaseline(history.map((v) => v[1])) },
  }, distanceModel({ mean: [60, 2] }));
  if (promote) await registry.promote(asset, meta.version);
  return meta.version;
}

/** Rows {asset, ts, features} of the vectors. */
function rows(asset: string, values: number[][], t0 = 0): Record<string, unknown>[] {
  return values.map(([temp, vib], i) => ({ asset, ts: t0 + i, features: { temp, vib } }));
}

/** Waits for the node's status text to match. */
async function statusMatching(node: Node, pattern: RegExp): Promise<string> {
  let last = '';
  events(node).on('call:status', (call: { args: Array<{ text?: string }> }) => {
    last = call.args[0]?.text ?? '';
  });
  for (let i = 0; i < 300 && !pattern.test(last); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.match(last, pattern);
  return last;
}

/** Resolves when the node logs that `model` ("P-1 v2") is its baseline; listen before the promotion. */
function baselineLoaded(node: Node, model: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no baseline of ${model} loaded`)), 5000);
    events(node).on('call:log', (call: { args: unknown[] }) => {
      if (String(call.args[0]).endsWith(`baseline of ${model}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
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

  it("with a baseline per asset, tests each asset against its own model's training data", async () => {
    const registry = new ModelRegistry(tempDir());
    // P-1 was trained running at 60 °C, P-2 at 64 °C: each one's normal is drift for the other.
    await registerAsset(registry, 'P-1', vectors(11, 3000));
    await registerAsset(registry, 'P-2', vectors(12, 3000, 4));
    const node = await load({ baseline: 'model', perAsset: true, registryDir: registry.dir, features: '' });
    const reports = recorder<ReportMessage>('report');
    const retrain = recorder<RetrainMessage>('retrain');
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ payload: [...rows('P-1', vectors(13, 200)), ...rows('P-2', vectors(14, 200, 4))] });
    const steady = await reports.next(2);
    const byAsset = new Map(steady.map((m) => [m.payload.asset, m.payload]));
    assert.deepEqual(byAsset.get('P-1')?.model, { name: 'P-1', version: 1 });
    assert.deepEqual(byAsset.get('P-2')?.model, { name: 'P-2', version: 1 });
    assert.deepEqual([byAsset.get('P-1')?.drifted, byAsset.get('P-2')?.drifted], [false, false], JSON.stringify(steady.map((m) => m.payload.features)));

    // P-1 runs hotter; P-2 goes on as before.
    node.receive({ payload: [...rows('P-1', vectors(15, 200, 4), 1000), ...rows('P-2', vectors(16, 200, 4), 1000)] });
    const shifted = new Map((await reports.next(2)).map((m) => [m.payload.asset, m.payload]));
    assert.equal(shifted.get('P-1')?.drifted, true);
    assert.deepEqual(shifted.get('P-1')?.features.filter((f) => f.drifted).map((f) => f.feature), ['temp']);
    assert.equal(shifted.get('P-2')?.drifted, false);
    const [event] = await retrain.next();
    assert.deepEqual([event.payload.asset, event.payload.model], ['P-1', { name: 'P-1', version: 1 }]);
    assert.match(await statusMatching(node, /2 assets · 1 drifted/), /each asset's model/);

    // P-1's v2, trained on the same normal, goes live while P-1 is drifted: P-1 starts over
    // against it, so its drift is a new episode with a new retrain event; P-2 is not touched.
    let loaded = baselineLoaded(node, 'P-1 v2');
    await registerAsset(registry, 'P-1', vectors(17, 3000));
    await loaded;
    node.receive({ payload: rows('P-1', vectors(18, 199, 4), 2000) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reports.messages.length, 4, 'no report before the new window is full');
    node.receive({ payload: rows('P-1', vectors(19, 1, 4), 2199) });
    let [after] = await reports.next();
    assert.deepEqual([after.payload.model, after.payload.drifted], [{ name: 'P-1', version: 2 }, true]);
    const [again] = await retrain.next();
    assert.deepEqual(again.payload.model, { name: 'P-1', version: 2 });
    assert.equal(retrain.messages.length, 2);

    // v3, trained on the hotter running, becomes live: the same values are normal again.
    loaded = baselineLoaded(node, 'P-1 v3');
    await registerAsset(registry, 'P-1', vectors(80, 3000, 4));
    await loaded;
    node.receive({ payload: rows('P-1', vectors(81, 200, 4), 3000) });
    [after] = await reports.next();
    assert.deepEqual([after.payload.model, after.payload.drifted], [{ name: 'P-1', version: 3 }, false], JSON.stringify(after.payload.features));
    node.receive({ payload: rows('P-2', vectors(140, 200, 4), 30_000) });
    const [p2] = await reports.next();
    assert.deepEqual([p2.payload.asset, p2.payload.model?.version, p2.payload.drifted], ['P-2', 1, false]);
    assert.equal(caught.messages.length, 0);
  });

  it('with a baseline per asset, sends the values of an asset without a model to the third output and counts it', async () => {
    const registry = new ModelRegistry(tempDir());
    await registerAsset(registry, 'P-1', vectors(21, 3000));
    const node = await load({ baseline: 'model', perAsset: true, registryDir: registry.dir });
    const reports = recorder<ReportMessage>('report');
    const noModel = recorder<NoModelMessage>('noModel');
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'X-9', payload: [60, 2] });
    const [alone] = await noModel.next();
    assert.deepEqual(alone.error.assets, ['X-9']);
    assert.match(alone.error.message, /no live model for asset X-9/);
    assert.deepEqual(alone.payload, [60, 2], 'passed on unchanged');

    node.receive({ payload: [...rows('P-1', vectors(22, 200)), ...rows('X-9', vectors(23, 3)), ...rows('X-8', vectors(24, 2))] });
    const [[report], [mixed]] = await Promise.all([reports.next(), noModel.next()]);
    assert.equal(report.payload.asset, 'P-1');
    assert.deepEqual([...mixed.error.assets].sort(), ['X-8', 'X-9']);
    assert.equal((mixed.payload as unknown[]).length, 5, 'only the rows of the assets without a model');
    assert.match(await statusMatching(node, /2 without model/), /1 assets · 0 drifted/);

    node.receive({ topic: 'bad asset', payload: [60, 2] });
    assert.match((await caught.next())[0].error.message, /asset "bad asset" cannot name a model/);
    node.receive({ payload: [60, 2] });
    assert.match((await caught.next())[0].error.message, /needs an asset/);

    // Once X-9 has a live model, its values are tested.
    const loaded = baselineLoaded(node, 'X-9 v1');
    await registerAsset(registry, 'X-9', vectors(25, 3000));
    await loaded;
    node.receive({ payload: rows('X-9', vectors(26, 200)) });
    const [x9] = await reports.next();
    assert.deepEqual([x9.payload.asset, x9.payload.model, x9.payload.drifted], ['X-9', { name: 'X-9', version: 1 }, false]);
    await statusMatching(node, /2 assets · 0 drifted · each asset's model · 1 without model/);
    assert.equal(caught.messages.length, 2);
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
