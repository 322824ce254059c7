import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import onnxInferNode from '../../nodes/onnx-infer';
import type { InferResult } from '../../nodes/lib/ml/infer-engine';
import { ModelRegistry, type ModelMeta } from '../../nodes/lib/ml/registry';
import { events, recorder, withCatalog } from '../support/node-helper';
import { distanceModel, expectedDistance, type DistanceModelOptions } from '../support/onnx-models';

helper.init(require.resolve('node-red'));

interface OutMessage extends NodeMessage {
  payload: InferResult | InferResult[];
  shadow?: InferResult | InferResult[] | { error: string };
}
interface CaughtMessage extends NodeMessage {
  error: { message: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

const FEATURES = ['pump.mean', 'pump.rms', 'motor.mean'];
const V1: DistanceModelOptions = { mean: [0, 0, 0], threshold: 4 };
const V2: DistanceModelOptions = { mean: [10, 10, 10], threshold: 3 };

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-onnx-infer-'));
  dirs.push(dir);
  return dir;
}

function meta(spec: DistanceModelOptions, name = 'pump-model'): Omit<ModelMeta, 'version' | 'createdAt'> {
  return {
    name, kind: 'distance', features: FEATURES, inputName: 'features', outputNames: ['score'], threshold: spec.threshold ?? 1,
    scaler: { mean: spec.mean, scale: spec.mean.map(() => 1) }, rows: 100, metrics: {},
  };
}

function flow(config: Record<string, unknown>): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'n', z: 'f', type: 'onnx-infer', maxBatch: 64, maxWait: 1, ...config, wires: [['out'], ['noModel']] },
    { id: 'out', z: 'f', type: 'helper' },
    { id: 'noModel', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown>): Promise<Node> {
  await helper.load(withCatalog(onnxInferNode), flow(config));
  return helper.getNode('n');
}

const single = (msg: OutMessage): InferResult => msg.payload as InferResult;

/** Sends a vector until the node answers with `version`, for a reload that happens in the background. */
async function untilVersion(node: Node, version: number): Promise<OutMessage> {
  const out = recorder<OutMessage>('out');
  for (let attempt = 0; attempt < 100; attempt++) {
    node.receive({ topic: 'p1', payload: [1, 1, 1] });
    const [msg] = await out.next();
    if (single(msg).model.version === version) return msg;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`version ${version} never went live`);
}

function windowStats(asset: string, sensor: string, end: number, mean: number, rms: number): Record<string, unknown> {
  return { asset, sensor, start: end - 1000, end, count: 10, mean, rms, std: 0, min: mean, max: mean };
}

describe('onnx-infer node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => {
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    return new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('scores vectors from a model file: number arrays, batches and window statistics', async () => {
    const file = path.join(tempDir(), 'pump.onnx');
    fs.writeFileSync(file, distanceModel({ ...V1, extraOutput: true }));
    const node = await load({ source: 'file', file, features: FEATURES.join(', ') });
    const out = recorder<OutMessage>('out');
    node.receive({ topic: 'p1', payload: [1, 2, 2] });
    const [one] = await out.next();
    const r = single(one);
    assert.equal(one.topic, 'p1');
    assert.ok(Math.abs(r.score - expectedDistance([1, 2, 2], V1)) < 1e-5);
    assert.equal(r.anomalous, true);
    assert.deepEqual(r.model, { name: 'pump', version: undefined });
    assert.deepEqual(r.outputs.z, [1, 2, 2]);

    node.receive({ topic: 'p2', payload: [[0, 0, 1], [0, 1, 1]] });
    const [batch] = await out.next();
    assert.deepEqual((batch.payload as InferResult[]).map((x) => [x.asset, x.anomalous]), [['p2', false], ['p2', false]]);

    node.receive({ payload: [windowStats('m7', 'pump', 5000, 1, 1), windowStats('m7', 'flow', 5000, 9, 9)] });
    node.receive({ payload: windowStats('m7', 'motor', 5000, 1, 2) });
    const [stats] = await out.next();
    assert.deepEqual([single(stats).asset, single(stats).ts, single(stats).score], ['m7', 5000, expectedDistance([1, 1, 1], V1)]);
  });

  it('names the expected and the received shape when a vector does not fit', async () => {
    const file = path.join(tempDir(), 'pump.onnx');
    fs.writeFileSync(file, distanceModel(V1));
    const node = await load({ source: 'file', file, features: FEATURES.join(',') });
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'p1', payload: [1, 2] });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /expects \[1, 3\] \(features: pump\.mean, pump\.rms, motor\.mean\), received \[1, 2\]/);
  });

  it('refuses a model whose graph does not match its features, with both shapes in the error', async () => {
    const file = path.join(tempDir(), 'wide.onnx');
    fs.writeFileSync(file, distanceModel({ mean: [0, 0, 0, 0] }));
    const node = await load({ source: 'file', file, features: FEATURES.join(',') });
    const caught = recorder<CaughtMessage>('caught');
    const statuses: Array<{ fill?: string }> = [];
    events(node).on('call:status', (call: { args: Array<{ fill?: string }> }) => statuses.push(call.args[0]));
    node.receive({ topic: 'p1', payload: [1, 2, 3] });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /expected "features" float32 \[N, 3\].*the graph declares "features" float32 \[N, 4\]/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(statuses.at(-1)?.fill, 'red');
  });

  it('scores with the live registry version, reloads on promote and on rollback', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    const v1 = await registry.register(meta(V1), distanceModel(V1));
    const v2 = await registry.register(meta(V2), distanceModel(V2));
    await registry.promote('pump-model', v1.version);
    const node = await load({ source: 'registry', model: 'pump-model', registryDir: dir });
    const first = await untilVersion(node, 1);
    assert.ok(Math.abs(single(first).score - expectedDistance([1, 1, 1], V1)) < 1e-5);
    await registry.promote('pump-model', v2.version);
    const second = await untilVersion(node, 2);
    assert.ok(Math.abs(single(second).score - expectedDistance([1, 1, 1], V2)) < 1e-4);
    await registry.rollback('pump-model');
    await untilVersion(node, 1);
  });

  it('answers every message while a promotion swaps the model under way', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    await registry.register(meta(V1), distanceModel(V1));
    await registry.register(meta(V2), distanceModel(V2));
    await registry.promote('pump-model', 1);
    const node = await load({ source: 'registry', model: 'pump-model', registryDir: dir, maxBatch: 16, maxWait: 2 });
    await untilVersion(node, 1);
    const out = recorder<OutMessage>('out');
    const caught = recorder<CaughtMessage>('caught');
    let sent = 0;
    const send = (): void => node.receive({ topic: `p${sent}`, payload: [sent++ % 3, 0, 0] });
    for (let i = 0; i < 100; i++) send();
    const promoted = registry.promote('pump-model', 2);
    while (sent < 5000 && !out.messages.some((m) => single(m).model.version === 2)) {
      for (let i = 0; i < 20; i++) send();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await promoted;
    await out.next(sent - out.messages.length, 10_000);
    assert.equal(caught.messages.length, 0);
    const versions = out.messages.map((m) => single(m).model.version);
    const firstNew = versions.indexOf(2);
    assert.ok(firstNew > 0, 'some messages scored before the swap');
    assert.ok(versions.slice(firstNew).every((v) => v === 2), 'none with the old version after the swap');
    assert.equal(new Set(out.messages.map((m) => m.topic)).size, sent, 'every message answered once');
  });

  it('in shadow mode scores with the candidate beside the live version and reports both', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    await registry.register(meta(V1), distanceModel(V1));
    await registry.register(meta(V2), distanceModel(V2));
    await registry.promote('pump-model', 1);
    await registry.setCandidate('pump-model', 2);
    const node = await load({ source: 'registry', model: 'pump-model', registryDir: dir, shadow: true });
    let msg = await untilVersion(node, 1);
    for (let i = 0; i < 50 && msg.shadow === undefined; i++) msg = await untilVersion(node, 1);
    const shadow = msg.shadow as InferResult;
    assert.equal(shadow.model.version, 2);
    assert.ok(Math.abs(shadow.score - expectedDistance([1, 1, 1], V2)) < 1e-4);
    assert.equal(shadow.anomalous, true);
    assert.equal(single(msg).anomalous, false);
    await registry.setCandidate('pump-model', null);
    for (let i = 0; i < 50 && msg.shadow !== undefined; i++) msg = await untilVersion(node, 1);
    assert.equal(msg.shadow, undefined, 'no shadow once the candidate is withdrawn');
  });

  it('says clearly that a registry model has no live version yet', async () => {
    const node = await load({ source: 'registry', model: 'nothing-here', registryDir: tempDir() });
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'p1', payload: [1, 2, 3] });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /model nothing-here has no live version/);
  });

  it('rejects an invalid configuration on every message', async () => {
    const node = await load({ source: 'file', file: '', features: '' });
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ payload: [1] });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /model file is required/);
  });

  it('with a model per asset scores each asset with its own model', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    await registry.promote('P-101', (await registry.register(meta(V1, 'P-101'), distanceModel(V1))).version);
    await registry.promote('P-102', (await registry.register(meta(V2, 'P-102'), distanceModel(V2))).version);
    const node = await load({ source: 'registry', perAsset: true, registryDir: dir });
    const out = recorder<OutMessage>('out');
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'P-101', payload: [1, 1, 1] });
    node.receive({ topic: 'P-102', payload: [1, 1, 1] });
    const scored = await out.next(2);
    const byAsset = new Map(scored.map((m) => [single(m).asset, single(m)]));
    assert.equal(byAsset.get('P-101')?.model.name, 'P-101');
    assert.ok(Math.abs((byAsset.get('P-101')?.score ?? NaN) - expectedDistance([1, 1, 1], V1)) < 1e-5);
    assert.equal(byAsset.get('P-102')?.model.name, 'P-102');
    assert.ok(Math.abs((byAsset.get('P-102')?.score ?? NaN) - expectedDistance([1, 1, 1], V2)) < 1e-4);

    const features = (asset: string): Record<string, unknown> => ({ asset, ts: 7, features: { 'pump.mean': 2, 'pump.rms': 2, 'motor.mean': 2 } });
    node.receive({ payload: [features('P-102'), features('P-101')] });
    const [both] = await out.next();
    const rows = both.payload as InferResult[];
    assert.deepEqual(rows.map((r) => [r.asset, r.model.name]).sort(), [['P-101', 'P-101'], ['P-102', 'P-102']]);
    assert.equal(caught.messages.length, 0);
  });

  it('with a model per asset sends an asset without a model to the second output, naming it, and refuses bad asset names', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir);
    await registry.promote('P-101', (await registry.register(meta(V1, 'P-101'), distanceModel(V1))).version);
    const node = await load({ source: 'registry', perAsset: true, registryDir: dir });
    const out = recorder<OutMessage>('out');
    const noModel = recorder<NodeMessage & { error: { message: string; assets: string[] } }>('noModel');
    const caught = recorder<CaughtMessage>('caught');
    node.receive({ topic: 'X-9', payload: [1, 1, 1] });
    const [rejected] = await noModel.next();
    assert.deepEqual(rejected.error.assets, ['X-9']);
    assert.match(rejected.error.message, /no live model for asset X-9/);
    assert.deepEqual(rejected.payload, [1, 1, 1], 'passed on unchanged');
    node.receive({ topic: 'P-101', payload: [1, 1, 1] });
    const [scored] = await out.next();
    assert.equal(single(scored).model.name, 'P-101');
    assert.equal(caught.messages.length, 0, 'no model yet is not an error');

    const row = (asset: string): Record<string, unknown> => ({ asset, ts: 1, features: { 'pump.mean': 0, 'pump.rms': 0, 'motor.mean': 0 } });
    node.receive({ payload: [row('P-101'), row('X-9'), row('X-8'), row('X-9')] });
    const [[mixedScored], [mixedRejected]] = await Promise.all([out.next(), noModel.next()]);
    assert.equal(single(mixedScored).asset, 'P-101');
    assert.deepEqual([...mixedRejected.error.assets].sort(), ['X-8', 'X-9']);
    assert.deepEqual((mixedRejected.payload as Array<{ asset: string }>).map((r) => r.asset).sort(), ['X-8', 'X-9', 'X-9'], 'only the rows without a model');

    node.receive({ topic: 'bad asset', payload: [1, 1, 1] });
    const [bad] = await caught.next();
    assert.match(bad.error.message, /asset "bad asset" cannot name a model/);

    await registry.promote('X-9', (await registry.register(meta(V2, 'X-9'), distanceModel(V2))).version);
    for (let i = 0; i < 100 && !out.messages.some((m) => single(m).asset === 'X-9'); i++) {
      const answered = out.messages.length + noModel.messages.length;
      node.receive({ topic: 'X-9', payload: [1, 1, 1] });
      while (out.messages.length + noModel.messages.length === answered) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(out.messages.some((m) => single(m).model.name === 'X-9'), 'scored once its model is promoted');
  });
});
