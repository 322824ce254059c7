import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import opcuaEndpointNode from '../../nodes/opcua-endpoint';
import opcuaInNode from '../../nodes/opcua-in';
import type { Reading } from '../../nodes/lib/reading';
import { startPlantOpcuaServer, type PlantOpcuaServer } from '../../nodes/lib/sim/opcua-server';
import { freePort, PKI_ROOT, SERVER_PKI, TEST_ASSETS } from '../lib/protocols/opcua-fixture';
import { events, recorder, withCatalog } from '../support/node-helper';

// The client keeps its certificate store under the user directory: one kept across runs.
helper.init(require.resolve('node-red'), { userDir: path.join(PKI_ROOT, 'node-test-user') } as unknown as Parameters<typeof helper.init>[1]);

interface OutMessage extends NodeMessage {
  payload: unknown;
  error?: { code: string; reason: string };
}

interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(endpointUrl: string, config: Record<string, unknown> = {}, endpoint: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'ep', type: 'opcua-endpoint', endpointUrl, connectTimeout: 2, ...endpoint },
    {
      id: 'in', z: 'f', type: 'opcua-in', endpoint: 'ep', samplingInterval: 0, publishingInterval: 100,
      items: [{ item: 'ns=1;s=pump-1.vibration' }, { item: '/Plant/pump-1/temperature' }, { item: 'ns=1;s=motor-1.current', asset: 'M1', sensor: 'amps', unit: 'mA' }],
      ...config, wires: [['readings'], ['rejected']],
    },
    { id: 'readings', z: 'f', type: 'helper' },
    { id: 'rejected', z: 'f', type: 'helper' },
  ];
}

async function load(items: FlowItem[]): Promise<Node> {
  await helper.load([withCatalog(opcuaEndpointNode), withCatalog(opcuaInNode)], items);
  return helper.getNode('in');
}

function statusMatching(node: Node, match: (status: StatusCall) => boolean): Promise<StatusCall> {
  return new Promise((resolve) => {
    events(node).on('call:status', (call: { args: [StatusCall] }) => {
      if (match(call.args[0])) resolve(call.args[0]);
    });
  });
}

/** Updates every sensor of the server every 50 ms until stopped. */
function feed(server: PlantOpcuaServer, reading: (i: number) => Reading[]): () => void {
  let i = 0;
  const timer = setInterval(() => server.update(reading(i++)), 50);
  return () => clearInterval(timer);
}

describe('opcua-in node', () => {
  let server: PlantOpcuaServer;
  let stopFeed: (() => void) | undefined;

  before(async () => {
    await new Promise<void>((resolve) => helper.startServer(resolve));
    server = await startPlantOpcuaServer(TEST_ASSETS, {
      port: await freePort(), host: '127.0.0.1', pkiDir: SERVER_PKI, allowAnonymous: true, users: [], securityModes: ['None'],
    });
  });
  afterEach(async () => {
    stopFeed?.();
    stopFeed = undefined;
    await helper.unload();
  });
  after(async () => {
    await server?.stop();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('emits batches of readings named from browse names or the table, with unit and source timestamp', async () => {
    const node = await load(flow(server.endpointUrl));
    const green = statusMatching(node, (s) => s.fill === 'green');
    const readings = recorder<OutMessage>('readings');
    const ts = Date.UTC(2026, 2, 1);
    stopFeed = feed(server, (i) => [
      { asset: 'pump-1', sensor: 'vibration', value: 2 + i, ts: ts + i },
      { asset: 'pump-1', sensor: 'temperature', value: 60, ts: ts + i, quality: 'uncertain' },
      { asset: 'motor-1', sensor: 'current', value: 12, ts: ts + i },
    ]);
    const seen = new Map<string, Reading>();
    while (seen.size < 3) {
      const [msg] = await readings.next(1, 15_000);
      assert.ok(Array.isArray(msg.payload));
      for (const r of msg.payload as Reading[]) seen.set(`${r.asset}/${r.sensor}`, r);
    }
    const vib = seen.get('pump-1/vibration') as Reading;
    assert.deepEqual([vib.unit, vib.quality, vib.value - 2, vib.ts - ts], ['mm/s', 'good', vib.ts - ts, vib.value - 2]);
    const temp = seen.get('pump-1/temperature') as Reading;
    assert.deepEqual([temp.unit, temp.quality, temp.value], ['°C', 'uncertain', 60]);
    const amps = seen.get('M1/amps') as Reading;
    assert.deepEqual([amps.unit, amps.value], ['mA', 12]);
    assert.match(String((await green).text), /^3 items · /);
  });

  it('sends one message per reading and rejects a bad status code with its name as reason', async () => {
    await load(flow(server.endpointUrl, { output: 'single', items: [{ item: 'ns=1;s=pump-1.vibration' }] }));
    const readings = recorder<OutMessage>('readings');
    const rejected = recorder<OutMessage>('rejected');
    stopFeed = feed(server, (i) => [{ asset: 'pump-1', sensor: 'vibration', value: i, ts: Date.now(), quality: i % 2 === 0 ? 'bad' : 'good' }]);
    const [good] = await readings.next(1, 15_000);
    assert.equal(good.topic, 'pump-1/vibration');
    assert.equal((good.payload as Reading).sensor, 'vibration');
    let bad = (await rejected.next(1, 15_000))[0];
    // The first value may be the server's "waiting for initial data" before the feed starts.
    if (bad.error?.reason.includes('BadWaitingForInitialData')) bad = (await rejected.next(1, 5000))[0];
    assert.deepEqual(bad.error, { code: 'BAD_QUALITY', reason: 'OPC UA status BadSensorFailure (0x808C0000)' });
    assert.equal(bad.topic, 'pump-1/vibration');
    assert.equal((bad.payload as { nodeId: string }).nodeId, 'ns=1;s=pump-1.vibration');
  });

  it('warns about items the server does not have and monitors the rest', async () => {
    const node = await load(flow(server.endpointUrl, { items: [{ item: 'ns=1;s=pump-1.vibration' }, { item: 'ns=1;s=nowhere.x' }, { item: '/Plant/pump-9/x' }] }));
    const warned = new Promise<string>((resolve) => events(node).on('call:warn', (call: { args: [string] }) => resolve(call.args[0])));
    const green = statusMatching(node, (s) => s.fill === 'green');
    const text = await warned;
    assert.match(text, /^2 items cannot be monitored: /);
    assert.match(text, /ns=1;s=nowhere\.x: BadNodeIdUnknown/);
    assert.match(text, /\/Plant\/pump-9\/x: Bad\w+/);
    assert.match(String((await green).text), /^1 items/);
  });

  it('shows a refused connection in red without crashing', async () => {
    const port = await freePort();
    const node = await load(flow(`opc.tcp://127.0.0.1:${port}`));
    const red = await statusMatching(node, (s) => s.fill === 'red');
    assert.equal(red.shape, 'ring');
    assert.match(String(red.text), /connection refused/);
  });

  it('names a server that accepts the connection but never answers after the connect timeout', async () => {
    const silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const node = await load(flow(`opc.tcp://127.0.0.1:${port}`, {}, { connectTimeout: 1 }));
      const connecting = await statusMatching(node, (s) => s.fill === 'yellow');
      assert.equal(connecting.text, 'connecting');
      const red = await statusMatching(node, (s) => s.fill === 'red');
      assert.match(String(red.text), /no answer from opc\.tcp:\/\/127\.0\.0\.1:\d+ within 1 s|did not answer|timed out/);
    } finally {
      silent.close();
    }
  });

  it('reports a configuration error', async () => {
    const node = await load(flow(server.endpointUrl, { items: [] }));
    const red = await statusMatching(node, (s) => s.fill === 'red');
    assert.equal(red.text, 'configuration error');
  });

  it('browses the address space for the editor', async () => {
    await load(flow(server.endpointUrl));
    const root = await helper.request().post('/opcua-endpoint/browse').send({ id: 'ep', endpointUrl: server.endpointUrl, connectTimeout: 2 }).expect(200);
    const plant = (root.body as { entries: { browseName: string; nodeId: string; nodeClass: string }[] }).entries.find((e) => e.browseName === 'Plant');
    assert.ok(plant, JSON.stringify(root.body));
    const pumps = await helper.request().post('/opcua-endpoint/browse').send({ endpointUrl: server.endpointUrl, nodeId: 'ns=1;s=pump-1' }).expect(200);
    const entries = (pumps.body as { entries: { browseName: string; nodeId: string; nodeClass: string }[] }).entries;
    assert.deepEqual(entries.filter((e) => e.nodeClass === 'Variable').map((e) => e.nodeId).sort(), ['ns=1;s=pump-1.temperature', 'ns=1;s=pump-1.vibration']);
  });

  it('answers a browse of an unreachable endpoint with the reason', async () => {
    const port = await freePort();
    const res = await helper.request().post('/opcua-endpoint/browse').send({ endpointUrl: `opc.tcp://127.0.0.1:${port}`, connectTimeout: 2 }).expect(502);
    assert.match((res.body as { error: string }).error, /connection refused/);
  });
});
