/**
 * plant-sim publishes over MQTT, Node-RED's own `mqtt in` subscribes, data-quality normalises:
 * to a real broker (the one MQTT_URL names, aedes otherwise) in the reading format, and to
 * plant-sim's embedded broker in the telemetry format, which is restarted mid-stream.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { NodeMessageInFlow } from 'node-red';
import type { Reading } from '../../nodes/lib/reading';
import { sensorsOf } from '../../nodes/lib/sim/machines';
import { startTestBroker, type TestBroker } from '../support/mqtt-broker';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import { deployChanged, freePort } from './plant-sim-support';

const TICK_MS = 200;
const PREFIX = `pdm-plantsim-${process.pid}-${Date.now().toString(36)}`;

function brokerConfig(id: string, host: string, port: number): FlowNode {
  return {
    id, type: 'mqtt-broker', name: `${id} broker`, broker: host, port: String(port), clientid: '', autoConnect: true, usetls: false,
    protocolVersion: '4', keepalive: '60', cleansession: true, autoUnsubscribe: true,
  };
}

function subscription(id: string, topic: string, broker: string, next: string): FlowNode {
  return { id, type: 'mqtt in', topic, qos: '1', datatype: 'json', broker, nl: false, rap: true, rh: 0, inputs: 0, x: 100, y: 100, wires: [[next]] };
}

function quality(id: string, accepted: string, rejected: string): FlowNode {
  return {
    id, type: 'data-quality', rules: [], futureTolerance: 5, maxAge: 3600, duplicates: 'ts', scoreWindow: 100,
    maxBatch: 100000, maxKeys: 100000, keyLimit: 'evict', flatlineAction: 'uncertain', x: 300, y: 100, wires: [[accepted], [rejected]],
  };
}

function plantSim(id: string, asset: string, mqtt: Record<string, unknown>, disabled = false): FlowNode {
  return {
    id, type: 'plant-sim', d: disabled, assetMode: 'json', assetsJson: JSON.stringify([{ id: asset, kind: 'pump' }]),
    tickMs: TICK_MS, acceleration: 1, seed: 2, scheduleMode: 'list', scenarios: [], mqttEnabled: true, ...mqtt,
    x: 100, y: 50, wires: [[`${id}-out`], [], []],
  };
}

function flow(broker: TestBroker, embeddedPort: number, embeddedDisabled = false): FlowNode[] {
  return onTab([
    plantSim('sim-ext', 'pump-ext', { mqttUrl: broker.url, mqttPrefix: `${PREFIX}/r`, mqttFormat: 'reading', mqttQos: '1' }),
    plantSim('sim-emb', 'pump-emb', { mqttUrl: '', mqttPort: String(embeddedPort), mqttPrefix: `${PREFIX}/t`, mqttFormat: 'telemetry', mqttQos: '0' }, embeddedDisabled),
    brokerConfig('ext', broker.host, broker.port),
    brokerConfig('emb', '127.0.0.1', embeddedPort),
    subscription('in-ext', `${PREFIX}/r/+/+`, 'ext', 'dq-ext'),
    subscription('in-emb', `${PREFIX}/t/+/telemetry`, 'emb', 'dq-emb'),
    quality('dq-ext', 'accepted-ext', 'rejected'),
    quality('dq-emb', 'accepted-emb', 'rejected'),
    { id: 'sim-ext-out', type: 'test-sink', x: 300, y: 50, wires: [] },
    { id: 'sim-emb-out', type: 'test-sink', x: 300, y: 50, wires: [] },
    { id: 'accepted-ext', type: 'test-sink', x: 500, y: 100, wires: [] },
    { id: 'accepted-emb', type: 'test-sink', x: 500, y: 140, wires: [] },
    { id: 'rejected', type: 'test-sink', x: 500, y: 180, wires: [] },
  ]);
}

interface Arrival {
  at: number;
  readings: Reading[];
}

describe('plant-sim → MQTT → mqtt in → data-quality', () => {
  let runtime: EmbeddedRuntime;
  let broker: TestBroker;
  let embeddedPort: number;
  const published = new Map<string, Reading[]>();
  const ext: Arrival[] = [];
  const emb: Arrival[] = [];
  const rejected: unknown[] = [];

  before(async () => {
    broker = await startTestBroker();
    embeddedPort = await freePort();
    const plantOut = (msg: NodeMessageInFlow): void => {
      for (const r of msg.payload as Reading[]) published.set(`${r.asset}/${r.sensor}/${r.ts}`, [r]);
    };
    onSink('sim-ext-out', plantOut);
    onSink('sim-emb-out', plantOut);
    const arrivals = (list: Arrival[]) => (msg: NodeMessageInFlow): void => {
      const payload = msg.payload as Reading | Reading[];
      list.push({ at: performance.now(), readings: Array.isArray(payload) ? payload : [payload] });
    };
    onSink('accepted-ext', arrivals(ext));
    onSink('accepted-emb', arrivals(emb));
    onSink('rejected', (msg) => rejected.push(msg.payload));
    runtime = await startRuntime(flow(broker, embeddedPort), { captureLevel: 30, settings: { mqttReconnectTime: 500 } });
  });

  after(async () => {
    await runtime?.stop();
    await broker?.close();
  });

  it(`delivers readings through ${process.env.MQTT_URL ? 'the configured broker' : 'an aedes broker'} with asset, sensor, unit and the simulated timestamp`, async () => {
    await waitFor(() => ext.flatMap((a) => a.readings).length >= 3 * sensorsOf('pump').length, 15_000, 'readings through the broker');
    const readings = ext.flatMap((a) => a.readings);
    assert.deepEqual(new Set(readings.map((r) => r.sensor)), new Set(sensorsOf('pump')));
    for (const r of readings) {
      const [sent] = published.get(`${r.asset}/${r.sensor}/${r.ts}`) ?? [];
      assert.ok(sent, `${r.asset}/${r.sensor} at ${r.ts} was published by the plant`);
      assert.deepEqual({ asset: r.asset, sensor: r.sensor, value: r.value, ts: r.ts, unit: r.unit }, sent);
    }
    assert.deepEqual(rejected, []);
  });

  it('delivers telemetry objects through the embedded broker, one reading per sensor', async () => {
    await waitFor(() => emb.length >= 2, 15_000, 'telemetry through the embedded broker');
    const readings = emb.flatMap((a) => a.readings);
    assert.ok(readings.every((r) => r.asset === 'pump-emb'));
    assert.deepEqual(new Set(readings.map((r) => r.sensor)), new Set(sensorsOf('pump')));
    for (const r of readings) {
      const [sent] = published.get(`${r.asset}/${r.sensor}/${r.ts}`) ?? [];
      assert.equal(sent?.value, r.value, `${r.sensor} at ${r.ts}`);
    }
  });

  it('survives a restart of the embedded broker mid-stream and measures the time to resume', async () => {
    await deployChanged(runtime, flow(broker, embeddedPort, true));
    const stoppedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(emb.filter((a) => a.at > stoppedAt + 500).length, 0, 'nothing while the broker is down');
    await deployChanged(runtime, flow(broker, embeddedPort, false));
    const upAt = performance.now();
    await waitFor(() => emb.some((a) => a.at > upAt), 15_000, 'telemetry after the restart');
    const resumed = (emb.find((a) => a.at > upAt)?.at ?? NaN) - upAt;
    console.log(`Embedded MQTT broker restart: telemetry resumed ${resumed.toFixed(0)} ms after the broker was back (mqtt in reconnects every 500 ms, ticks every ${TICK_MS} ms)`);
    await waitFor(() => ext.some((a) => a.at > upAt), 5000, 'readings of the other plant, which was not restarted');
    const errors = runtime.logs.filter((e) => e.level <= 20 && (e.type === 'plant-sim' || e.type === 'data-quality'));
    assert.deepEqual(errors, []);
  });
});
