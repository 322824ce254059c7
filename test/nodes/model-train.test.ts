import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import modelTrainNode from '../../nodes/model-train';
import type { CatalogEntry } from '../../nodes/lib/ml/catalog';
import { ModelRegistry, type ModelMeta } from '../../nodes/lib/ml/registry';
import { events, recorder, withCatalog, type Recorder } from '../support/node-helper';
import { planeRows } from '../lib/ml/synthetic';

helper.init(require.resolve('node-red'));

interface CatalogMessage extends NodeMessage {
  payload: CatalogEntry[];
}

interface OutMessage extends NodeMessage {
  payload: ModelMeta;
  training: { outcome: string; reason: string; dropped: number; ms: number };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-model-train-'));
  dirs.push(dir);
  return dir;
}

function flow(config: Record<string, unknown>): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 't', z: 'f', type: 'model-train', modelName: 'pump', ...config, wires: [['out'], ['catalog']] },
    { id: 'out', z: 'f', type: 'helper' },
    { id: 'catalog', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown>): Promise<Node> {
  await helper.load(withCatalog(modelTrainNode), flow(config));
  return helper.getNode('t');
}

/** Rows {ts, features} on a known plane. */
function featureRows(n: number, seed: number): Array<{ ts: number; features: Record<string, number> }> {
  const ds = planeRows(n, seed);
  const d = ds.features.length;
  return Array.from({ length: n }, (_, i) => ({
    ts: ds.ts?.[i] ?? i,
    features: Object.fromEntries(ds.features.map((f, j) => [f, ds.data[i * d + j]])),
  }));
}

/** The first catalog received (now or later) that satisfies `ok`. */
async function catalogWhere(catalog: Recorder<CatalogMessage>, ok: (entries: CatalogEntry[]) => boolean): Promise<CatalogEntry[]> {
  for (;;) {
    const hit = catalog.messages.find((m) => ok(m.payload));
    if (hit) return hit.payload;
    await catalog.next(1, 10_000);
  }
}

describe('model-train node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    return new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('trains a PCA model, registers it and makes it live when there is none', async () => {
    const dir = tempDir();
    const node = await load({ kind: 'pca', registryDir: dir });
    const out = recorder<OutMessage>('out');
    const rows = featureRows(800, 1);
    rows[5].features.f3 = Number.NaN;
    events(node).emit('input', { payload: rows });
    const [msg] = await out.next(1, 10_000);
    assert.equal(msg.payload.name, 'pump');
    assert.equal(msg.payload.version, 1);
    assert.equal(msg.payload.kind, 'pca');
    assert.equal(msg.payload.rows, 799);
    assert.equal(msg.payload.metrics.components, 2);
    assert.equal(msg.training.outcome, 'live');
    assert.equal(msg.training.dropped, 1);
    assert.equal(msg.payload.trainedFrom, rows[0].ts);
    const registry = new ModelRegistry(dir);
    assert.equal((await registry.live('pump'))?.version, 1);
    assert.ok(fs.statSync(registry.modelFile(msg.payload)).size > 0);
  });

  it('makes a second model live when it is at least as good as the live one, and trains an autoencoder', async () => {
    const dir = tempDir();
    const node = await load({ kind: 'autoencoder', hidden: '6,2', epochs: 5, registryDir: dir });
    const out = recorder<OutMessage>('out');
    events(node).emit('input', { payload: featureRows(600, 2) });
    const [first] = await out.next(1, 20_000);
    assert.equal(first.payload.kind, 'autoencoder');
    assert.deepEqual(first.payload.outputNames, ['score', 'error', 'reconstruction']);
    events(node).emit('input', { payload: featureRows(600, 2) });
    const [second] = await out.next(1, 20_000);
    assert.equal(second.payload.version, 2);
    assert.equal(second.training.outcome, 'live', second.training.reason);
    assert.equal(second.payload.metrics.liveHeldBackAlarmRate, second.payload.metrics.heldBackAlarmRate);
    const registry = new ModelRegistry(dir);
    assert.equal((await registry.live('pump'))?.version, 2);
    assert.deepEqual((await registry.state('pump')).previous, [1]);
  });

  it('publishes the registry catalog after each change and on request, with the asset of each model', async () => {
    const dir = tempDir();
    const node = await load({ kind: 'pca', registryDir: dir });
    const out = recorder<OutMessage>('out');
    const catalog = recorder<CatalogMessage>('catalog');
    events(node).emit('input', { topic: 'catalog' });
    const [empty] = await catalog.next(1, 5000);
    assert.equal(empty.topic, 'models');
    assert.deepEqual(empty.payload, []);
    events(node).emit('input', { payload: featureRows(400, 5), modelName: 'P-101', asset: 'P-101' });
    const [trained] = await out.next(1, 10_000);
    assert.equal(trained.payload.asset, 'P-101');
    // Registering and promoting are two changes; a catalog follows that shows both.
    const [entry] = await catalogWhere(catalog, (entries) => entries[0]?.live === 1);
    assert.equal(entry.name, 'P-101');
    assert.equal(entry.asset, 'P-101');
    assert.equal(entry.versions[0].role, 'live');
    assert.equal(entry.versions[0].metrics.components, 2);
    await new ModelRegistry(dir).setCandidate('P-101', 1);
    events(node).emit('input', { topic: 'catalog', payload: 'ignored' });
    const [proposed] = await catalogWhere(catalog, (entries) => entries[0]?.candidate === 1);
    assert.equal(proposed.live, 1);
  });

  it('refuses an asset that is not a name', async () => {
    const node = await load({ registryDir: tempDir() });
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    events(node).emit('input', { payload: featureRows(100, 1), asset: 42 });
    const [msg] = await caught.next(1, 5000);
    assert.match(msg.error.message, /msg.asset/);
  });

  it('takes a numeric matrix with msg.features and a model name from the message', async () => {
    const dir = tempDir();
    const node = await load({ registryDir: dir, promote: 'never' });
    const out = recorder<OutMessage>('out');
    const ds = planeRows(300, 3);
    const matrix = Array.from({ length: ds.rows }, (_, i) => Array.from(ds.data.subarray(i * 8, i * 8 + 8)));
    events(node).emit('input', { payload: matrix, features: ds.features, modelName: 'fan' });
    const [msg] = await out.next(1, 10_000);
    assert.equal(msg.payload.name, 'fan');
    assert.equal(msg.training.outcome, 'registered');
    assert.equal(await new ModelRegistry(dir).live('fan'), undefined);
  });

  it('reports bad input to a Catch node and counts it in the status', async () => {
    const node = await load({ registryDir: tempDir() });
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    const statuses: Array<{ text?: string }> = [];
    events(node).on('call:status', (call: { args: Array<{ text?: string }> }) => statuses.push(call.args[0]));
    events(node).emit('input', { payload: 'not rows' });
    const [bad] = await caught.next(1, 5000);
    assert.match(bad.error.message, /non-empty array/);
    events(node).emit('input', { payload: featureRows(5, 1) });
    const [few] = await caught.next(1, 5000);
    assert.match(few.error.message, /too few/);
    events(node).emit('input', { payload: featureRows(100, 1), modelName: '../x' });
    const [name] = await caught.next(1, 5000);
    assert.match(name.error.message, /model name/);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.match(statuses.at(-1)?.text ?? '', /3 failed/);
  });

  it('refuses an invalid configuration', async () => {
    const node = await load({ kind: 'forest', registryDir: tempDir() });
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    events(node).emit('input', { payload: featureRows(100, 1) });
    const [msg] = await caught.next(1, 5000);
    assert.match(msg.error.message, /pca or autoencoder/);
  });

  it('stops a running training on close', async () => {
    const node = await load({ kind: 'autoencoder', epochs: 10000, hidden: '32,16,4', registryDir: tempDir() });
    events(node).emit('input', { payload: featureRows(3000, 4) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 5000);
  });
});
