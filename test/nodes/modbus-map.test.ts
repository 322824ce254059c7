import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, recorder, withCatalog } from '../support/node-helper';
import type { Node, NodeMessage } from 'node-red';
import modbusMapNode from '../../nodes/modbus-map';
import type { Reading } from '../../nodes/lib/reading';

helper.init(require.resolve('node-red'));

const PUMP_MAP = JSON.stringify({
  vibration: { register: 0, scale: 0.01, unit: 'mm/s' },
  temperature: { register: 2, scale: 0.1, unit: '°C' },
  current: { register: 3, scale: 0.1, unit: 'A' },
  runHours: { register: 4, type: 'uint32', unit: 'h' },
});

interface OutMessage extends NodeMessage {
  payload: unknown;
  modbusRequest?: unknown;
  error?: { code: string; reason?: string; message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(config: Record<string, unknown>): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'm', z: 'f', type: 'modbus-map', asset: 'pump-1', map: PUMP_MAP, ...config, wires: [['readings'], ['rejected']] },
    { id: 'readings', z: 'f', type: 'helper' },
    { id: 'rejected', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(modbusMapNode), flow(config));
  return helper.getNode('m');
}

interface StatusCall {
  fill?: string;
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
const rounded = (r: Reading): [string, string, number, string | undefined] => [r.asset, r.sensor, Number(r.value.toFixed(6)), r.unit];

describe('modbus-map node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('decodes a modbus-read register block into a batch of readings on the same message', async () => {
    const node = await load();
    const readings = recorder<OutMessage>('readings');
    const request = { unitid: 1, fc: 3, address: 100, quantity: 6 };
    const before = Date.now();
    node.receive({ topic: 'polling', payload: [250, 0, 655, 312, 0x0001, 0x86a0], modbusRequest: request } as NodeMessage);
    const [msg] = await readings.next();
    const batch = msg.payload as Reading[];
    assert.deepEqual(batch.map(rounded), [
      ['pump-1', 'vibration', 2.5, 'mm/s'],
      ['pump-1', 'temperature', 65.5, '°C'],
      ['pump-1', 'current', 31.2, 'A'],
      ['pump-1', 'runHours', 100000, 'h'],
    ]);
    assert.ok(batch.every((r) => r.quality === 'good' && r.ts >= before && r.ts <= Date.now()));
    assert.equal(msg.topic, 'polling');
    assert.deepEqual(msg.modbusRequest, request);
  });

  it('stamps readings with msg.timestamp and takes the asset from msg.topic when the node has none', async () => {
    const node = await load({ asset: '', map: '{"t": {"register": 0, "type": "int16"}}' });
    const readings = recorder<OutMessage>('readings');
    node.receive({ topic: 'boiler-3', payload: [0xfff6], timestamp: 1_700_000_000_000 } as NodeMessage);
    const [msg] = await readings.next();
    assert.deepEqual(msg.payload, [{ asset: 'boiler-3', sensor: 't', value: -10, ts: 1_700_000_000_000, quality: 'good' }]);
  });

  it('sends entries beyond a short block to output 2 with a reason and counts them in red', async () => {
    const node = await load();
    const readings = recorder<OutMessage>('readings');
    const rejected = recorder<OutMessage>('rejected');
    const red = statusMatching(node, (s) => s.fill === 'red');
    node.receive({ topic: 'polling', payload: [250, 0, 655, 312, 1] });
    const [good] = await readings.next();
    assert.deepEqual((good.payload as Reading[]).map((r) => r.sensor), ['vibration', 'temperature', 'current']);
    const [msg] = await rejected.next();
    assert.equal(msg.error?.code, 'OUT_OF_RANGE');
    assert.match(String(msg.error?.reason), /^runHours: needs registers 4\.\.5, the block has 5/);
    assert.equal(msg.topic, 'polling');
    assert.deepEqual(msg.payload, [250, 0, 655, 312, 1]);
    assert.equal((await red).text, '3 readings · 1 rejected');
  });

  it('rejects register values that are not 16-bit words and sends nothing on output 1 when nothing decoded', async () => {
    const node = await load({ map: '{"t": {"register": 0}}' });
    const readings = recorder<OutMessage>('readings');
    const rejected = recorder<OutMessage>('rejected');
    node.receive({ payload: [70000] });
    const [msg] = await rejected.next();
    assert.equal(msg.error?.code, 'OUT_OF_RANGE');
    assert.match(String(msg.error?.reason), /register 0 is 70000/);
    await settle();
    assert.equal(readings.messages.length, 0);
  });

  it('fails a payload that is not an array so a Catch node sees it', async () => {
    const node = await load();
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: 'hello' });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /msg\.payload must be an array of register values, got string/);
  });

  it('fails a msg.timestamp that is not epoch milliseconds', async () => {
    const node = await load();
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: [1, 2, 3, 4, 5, 6], timestamp: '2024-01-01' } as NodeMessage);
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /msg\.timestamp must be epoch milliseconds, got string/);
  });

  it('shows the decoded count in green', async () => {
    const node = await load();
    const green = statusMatching(node, (s) => s.fill === 'green');
    node.receive({ payload: [250, 0, 655, 312, 0x0001, 0x86a0] });
    assert.equal((await green).text, '4 readings');
  });

  it('fails every message naming the bad entry when the map is invalid', async () => {
    const node = await load({ map: '{"vibration": {"register": 0, "type": "int64"}}' });
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: [1] });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /register map entry "vibration": type must be one of/);
  });
});
