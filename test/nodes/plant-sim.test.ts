import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import ModbusRTU from 'modbus-serial';
import mqtt from 'mqtt';
import { AttributeIds, OPCUAClient } from 'node-opcua';
import { events, recorder, withCatalog } from '../support/node-helper';
import plantSimNode from '../../nodes/plant-sim';
import spectrumNode from '../../nodes/spectrum';
import { decodeRegisters, parseRegisterMap } from '../../nodes/lib/protocols/modbus-map';
import type { Reading } from '../../nodes/lib/reading';
import { sensorsOf } from '../../nodes/lib/sim/machines';
import { registerMaps } from '../../nodes/lib/sim/modbus-server';
import type { TruthEvent } from '../../nodes/lib/sim/plant';
import type { PlantWaveform } from '../../nodes/lib/sim/plant-waveforms';

helper.init(require.resolve('node-red'));

interface DataMessage extends NodeMessage {
  payload: Reading[];
  sim: { ts: number };
}

interface TruthMessage extends NodeMessage {
  payload: TruthEvent;
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

interface WaveformMessage extends NodeMessage, Omit<PlantWaveform, 'samples'> {
  payload: Float64Array;
}

const HOUR = 3_600_000;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    {
      id: 's', z: 'f', type: 'plant-sim', assetMode: 'count', assetCount: 2, assetKind: 'pump', tickMs: 20,
      // 20 ms real → 1 simulated hour per tick.
      acceleration: 180_000, seed: 3, scheduleMode: 'list',
      scenarios: [{ asset: 'pump-2', fault: 'bearing-wear', onsetHours: '2', failureHours: '3', sensor: '' }],
      ...config, wires: [['data'], ['truth'], ['waves', 'analyser']],
    },
    { id: 'data', z: 'f', type: 'helper' },
    { id: 'truth', z: 'f', type: 'helper' },
    { id: 'waves', z: 'f', type: 'helper' },
    { id: 'analyser', z: 'f', type: 'spectrum', unit: 'g', wires: [['features'], [], []] },
    { id: 'features', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load([withCatalog(plantSimNode), withCatalog(spectrumNode)], flow(config));
  return helper.getNode('s');
}

describe('plant-sim node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('emits a batch of readings per tick stamped with simulated time', async () => {
    const started = Date.now();
    await load();
    const data = recorder<DataMessage>('data');
    const [first, second] = await data.next(2);
    assert.equal(first.payload.length, 16, '2 pumps × 8 sensors');
    assert.deepEqual(new Set(first.payload.map((r) => r.asset)), new Set(['pump-1', 'pump-2']));
    assert.ok(first.payload.every((r) => r.ts === first.sim.ts && typeof r.value === 'number' && typeof r.unit === 'string'));
    assert.ok(second.sim.ts - first.sim.ts > 0.5 * HOUR, 'simulated time runs at the acceleration');
    assert.ok(first.sim.ts >= started);
  });

  it('publishes the ground truth of the scheduled fault on output 2 at its simulated times', async () => {
    await load();
    const truth = recorder<TruthMessage>('truth');
    const [onset, failure] = await truth.next(2, 3000);
    const t0 = onset.payload.ts - 2 * HOUR;
    assert.deepEqual(onset.payload, { asset: 'pump-2', fault: 'bearing-wear', kind: 'onset', ts: t0 + 2 * HOUR });
    assert.deepEqual(failure.payload, { asset: 'pump-2', fault: 'bearing-wear', kind: 'failure', ts: t0 + 5 * HOUR });
    assert.equal(onset.topic, 'pump-2/bearing-wear');
  });

  it('restarts the simulation on msg.reset', async () => {
    const node = await load({ acceleration: 3_600_000 });
    const data = recorder<DataMessage>('data');
    const [before] = await data.next(3).then((msgs) => msgs.slice(-1));
    assert.ok(before.sim.ts - Date.now() > HOUR);
    node.receive({ reset: true });
    const [afterReset] = await data.next(1);
    assert.ok(afterReset.sim.ts < before.sim.ts, 'simulated time starts over');
  });

  it('shows the simulated time and the next failure in its status', async () => {
    const node = await load();
    const status = await new Promise<{ fill?: string; text?: string }>((resolve) => {
      events(node).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => {
        if (call.args[0].fill === 'green') resolve(call.args[0]);
      });
    });
    assert.match(status.text ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d · next pump-2 bearing-wear in \d+\.\d h · \d+/);
  });

  it('rejects a bad configuration: no output, an error, and done(err) for each msg', async () => {
    const node = await load({ scenarios: [{ asset: 'pump-9', fault: 'bearing-wear', onsetHours: 1, failureHours: 2 }] });
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    const data = recorder<DataMessage>('data');
    node.receive({ payload: 1 });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /no asset pump-9/);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(data.messages.length, 0);
  });

  it('emits raw acceleration waveforms the spectrum node analyses, with the bearing defect growing as ground truth', async () => {
    await load({ waveformEnabled: true, waveformSampleRate: 12800, waveformSamples: 4096, bearingDefect: 'inner-race', tickMs: 50 });
    const waves = recorder<WaveformMessage>('waves');
    const features = recorder<NodeMessage & { payload: { asset: string; sensor: string } }>('features');
    const caught = recorder('caught');
    // pump-2's bearing wears from simulated hour 2 to 5: 2.5 simulated hours per 50 ms tick.
    const msgs = await waves.next(6, 3000);
    const first = msgs[0];
    assert.ok(first.payload instanceof Float64Array && first.payload.length === 4096);
    assert.equal(first.sampleRate, 12800);
    assert.equal(first.unit, 'g');
    assert.equal(first.sensor, 'acceleration');
    assert.equal(first.topic, `${first.asset}/acceleration`);
    assert.ok(first.rpm > 2800 && first.rpm < 3100, `pump speed ${first.rpm}`);
    assert.deepEqual(new Set(msgs.slice(0, 2).map((m) => m.asset)), new Set(['pump-1', 'pump-2']));
    const isWorn = (m: WaveformMessage): boolean => m.asset === 'pump-2' && m.truth.fault === 'inner-race';
    while (!waves.messages.some(isWorn) && waves.messages.length < 20) await waves.next(1, 3000);
    const worn = waves.messages.find(isWorn);
    assert.ok(worn && worn.truth.damage > 0 && (worn.truth.faultHz ?? 0) > 100, 'inner-race defect with its frequency');
    assert.ok(waves.messages.filter((m) => m.asset === 'pump-1').every((m) => m.truth.fault === 'normal'));
    const [analysed] = await features.next(1, 3000);
    assert.equal(analysed.payload.sensor, 'acceleration');
    assert.equal(caught.messages.length, 0, 'spectrum accepted every waveform');
  });

  it('serves its readings on a Modbus TCP server and closes it with the flow', async () => {
    const port = await freePort();
    await load({ modbusEnabled: true, modbusPort: String(port), modbusHost: '127.0.0.1' });
    await recorder<DataMessage>('data').next(2);
    const client = new ModbusRTU();
    client.setTimeout(1000);
    await client.connectTCP('127.0.0.1', { port });
    // pump-1: pump-2 runs to failure within a few ticks and stops.
    client.setID(1);
    const { data } = await client.readHoldingRegisters(0, 14);
    client.close(() => undefined);
    const decoded = decodeRegisters(data, parseRegisterMap(registerMaps(sensorsOf('pump')).holding), { asset: 'pump-1', ts: 0 });
    const speed = decoded.readings.find((r) => r.sensor === 'speed');
    assert.ok(speed && speed.value > 2800, `speed ${speed?.value}`);
    await helper.unload();
    assert.equal(await connectRefused(port), true, 'the server stops when the flow stops');
  });

  it('publishes its readings to an embedded MQTT broker and stops the broker with the flow', async () => {
    const port = await freePort();
    await load({ mqttEnabled: true, mqttUrl: '', mqttPort: String(port), mqttPrefix: 'node-test', mqttFormat: 'reading', mqttQos: '1' });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const received: Reading[] = [];
    client.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as Reading));
    await client.subscribeAsync('node-test/pump-1/+');
    const deadline = Date.now() + 3000;
    while (received.length < 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await client.endAsync(true);
    assert.ok(received.length >= 8, `${received.length} readings of pump-1`);
    assert.ok(received.every((r) => r.asset === 'pump-1' && typeof r.value === 'number' && typeof r.unit === 'string'));
    await helper.unload();
    assert.equal(await connectRefused(port), true, 'the embedded broker stops when the flow stops');
  });

  it('keeps simulating and reports the reason when its Modbus port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const node = await load({ modbusEnabled: true, modbusPort: String(port) });
      const errors: string[] = [];
      events(node).on('call:error', (call: { args: [string] }) => errors.push(call.args[0]));
      const statuses: Array<{ fill?: string; text?: string }> = [];
      events(node).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => statuses.push(call.args[0]));
      await recorder<DataMessage>('data').next(3);
      assert.match(errors.join('\n'), new RegExp(`Modbus TCP server on 127.0.0.1:${port} not started: .*EADDRINUSE`));
      assert.ok(statuses.some((s) => s.fill === 'red' && /EADDRINUSE/.test(s.text ?? '')));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('rejects an MQTT broker that is not a URL', async () => {
    const node = await load({ mqttEnabled: true, mqttUrl: 'not a url' });
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    node.receive({ payload: 1 });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /MQTT broker must be a URL/);
  });

  it('serves its plant as an OPC UA server with the simulated time as source timestamp, and stops it with the flow', async () => {
    // Kept across runs: the server's RSA certificate takes seconds to create.
    helper.settings({ userDir: path.join(os.tmpdir(), 'pdm-plant-sim-node-test') });
    const port = await freePort();
    const node = await load({ opcuaEnabled: true, opcuaPort: String(port), opcuaHost: '127.0.0.1', opcuaSecurityModes: 'None', opcuaAnonymous: true });
    const logged: string[] = [];
    events(node).on('call:log', (call: { args: [string] }) => logged.push(call.args[0]));
    const data = recorder<DataMessage>('data');
    const deadline = Date.now() + 20_000;
    while (!logged.some((l) => l.includes('OPC UA')) && Date.now() < deadline) await data.next(1, 20_000);
    assert.match(logged.join('\n'), new RegExp(`serving OPC UA opc\\.tcp://127\\.0\\.0\\.1:${port}`));
    const [tick] = await data.next(1);
    const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    await client.connect(`opc.tcp://127.0.0.1:${port}`);
    try {
      const session = await client.createSession();
      const value = await session.read({ nodeId: 'ns=1;s=pump-2.speed', attributeId: AttributeIds.Value });
      await session.close();
      assert.ok(value.statusCode.isGood(), value.statusCode.toString());
      assert.ok((value.value.value as number) > 2800);
      assert.ok((value.sourceTimestamp?.getTime() ?? 0) >= tick.sim.ts, 'source timestamp is the simulated time');
    } finally {
      await client.disconnect();
    }
    await helper.unload();
    assert.equal(await connectRefused(port), true, 'the server stops when the flow stops');
  });

  it('reports an OPC UA server that refuses anonymous access but has no user', async () => {
    helper.settings({ userDir: path.join(os.tmpdir(), 'pdm-plant-sim-node-test') });
    const node = await load({ opcuaEnabled: true, opcuaPort: String(await freePort()), opcuaSecurityModes: 'None,SignAndEncrypt', opcuaAnonymous: false });
    const errors: string[] = [];
    events(node).on('call:error', (call: { args: [string] }) => errors.push(call.args[0]));
    const deadline = Date.now() + 20_000;
    while (errors.length === 0 && Date.now() < deadline) await recorder<DataMessage>('data').next(1);
    assert.match(errors.join('\n'), /OPC UA server on 127\.0\.0\.1:\d+ not started: anonymous access is off and no user is configured/);
  });
});
