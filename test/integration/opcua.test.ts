/**
 * opcua-in in a running Node-RED against the plant's real OPC UA server: values, a server
 * restart mid-stream and a network drop (the times to resume are printed), bad status codes, and a secured
 * endpoint (SignAndEncrypt, Basic256Sha256, user name and password) with the certificate
 * trusted the way the help describes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NodeMessageInFlow } from 'node-red';
import type { Reading } from '../../nodes/lib/reading';
import { startPlantOpcuaServer, type PlantOpcuaServer, type PlantOpcuaServerOptions } from '../../nodes/lib/sim/opcua-server';
import { freePort, SERVER_PKI, TEST_ASSETS } from '../lib/protocols/opcua-fixture';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

interface Rejected extends NodeMessageInFlow {
  error: { code: string; reason: string };
}

interface StatusMsg extends NodeMessageInFlow {
  status: { fill?: string; shape?: string; text?: string };
}

const USER = { username: 'operator', password: 'correct horse' };

function opcuaFlow(endpoint: Record<string, unknown>): FlowNode[] {
  return onTab([
    { id: 'ep', type: 'opcua-endpoint', connectTimeout: 5, ...endpoint },
    {
      id: 'in', type: 'opcua-in', endpoint: 'ep', samplingInterval: 0, publishingInterval: 100, output: 'batch', x: 100, y: 100,
      items: [{ item: 'ns=1;s=pump-1.vibration' }, { item: 'ns=1;s=pump-1.temperature' }, { item: '/Plant/motor-1/current' }],
      wires: [['readings'], ['rejected']],
    },
    { id: 'readings', type: 'test-sink', x: 300, y: 100, wires: [] },
    { id: 'rejected', type: 'test-sink', x: 300, y: 150, wires: [] },
    { id: 'st', type: 'status', scope: ['in'], x: 100, y: 200, wires: [['status']] },
    { id: 'status', type: 'test-sink', x: 300, y: 200, wires: [] },
  ]);
}

/**
 * A TCP relay that can stop passing data without closing anything (a cable pulled, a
 * firewall dropping packets) and later come back as a fresh path.
 */
async function startRelay(targetPort: number): Promise<{ url: string; drop(): void; restore(): void; close(): void }> {
  const sockets = new Set<net.Socket>();
  let dropped = false;
  const relay = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    if (dropped) return;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => undefined);
    client.on('data', (d) => dropped || upstream.write(d));
    upstream.on('data', (d) => dropped || client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as net.AddressInfo;
  const cut = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    url: `opc.tcp://127.0.0.1:${port}`,
    drop: () => {
      dropped = true;
    },
    restore: () => {
      cut();
      dropped = false;
    },
    close: () => {
      cut();
      relay.close();
    },
  };
}

describe('opcua-in against the plant OPC UA server', () => {
  let runtime: EmbeddedRuntime;
  let server: PlantOpcuaServer | undefined;
  let feeder: NodeJS.Timeout | undefined;
  let serial = 0;
  const readings: Reading[] = [];
  const rejected: Rejected[] = [];
  const statuses: StatusMsg['status'][] = [];

  const feed = (target: PlantOpcuaServer, quality: Reading['quality'] = 'good'): void => {
    if (feeder) clearInterval(feeder);
    feeder = setInterval(() => {
      serial++;
      const ts = Date.UTC(2026, 0, 1) + serial;
      target.update([
        { asset: 'pump-1', sensor: 'vibration', value: serial, ts, quality },
        { asset: 'pump-1', sensor: 'temperature', value: 50 + (serial % 10), ts },
        { asset: 'motor-1', sensor: 'current', value: 10, ts },
      ]);
    }, 100);
  };

  const stopServer = async (): Promise<void> => {
    if (feeder) clearInterval(feeder);
    feeder = undefined;
    await server?.stop();
    server = undefined;
  };

  const start = async (options: PlantOpcuaServerOptions): Promise<PlantOpcuaServer> => {
    await stopServer();
    server = await startPlantOpcuaServer(TEST_ASSETS, options);
    return server;
  };

  before(async () => {
    runtime = await startRuntime([{ id: 'empty', type: 'tab', label: 'empty' }]);
    onSink('readings', (msg) => readings.push(...(msg.payload as Reading[])));
    onSink('rejected', (msg) => rejected.push(msg as Rejected));
    onSink('status', (msg) => statuses.push((msg as StatusMsg).status));
  });

  after(async () => {
    await stopServer();
    await runtime?.stop();
  });

  const reset = (): void => {
    readings.length = 0;
    rejected.length = 0;
    statuses.length = 0;
  };

  it('delivers readings with asset, sensor, unit and source timestamp, and survives a server restart', async () => {
    const port = await freePort();
    const options: PlantOpcuaServerOptions = { port, host: '127.0.0.1', pkiDir: SERVER_PKI, allowAnonymous: true, users: [], securityModes: ['None'] };
    const first = await start(options);
    reset();
    await runtime.deploy(opcuaFlow({ endpointUrl: first.endpointUrl }));
    feed(first);
    await waitFor(() => readings.length >= 30, 20_000, 'readings from the server');
    const vib = readings.find((r) => r.sensor === 'vibration') as Reading;
    assert.deepEqual([vib.asset, vib.unit, vib.quality, vib.ts], ['pump-1', 'mm/s', 'good', Date.UTC(2026, 0, 1) + vib.value]);
    const current = readings.find((r) => r.sensor === 'current') as Reading;
    assert.deepEqual([current.asset, current.unit, current.value], ['motor-1', 'A', 10]);
    assert.ok(statuses.some((s) => s.fill === 'green' && /^3 items/.test(String(s.text))), JSON.stringify(statuses));

    await stopServer();
    await waitFor(() => statuses.some((s) => s.fill === 'yellow' && /reconnecting/.test(String(s.text))), 20_000, 'a reconnecting status');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const second = await start(options);
    const back = Date.now();
    const lastBefore = serial;
    feed(second);
    await waitFor(() => readings.some((r) => r.sensor === 'vibration' && r.value > lastBefore), 60_000, 'readings after the restart');
    const resumeMs = Date.now() - back;
    console.log(`opcua-in resumed ${(resumeMs / 1000).toFixed(1)} s after the server was back (goal ≤ 10 s)`);
    assert.ok(resumeMs <= 30_000, `resumed after ${resumeMs} ms`);
    assert.equal(runtime.logs.filter((l) => l.level <= 20).length, 0, JSON.stringify(runtime.logs));
  });

  it('rejects values with a bad status code, naming it', async () => {
    assert.ok(server, 'the server of the previous test');
    reset();
    feed(server, 'bad');
    await waitFor(() => rejected.some((m) => m.topic === 'pump-1/vibration' && m.error.reason.includes('BadSensorFailure')), 20_000, 'a rejected value');
    const bad = rejected.find((m) => m.error.reason.includes('BadSensorFailure')) as Rejected;
    assert.equal(bad.error.code, 'BAD_QUALITY');
    await waitFor(() => readings.some((r) => r.sensor === 'temperature'), 10_000, 'good values of the other sensors');
    assert.ok(readings.every((r) => r.sensor !== 'vibration' || r.value <= serial));
    await stopServer();
  });

  it('connects with SignAndEncrypt, Basic256Sha256 and a user name once the server certificate is trusted', async () => {
    const secured = await start({ port: await freePort(), host: '127.0.0.1', pkiDir: SERVER_PKI, allowAnonymous: false, users: [USER], securityModes: ['SignAndEncrypt'] });
    reset();
    const flow = opcuaFlow({ endpointUrl: secured.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', authType: 'username' });
    flow.find((n) => n.id === 'ep')!.credentials = USER;
    await runtime.deploy(flow);
    feed(secured);

    // First contact: the client does not trust the server yet and files its certificate as rejected.
    await waitFor(() => statuses.some((s) => s.fill === 'red' && /not trusted/.test(String(s.text))), 30_000, 'an untrusted certificate status');
    const pki = path.join(runtime.userDir, 'opcua', 'pki');
    const rejectedDir = path.join(pki, 'rejected');
    const files = fs.readdirSync(rejectedDir).filter((f) => /\.(der|pem)$/.test(f));
    assert.equal(files.length, 1, `rejected/: ${files.join(', ')}`);
    fs.mkdirSync(path.join(pki, 'trusted', 'certs'), { recursive: true });
    fs.renameSync(path.join(rejectedDir, files[0]), path.join(pki, 'trusted', 'certs', files[0]));

    await waitFor(() => readings.length > 0, 60_000, 'readings over the secured channel');
    await waitFor(() => statuses.some((s) => s.fill === 'green'), 10_000, 'a green status');
  });

  it('shows a wrong password clearly', async () => {
    assert.ok(server, 'the secured server of the previous test');
    reset();
    const flow = opcuaFlow({ endpointUrl: server.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', authType: 'username' });
    flow.find((n) => n.id === 'ep')!.credentials = { username: USER.username, password: 'wrong' };
    await runtime.deploy(flow);
    // What the previous flow emitted until it stopped.
    readings.length = 0;
    await waitFor(() => statuses.some((s) => s.fill === 'red'), 30_000, 'a red status');
    const red = statuses.find((s) => s.fill === 'red');
    assert.match(String(red?.text), /rejected the user name or password/);
    assert.equal(readings.length, 0);
    await runtime.deploy([{ id: 'empty', type: 'tab', label: 'empty' }]);
  });

  it('comes back after the network drops without the connection closing', async () => {
    const plain = await start({ port: await freePort(), host: '127.0.0.1', pkiDir: SERVER_PKI, allowAnonymous: true, users: [], securityModes: ['None'] });
    const relay = await startRelay(Number(new URL(plain.endpointUrl.replace('opc.tcp', 'http')).port));
    try {
      reset();
      await runtime.deploy(opcuaFlow({ endpointUrl: relay.url }));
      feed(plain);
      await waitFor(() => readings.length > 0, 30_000, 'readings through the relay');
      relay.drop();
      await waitFor(() => statuses.some((s) => s.fill === 'yellow' && /reconnecting/.test(String(s.text))), 60_000, 'the keep-alive to notice the drop');
      relay.restore();
      const back = Date.now();
      const lastBefore = serial;
      await waitFor(() => readings.some((r) => r.sensor === 'vibration' && r.value > lastBefore), 60_000, 'readings after the network is back');
      const resumeMs = Date.now() - back;
      console.log(`opcua-in resumed ${(resumeMs / 1000).toFixed(1)} s after the network was back (goal ≤ 10 s)`);
      assert.ok(resumeMs <= 30_000, `resumed after ${resumeMs} ms`);
    } finally {
      await runtime.deploy([{ id: 'empty', type: 'tab', label: 'empty' }]);
      relay.close();
      await stopServer();
    }
  });
});
