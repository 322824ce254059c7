/**
 * Every example flow and every shipped flow deploys through the Admin HTTP API into a running
 * Node-RED with no unknown node type, no missing config node and no logged error, and its
 * messages reach its debug nodes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { startTestBroker, type TestBroker } from '../support/mqtt-broker';
import { onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

function flowFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return flowFiles(full);
    return entry.name.endsWith('.json') ? [full] : [];
  });
}

const files = [...flowFiles(path.join(projectRoot, 'examples')), ...flowFiles(path.join(projectRoot, 'flows'))].sort();

/** Sample telemetry for flows that subscribe to MQTT, in the shapes the examples document. */
function publishSamples(client: mqtt.MqttClient): void {
  const now = Date.now();
  client.publish('sensors/pump-1/data', JSON.stringify({ asset_id: 'pump-1', sensor_id: 'temperature', value: 61.5, timestamp: now, unit: '°C' }));
  client.publish('devices/motor-2/telemetry', JSON.stringify({ device_id: 'motor-2', sensor_id: 'vibration', reading: 2.4, timestamp: new Date(now).toISOString() }));
}

describe('example and shipped flows', () => {
  let runtime: EmbeddedRuntime;
  let broker: TestBroker;
  const delivered = new Map<string, number>();

  before(async () => {
    broker = await startTestBroker();
    process.env.MQTT_HOST = broker.host;
    process.env.MQTT_PORT = String(broker.port);
    runtime = await startRuntime([{ id: 'empty', type: 'tab', label: 'empty' }], { captureLevel: 30 });
    runtime.RED.hooks.add('postDeliver.examples', (event: { destination: { id: string; node?: { type: string } } }) => {
      if (event.destination.node?.type === 'debug') {
        delivered.set(event.destination.id, (delivered.get(event.destination.id) ?? 0) + 1);
      }
    });
  });

  after(async () => {
    await runtime?.stop();
    await broker?.close();
  });

  it('finds flows to check', () => {
    assert.ok(files.length > 0, 'no example flows found');
  });

  for (const file of files) {
    it(`deploys and runs ${path.relative(projectRoot, file)}`, async () => {
      const flow = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
      assert.ok(Array.isArray(flow) && flow.length > 0, 'a flow file is a non-empty array of nodes');
      const serialised = JSON.stringify(flow);
      assert.doesNotMatch(serialised, /"(password|passwd|secret|token)"\s*:\s*"[^"$]/i, 'no credential in a flow file');
      runtime.logs.length = 0;
      delivered.clear();

      await runtime.deploy(onTab(flow));

      for (const node of flow) {
        if (node.type === 'tab' || node.type === 'comment' || node.type === 'group') continue;
        if (node.d === true) continue;
        assert.ok(runtime.findNode(node.id), `node ${node.id} (${node.type}) was not started: unknown type or missing config`);
      }

      const debugIds = flow.filter((n) => n.type === 'debug' && n.d !== true).map((n) => n.id);
      assert.ok(debugIds.length > 0, 'an example shows its result in at least one debug node');
      const usesMqtt = flow.some((n) => n.type === 'mqtt in');
      let client: mqtt.MqttClient | undefined;
      let publisher: NodeJS.Timeout | undefined;
      if (usesMqtt) {
        client = await mqtt.connectAsync(broker.url);
        publisher = setInterval(() => publishSamples(client as mqtt.MqttClient), 200);
      }
      try {
        await waitFor(() => debugIds.some((id) => (delivered.get(id) ?? 0) > 0), 15_000, 'a message at a debug node');
      } finally {
        if (publisher) clearInterval(publisher);
        await client?.endAsync();
      }
      const errors = runtime.logs.filter((entry) => entry.level <= 20);
      assert.deepEqual(errors.map((e) => `${e.type}:${e.id} ${String(e.msg)}`), [], 'no error logged');
    });
  }
});
