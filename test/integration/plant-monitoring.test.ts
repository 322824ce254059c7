/**
 * flows/plant-monitoring.json as shipped: the simulated plant serves OPC UA, Modbus TCP and MQTT,
 * and each sensor reaches data-quality by its own protocol, stamped with the plant's (simulated)
 * sample time rather than the time it arrived.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Reading } from '../../nodes/lib/reading';
import { startTestBroker, type TestBroker } from '../support/mqtt-broker';
import { startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import { freePort } from './plant-sim-support';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const SOURCES: Record<string, string> = {
  'pm-opcua-in': 'opcua',
  'pm-modbus-map': 'modbus',
  'pm-mqtt-pressure': 'mqtt',
  'pm-mqtt-flow': 'mqtt',
};

interface DeliverEvent {
  source: { id: string };
  destination: { id: string };
  msg: { payload?: unknown };
}

describe('flows/plant-monitoring.json: the plant read over OPC UA, Modbus TCP and MQTT', () => {
  let runtime: EmbeddedRuntime;
  let broker: TestBroker;
  const arrived = new Map<string, Reading[]>();
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    broker = await startTestBroker();
    const env: Record<string, string> = {
      MQTT_HOST: broker.host,
      MQTT_PORT: String(broker.port),
      MQTT_BROKER_URL: broker.url,
      PLANT_OPCUA_PORT: String(await freePort()),
      PLANT_MODBUS_PORT: String(await freePort()),
    };
    env.OPCUA_ENDPOINT = `opc.tcp://127.0.0.1:${env.PLANT_OPCUA_PORT}`;
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    const flow = JSON.parse(fs.readFileSync(path.join(projectRoot, 'flows', 'plant-monitoring.json'), 'utf8')) as FlowNode[];
    runtime = await startRuntime([{ id: 'empty', type: 'tab', label: 'empty' }], { captureLevel: 30 });
    runtime.RED.hooks.add('preDeliver.plant', (event: DeliverEvent) => {
      const source = SOURCES[event.source.id];
      if (source === undefined || event.destination.id !== 'pm-dq') return;
      const payload = event.msg.payload;
      const readings = (Array.isArray(payload) ? payload : [payload]) as Reading[];
      arrived.set(source, [...(arrived.get(source) ?? []), ...readings]);
    });
    await runtime.deploy(flow);
  });

  after(async () => {
    await runtime?.stop();
    await broker?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('delivers each sensor by its own protocol, stamped with the plant\'s sample time', async () => {
    const startedAt = Date.now();
    await waitFor(() => ['opcua', 'modbus', 'mqtt'].every((s) => (arrived.get(s)?.length ?? 0) >= 12), 90_000, 'readings from all three inputs');
    const sensorsOf = (source: string): string[] => [...new Set((arrived.get(source) ?? []).map((r) => r.sensor))].sort();
    assert.deepEqual(sensorsOf('opcua'), ['bearing_temperature', 'vibration_peak', 'vibration_rms', 'winding_temperature']);
    assert.deepEqual(sensorsOf('modbus'), ['current', 'running_hours', 'speed']);
    assert.deepEqual(sensorsOf('mqtt'), ['flow', 'pressure']);
    const assets = new Set([...arrived.values()].flat().map((r) => r.asset));
    assert.deepEqual([...assets].sort(), ['C-301', 'CV-401', 'M-201', 'P-101', 'P-102', 'P-103']);
    // The plant runs a simulated day per real minute: a reading stamped on arrival would be near the wall
    // clock, one stamped with the sample time runs ahead of it once a few ticks have passed.
    await waitFor(() => ['opcua', 'modbus', 'mqtt'].every((s) => (arrived.get(s) ?? []).some((r) => r.ts > Date.now() + 30 * 60_000)),
      60_000, 'readings of every protocol in simulated time');
    for (const [source, readings] of arrived) {
      for (const r of readings) {
        assert.ok(Number.isFinite(r.value), `${source} ${r.asset}/${r.sensor}: ${r.value}`);
        assert.ok(r.ts >= startedAt - 60_000, `${source} ${r.asset}/${r.sensor} stamped ${new Date(r.ts).toISOString()}, before the plant started`);
      }
    }
    const errors = runtime.logs.filter((entry) => entry.level <= 20);
    assert.deepEqual(errors.map((e) => `${e.type}:${e.id} ${String(e.msg)}`), [], 'no error logged');
  });
});
