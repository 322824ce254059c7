import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, recorder, withCatalog } from '../support/node-helper';
import type { Node, NodeMessage } from 'node-red';
import dataQualityNode from '../../nodes/data-quality';


helper.init(require.resolve('node-red'));

interface OutMessage extends NodeMessage {
  payload: unknown;
  quality?: { accepted: number; rejected: number; uncertain: number; scores: Record<string, number>; key?: string; score?: number };
  error?: { code?: string; reason?: string; message?: string };
  _error?: { code: string; reason: string };
  batchId?: string;
}

/** msg.quality with its scores as an ordinary object: they may come without a prototype. */
const withPlainScores = (quality: OutMessage['quality']): OutMessage['quality'] =>
  quality && { ...quality, scores: { ...quality.scores } };

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;
type StatusCall = { args: [{ fill?: string; shape?: string; text?: string }] };

function flow(config: Record<string, unknown>): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'dq', z: 'f', type: 'data-quality', ...config, wires: [['accepted'], ['rejected']] },
    { id: 'accepted', z: 'f', type: 'helper' },
    { id: 'rejected', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(dataQualityNode), flow(config));
  return helper.getNode('dq');
}

function statusWhere(node: Node, test: (status: StatusCall['args'][0]) => boolean): Promise<StatusCall['args'][0]> {
  return new Promise((resolve) => {
    events(node).on('call:status', (call: StatusCall) => {
      if (test(call.args[0])) resolve(call.args[0]);
    });
  });
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

function reading(value: number, sensor = 'temperature', ts = Date.now() - 1000): Record<string, unknown> {
  return { asset: 'pump-1', sensor, value, ts };
}

describe('data-quality node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('forwards a good single reading on output 1 in the same msg with its score', async () => {
    const node = await load();
    const accepted = recorder<OutMessage>('accepted');
    const input = reading(71.2);
    node.receive({ _msgid: 'm-1', topic: 'kept', payload: input });
    const [msg] = await accepted.next();
    assert.equal(msg._msgid, 'm-1');
    assert.equal(msg.topic, 'kept');
    assert.deepEqual(msg.payload, { ...input, quality: 'good' });
    assert.deepEqual(withPlainScores(msg.quality), { accepted: 1, rejected: 0, uncertain: 0, scores: { 'pump-1/temperature': 1 }, key: 'pump-1/temperature', score: 1 });
  });

  it('sends a rejected single reading to output 2 with msg.error and the lowered score', async () => {
    const node = await load();
    const accepted = recorder<OutMessage>('accepted');
    const rejected = recorder<OutMessage>('rejected');
    node.receive({ payload: reading(70, 'temperature', Date.now() - 2000) });
    node.receive({ payload: reading(900) });
    const [msg] = await rejected.next();
    assert.equal(msg.error?.code, 'OUT_OF_RANGE');
    assert.match(msg.error?.reason ?? '', /outside -40\.\.200/);
    assert.equal((msg.payload as { quality: string }).quality, 'bad');
    assert.equal(msg.quality?.score, 0.5);
    await settle();
    assert.equal(accepted.messages.length, 1);
  });

  it('splits a batch: accepted readings in the incoming msg, all rejections in one msg on output 2', async () => {
    const node = await load();
    const accepted = recorder<OutMessage>('accepted');
    const rejected = recorder<OutMessage>('rejected');
    const ts = Date.now() - 5000;
    const batch = [reading(70, 'temperature', ts), reading(NaN), reading(3, 'vibration', ts), reading(-5, 'vibration', ts + 1), true];
    node.receive({ _msgid: 'b-1', batchId: 'nightly', payload: batch });
    const [[ok], [bad]] = await Promise.all([accepted.next(), rejected.next()]);
    assert.equal(ok._msgid, 'b-1');
    assert.equal(ok.batchId, 'nightly');
    assert.deepEqual((ok.payload as Array<{ value: number }>).map((r) => r.value), [70, 3]);
    assert.equal(bad.batchId, 'nightly', 'the rejected msg keeps the other properties');
    const items = bad.payload as Array<{ input: unknown; error: { code: string } }>;
    assert.deepEqual(items.map((i) => i.error.code), ['NON_FINITE', 'OUT_OF_RANGE', 'INVALID_PAYLOAD']);
    assert.equal(items[2].input, true);
    assert.equal(bad.error?.code, 'NON_FINITE');
    assert.match(bad.error?.reason ?? '', /^3 of 5 readings rejected/);
    assert.deepEqual(withPlainScores(ok.quality), { accepted: 2, rejected: 3, uncertain: 0, scores: { 'pump-1/temperature': 0.5, 'pump-1/vibration': 0.5 } });
    assert.deepEqual(withPlainScores(bad.quality), withPlainScores(ok.quality));
    assert.notEqual(bad.quality, ok.quality, 'each msg has its own copy');
  });

  it('sends a batch with nothing accepted to output 2 only, as the incoming msg', async () => {
    const node = await load();
    const accepted = recorder<OutMessage>('accepted');
    const rejected = recorder<OutMessage>('rejected');
    node.receive({ _msgid: 'b-2', payload: [reading(500), reading(600)] });
    const [msg] = await rejected.next();
    assert.equal(msg._msgid, 'b-2');
    assert.equal((msg.payload as unknown[]).length, 2);
    await settle();
    assert.equal(accepted.messages.length, 0);
  });

  it('reads MQTT telemetry: a JSON string, the asset from the topic, several sensors', async () => {
    const node = await load();
    const accepted = recorder<OutMessage>('accepted');
    const ts = new Date(Date.now() - 500).toISOString();
    node.receive({ topic: 'devices/press-4/telemetry', payload: JSON.stringify({ timestamp: ts, temperature: 61.5, vibration: 2.2 }) });
    const [msg] = await accepted.next();
    assert.deepEqual(msg.payload, [
      { asset: 'press-4', sensor: 'temperature', value: 61.5, ts: Date.parse(ts), quality: 'good' },
      { asset: 'press-4', sensor: 'vibration', value: 2.2, ts: Date.parse(ts), quality: 'good' },
    ]);
  });

  it('rejects malformed JSON on output 2 and reports it to a Catch node', async () => {
    const node = await load();
    const rejected = recorder<OutMessage>('rejected');
    const caught = recorder<OutMessage>('caught');
    node.receive({ topic: 'sensors/p/data', payload: '{"sensor_id": "t", "value": ' });
    const [[msg], [error]] = await Promise.all([rejected.next(), caught.next()]);
    assert.equal(msg.error?.code, 'INVALID_PAYLOAD');
    assert.equal(msg.payload, '{"sensor_id": "t", "value": ', 'the payload is passed on as received');
    assert.match(String(error.error?.message), /^PdmError: payload is a string but not JSON/);
    assert.equal(error._error?.code, 'INVALID_PAYLOAD');
  });

  it('refuses a batch over the size limit: a Catch node gets PAYLOAD_TOO_LARGE, nothing is accepted, the status counts it', async () => {
    const node = await load({ maxBatch: '3' });
    const accepted = recorder<OutMessage>('accepted');
    const caught = recorder<OutMessage>('caught');
    const red = statusWhere(node, (s) => s.fill === 'red');
    node.receive({ payload: [reading(1), reading(2), reading(3), reading(4)] });
    const [error] = await caught.next();
    assert.match(String(error.error?.message), /batch of 4 items exceeds the limit of 3/);
    assert.equal(error._error?.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(await red, { fill: 'red', shape: 'ring', text: 'PAYLOAD_TOO_LARGE · 1 rejected' });
    assert.equal(accepted.messages.length, 0);
  });

  it('reports a payload that holds no reading to output 2 and to a Catch node', async () => {
    const node = await load();
    const rejected = recorder<OutMessage>('rejected');
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: false });
    const [[msg], [error]] = await Promise.all([rejected.next(), caught.next()]);
    assert.equal(msg.error?.code, 'INVALID_PAYLOAD');
    assert.match(String(error.error?.message), /expected a reading, got boolean/);
  });

  it('does not involve the Catch node for ordinary rejections', async () => {
    const node = await load();
    const rejected = recorder<OutMessage>('rejected');
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: 12 });
    const [msg] = await rejected.next();
    assert.equal(msg.error?.code, 'MISSING_FIELD');
    await settle();
    assert.equal(caught.messages.length, 0);
  });

  it('shows the good share and the rejected count in its status', async () => {
    const node = await load({ scoreWindow: 4 });
    const status = statusWhere(node, (s) => s.text === '75.0% good · 1 rejected');
    node.receive({ payload: [reading(1, 'temperature', Date.now() - 3000), reading(2, 'temperature', Date.now() - 2000), reading(999)] });
    node.receive({ payload: reading(3, 'speed') });
    assert.deepEqual(await status, { fill: 'green', shape: 'dot', text: '75.0% good · 1 rejected' });
  });

  it('applies the rule table: a row typed pressure rejects 150 bar, flatlines pass on uncertain', async () => {
    const node = await load({
      rules: [{ match: 'aux*', type: 'pressure', min: '', max: '', maxRate: '', flatlineSamples: '2', flatlineSeconds: '' }],
    });
    const accepted = recorder<OutMessage>('accepted');
    const rejected = recorder<OutMessage>('rejected');
    node.receive({ payload: [reading(150, 'aux-1'), reading(50, 'aux-1', Date.now() - 3000), reading(50, 'aux-1', Date.now() - 2000)] });
    const [[ok], [bad]] = await Promise.all([accepted.next(), rejected.next()]);
    assert.deepEqual((ok.payload as Array<{ quality: string }>).map((r) => r.quality), ['good', 'uncertain']);
    assert.equal(ok.quality?.uncertain, 1);
    assert.equal((bad.payload as Array<{ error: { code: string } }>)[0].error.code, 'OUT_OF_RANGE');
  });

  it('with an invalid configuration shows a red status and fails every message', async () => {
    const node = await load({ rules: [{ match: '*', type: 'humidity' }] });
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: reading(1) });
    const [error] = await caught.next();
    assert.match(String(error.error?.message), /unknown sensor type "humidity"/);
    // Set while the node was built, before a listener could be attached: read the helper's spy.
    const spy = node.status as unknown as { getCalls(): Array<{ thisValue: unknown; args: StatusCall['args'] }> };
    const statuses = spy.getCalls().filter((call) => call.thisValue === node).map((call) => call.args[0]);
    assert.deepEqual(statuses, [{ fill: 'red', shape: 'ring', text: 'invalid configuration' }]);
  });
});
