import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, recorder, withCatalog } from '../support/node-helper';
import type { Node, NodeMessage } from 'node-red';
import healthScoreNode from '../../nodes/health-score';
import type { HealthReport } from '../../nodes/lib/health/tracker';

helper.init(require.resolve('node-red'));
helper.settings({ contextStorage: { default: { module: 'memory' } } });

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

interface OutMessage extends NodeMessage {
  payload: HealthReport;
  error?: { message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'h', z: 'f', type: 'health-score', baseline: 2, failureThreshold: 11.2, persistInterval: 0, ...config, wires: [['out']] },
    { id: 'out', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(healthScoreNode), flow(config));
  return helper.getNode('h');
}

/** Keeps node context across a redeploy, as a configured store does (see the anomaly-detect tests). */
async function useConfiguredStore(): Promise<void> {
  const runtimeDir = path.dirname(require.resolve('@node-red/runtime/package.json'));
  const context = (await import(path.join(runtimeDir, 'lib', 'nodes', 'context'))) as { load(): Promise<void> };
  await context.load();
}

/** Window statistics of vibration with rms growing e-fold every 100 h. */
function window(hour: number, asset = 'bearing-1'): Record<string, unknown> {
  const rms = 2 * Math.exp(hour / 100);
  return { asset, sensor: 'vibration', start: T0 + hour * HOUR - 1000, end: T0 + hour * HOUR, count: 10, mean: 0, rms };
}

const windows = (from: number, to: number): Record<string, unknown>[] =>
  Array.from({ length: to - from }, (_, i) => window(from + i));

describe('health-score node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('forwards the message with the asset health and a predicted failure', async () => {
    const node = await load();
    const out = recorder<OutMessage>('out');
    node.receive({ payload: windows(0, 120), topic: 'in' });
    const [msg] = await out.next();
    const r = msg.payload;
    assert.equal(msg.topic, 'bearing-1');
    assert.equal(r.asset, 'bearing-1');
    assert.equal(r.ts, T0 + 119 * HOUR);
    assert.equal(r.indicator.name, 'vibration.rms');
    assert.equal(r.indicator.trend, 'rising');
    assert.ok(r.predictedFailure && Math.abs(r.predictedFailure.ts - (T0 + 100 * Math.log(5.6) * HOUR)) < HOUR);
    assert.ok(r.health < 100 && r.contributors.degradation > 0);
    assert.ok(['healthy', 'attention', 'critical'].includes(r.status));
  });

  it('sends one message per asset whose health changed, and none when nothing changed', async () => {
    const node = await load();
    const out = recorder<OutMessage>('out');
    node.receive({ payload: [window(0, 'a'), window(0, 'b'), { asset: 'c', sensor: 'temp', value: 1, ts: T0 }] });
    const msgs = await out.next(2);
    assert.deepEqual(msgs.map((m) => m.topic).sort(), ['a', 'b']);
    node.receive({ payload: window(0.01, 'a') });
    node.receive({ payload: { asset: 'a', sensor: 'velocityRms', value: 12, ts: T0 + HOUR } });
    const [zone] = await out.next();
    assert.deepEqual([zone.payload.zone, zone.payload.contributors.vibrationZone, zone.payload.health, zone.payload.status], ['D', 60, 40, 'attention']);
    assert.equal(out.messages.length, 3);
  });

  it('takes anomaly events and passed scores from anomaly-detect', async () => {
    const node = await load({ anomalyWeight: 50, anomalySaturation: 5 });
    const out = recorder<OutMessage>('out');
    node.receive({
      payload: { asset: 'pump', sensor: 'temp', ts: T0, value: 90, score: 5, severity: 'critical', detectors: [] },
      anomaly: { key: 'pump/temp', state: 'firing' },
    });
    const [event] = await out.next();
    assert.deepEqual([event.payload.health, event.payload.status, event.payload.contributors.anomaly], [50, 'attention', 50]);
    node.receive({ payload: { asset: 'pump2', sensor: 'temp', ts: T0, value: 50 }, anomaly: { key: 'pump2/temp', score: 2.5 } });
    const [passed] = await out.next();
    assert.equal(passed.payload.contributors.anomaly, 25);
  });

  it('fails bad input so a Catch node sees it and counts it in the status', async () => {
    const node = await load();
    const caught = recorder<OutMessage>('caught');
    const status = new Promise<string>((resolve) => {
      events(node).on('call:status', (call: { args: [{ text?: string }] }) => {
        if (/bad$/.test(call.args[0].text ?? '')) resolve(call.args[0].text ?? '');
      });
    });
    node.receive({ payload: 'hello' });
    node.receive({ payload: [window(0), { ...window(1), rms: 'x' }] });
    const [first, second] = await caught.next(2);
    assert.match(String(first.error?.message), /msg\.payload must be an anomaly event.*got string/);
    assert.match(String(second.error?.message), /item 1: rms must be a number/);
    assert.equal(await status, '1 assets · 0 attention · 0 critical · 2 bad');
  });

  it('reports an invalid configuration and fails every message', async () => {
    const node = await load({ attentionEnter: 90, attentionLeave: 80 });
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: window(0) });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /status thresholds/);
  });

  it('keeps the asset history across a redeploy through the node context', async () => {
    const node = await load();
    await useConfiguredStore();
    const out = recorder<OutMessage>('out');
    node.receive({ payload: windows(0, 60) });
    await out.next();
    await helper.setFlows(flow({ name: 'redeployed' }), 'full');
    const again = recorder<OutMessage>('out');
    helper.getNode('h').receive({ payload: window(60) });
    const [msg] = await again.next();
    assert.equal(msg.payload.indicator.trend, 'rising', 'the trend fit sees the 60 points from before the redeploy');
    assert.ok(msg.payload.predictedFailure);
  });

  it('forgets the assets when the node is removed', async () => {
    await load();
    await useConfiguredStore();
    const out = recorder<OutMessage>('out');
    helper.getNode('h').receive({ payload: windows(0, 60) });
    await out.next();
    await helper.setFlows(flow().filter((n) => n.id !== 'h'), 'full');
    await helper.setFlows(flow(), 'full');
    const again = recorder<OutMessage>('out');
    helper.getNode('h').receive({ payload: window(60) });
    const [msg] = await again.next();
    assert.equal(msg.payload.indicator.trend, 'too-few-points');
  });
});
