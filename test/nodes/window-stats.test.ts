import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, recorder, withCatalog } from '../support/node-helper';
import type { Node, NodeMessage } from 'node-red';
import windowStatsNode from '../../nodes/window-stats';
import type { WindowStats } from '../../nodes/lib/stats/types';

helper.init(require.resolve('node-red'));

const T0 = 1_700_000_000_000;

interface OutMessage extends NodeMessage {
  payload: unknown;
  stats?: { window: string; size: number; hop: number; closedBy: string };
  error?: { code: string; reason?: string; message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'w', z: 'f', type: 'window-stats', size: 10, lateness: 0, ...config, wires: [['windows'], ['rejected']] },
    { id: 'windows', z: 'f', type: 'helper' },
    { id: 'rejected', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(windowStatsNode), flow(config));
  return helper.getNode('w');
}

interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

function statusMatching(node: Node, match: (status: StatusCall) => boolean): Promise<StatusCall> {
  return new Promise((resolve) => {
    events(node).on('call:status', (call: { args: [StatusCall] }) => {
      if (match(call.args[0])) resolve(call.args[0]);
    });
  });
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

function reading(ts: number, value: number, asset = 'pump-1', sensor = 'temp'): Record<string, unknown> {
  return { asset, sensor, value, ts };
}

describe('window-stats node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('emits a new message per closed window with msg.stats', async () => {
    const node = await load();
    const windows = recorder<OutMessage>('windows');
    node.receive({ payload: [reading(T0, 1), reading(T0 + 4000, 2), reading(T0 + 9000, 6)] });
    node.receive({ payload: reading(T0 + 10_000, 9) });
    const [msg] = await windows.next();
    const stats = msg.payload as WindowStats;
    assert.equal(msg.topic, 'pump-1/temp');
    assert.deepEqual(msg.stats, { window: 'tumbling', size: 10_000, hop: 10_000, closedBy: 'watermark' });
    assert.deepEqual([stats.asset, stats.sensor, stats.start, stats.end, stats.count, stats.mean], ['pump-1', 'temp', T0, T0 + 10_000, 3, 3]);
    assert.equal(typeof msg._msgid, 'string');
  });

  it('sends a late single reading to output 2 as the same message with msg.error and counts it', async () => {
    const node = await load({ lateness: 5 });
    const rejected = recorder<OutMessage>('rejected');
    const green = statusMatching(node, (s) => s.fill === 'green' && / late$/.test(s.text ?? ''));
    node.receive({ payload: reading(T0 + 60_000, 1) });
    node.receive({ payload: reading(T0, 2), topic: 'kept' });
    const [msg] = await rejected.next();
    assert.equal(msg.error?.code, 'LATE');
    assert.equal(msg.topic, 'kept');
    assert.deepEqual(msg.payload, reading(T0, 2));
    assert.equal((await green).text, '1 keys · 0.0 windows/s · 1 late');
  });

  it('rejects bad readings of a batch one message each and keeps the good ones', async () => {
    const node = await load();
    const rejected = recorder<OutMessage>('rejected');
    const windows = recorder<OutMessage>('windows');
    node.receive({
      topic: 'batch-7',
      payload: [
        reading(T0, 1),
        reading(T0, NaN),
        { sensor: 'temp', value: 1, ts: T0 },
        { ...reading(T0, 5), quality: 'bad' },
        reading(T0 + 1000, 3),
      ],
    });
    const errors = await rejected.next(3);
    assert.deepEqual(errors.map((m) => m.error?.code), ['NON_FINITE', 'MISSING_FIELD', 'BAD_QUALITY']);
    assert.ok(errors.every((m) => m.topic === 'batch-7'));
    node.receive({ flush: true });
    const [msg] = await windows.next();
    assert.equal((msg.payload as WindowStats).count, 2);
  });

  it('fails a message whose payload is not readings so a Catch node sees it', async () => {
    const node = await load();
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: 'hello' });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /^PdmError: msg\.payload must be a reading.*got string$/);
  });

  it('absorbs a bare number keyed by msg.topic', async () => {
    const node = await load();
    const windows = recorder<OutMessage>('windows');
    node.receive({ payload: 21.5, topic: 'boiler/temp' });
    node.receive({ flush: 'boiler/temp' });
    const [msg] = await windows.next();
    const stats = msg.payload as WindowStats;
    assert.deepEqual([stats.asset, stats.sensor, stats.count, stats.mean], ['boiler', 'temp', 1, 21.5]);
    assert.equal(msg.stats?.closedBy, 'flush');
  });

  it('flushes one key, completes control messages and ignores their timestamp payload', async () => {
    const node = await load();
    const windows = recorder<OutMessage>('windows');
    const rejected = recorder<OutMessage>('rejected');
    node.receive({ payload: [reading(T0, 1, 'a'), reading(T0, 2, 'b')] });
    node.receive({ flush: 'a/temp', payload: Date.now() });
    const [first] = await windows.next();
    assert.equal(first.topic, 'a/temp');
    node.receive({ flush: true });
    const [second] = await windows.next();
    assert.equal(second.topic, 'b/temp');
    await settle();
    assert.equal(windows.messages.length, 2);
    assert.equal(rejected.messages.length, 0);
  });

  it('drops state on msg.reset', async () => {
    const node = await load();
    const windows = recorder<OutMessage>('windows');
    node.receive({ payload: [reading(T0, 1, 'a'), reading(T0, 2, 'b')] });
    node.receive({ reset: 'a/temp' });
    node.receive({ flush: true });
    const [msg] = await windows.next();
    assert.equal(msg.topic, 'b/temp');
    node.receive({ reset: true });
    node.receive({ flush: true });
    await settle();
    assert.equal(windows.messages.length, 1);
  });

  it('emits one array per emission in batch output mode', async () => {
    const node = await load({ output: 'batch' });
    const windows = recorder<OutMessage>('windows');
    node.receive({ payload: [reading(T0, 1, 'a'), reading(T0, 2, 'b'), reading(T0 + 10_000, 3, 'a'), reading(T0 + 10_000, 4, 'b')] });
    const [msg] = await windows.next();
    assert.ok(Array.isArray(msg.payload));
    assert.deepEqual((msg.payload as WindowStats[]).map((s) => [s.asset, s.mean]), [['a', 1], ['b', 2]]);
    assert.equal(msg.stats?.closedBy, 'watermark');
  });

  it('rejects new keys beyond the bound and shows it in red', async () => {
    const node = await load({ maxKeys: 1 });
    const rejected = recorder<OutMessage>('rejected');
    const red = statusMatching(node, (s) => s.fill === 'red');
    node.receive({ payload: [reading(T0, 1, 'a'), reading(T0, 1, 'b')] });
    const [msg] = await rejected.next();
    assert.equal(msg.error?.code, 'KEY_LIMIT');
    assert.equal((await red).text, 'key limit 1 reached');
  });

  it('closes processing-time windows on its timer', async () => {
    const node = await load({ time: 'processing', size: 0.1 });
    const windows = recorder<OutMessage>('windows');
    node.receive({ payload: reading(0, 4) });
    const [msg] = await windows.next(1, 3000);
    assert.equal(msg.stats?.closedBy, 'timer');
    assert.equal((msg.payload as WindowStats).count, 1);
  });

  it('emits its open windows when stopped for a redeploy', async () => {
    const node = await load();
    const sent: unknown[] = [];
    const send = node.send.bind(node);
    node.send = (msg) => {
      sent.push(msg);
      send(msg);
    };
    node.receive({ payload: reading(T0, 7) });
    await settle();
    await helper.unload();
    assert.equal(sent.length, 1);
    const [[window, rejected]] = sent as Array<[OutMessage, null]>;
    assert.equal((window.payload as WindowStats).mean, 7);
    assert.equal(window.stats?.closedBy, 'flush');
    assert.equal(rejected, null);
  });

  it('drops its open windows when removed', async () => {
    const node = await load();
    const sent: unknown[] = [];
    node.send = (msg) => {
      sent.push(msg);
    };
    node.receive({ payload: reading(T0, 7) });
    await settle();
    await helper.setFlows([{ id: 'other', type: 'helper' }], 'full');
    assert.deepEqual(sent, []);
  });

  it('fails every message when configured wrongly', async () => {
    const node = await load({ window: 'sliding', size: 1, hop: 5 });
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: reading(T0, 1) });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /hop/);
  });
});
