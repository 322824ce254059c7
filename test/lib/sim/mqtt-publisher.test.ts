import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import type { Reading } from '../../../nodes/lib/reading';
import { mqttMessages, startMqttPublisher, type MqttPublisher } from '../../../nodes/lib/sim/mqtt-publisher';

const TS = Date.UTC(2026, 0, 1);
const READINGS: Reading[] = [
  { asset: 'pump-1', sensor: 'vibration_rms', value: 1.8, ts: TS, unit: 'mm/s' },
  { asset: 'pump-1', sensor: 'current', value: 42, ts: TS, unit: 'A' },
  { asset: 'motor+1', sensor: 'speed', value: 1480, ts: TS, unit: 'rpm' },
];

interface Received {
  topic: string;
  body: Record<string, unknown>;
}

async function subscriber(url: string, filter: string): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200 });
  const received: Received[] = [];
  client.on('message', (topic, payload) => received.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('mqttMessages', () => {
  it('makes one canonical reading per topic <prefix>/<asset>/<sensor>, wildcards replaced', () => {
    const messages = mqttMessages(READINGS, '/plant/', 'reading');
    assert.deepEqual(messages.map((m) => m.topic), ['plant/pump-1/vibration_rms', 'plant/pump-1/current', 'plant/motor_1/speed']);
    assert.deepEqual(JSON.parse(messages[0].payload), { asset: 'pump-1', sensor: 'vibration_rms', value: 1.8, ts: TS, unit: 'mm/s' });
  });

  it('makes one telemetry object per asset and time', () => {
    const messages = mqttMessages(READINGS, 'devices', 'telemetry');
    assert.deepEqual(messages.map((m) => m.topic), ['devices/pump-1/telemetry', 'devices/motor_1/telemetry']);
    assert.deepEqual(JSON.parse(messages[0].payload), { device_id: 'pump-1', timestamp: TS, vibration_rms: 1.8, current: 42 });
    assert.deepEqual(mqttMessages(READINGS, '', 'telemetry')[1].topic, 'motor_1/telemetry');
  });
});

describe('MQTT publisher', () => {
  const open: MqttPublisher[] = [];
  const clients: MqttClient[] = [];
  after(async () => {
    for (const c of clients) await c.endAsync(true);
    for (const p of open) await p.stop();
  });

  it('starts an embedded broker when no URL is given and publishes readings to it', async () => {
    const port = await freePort();
    const publisher = await startMqttPublisher({ embeddedPort: port, prefix: 'unit-test', format: 'reading', qos: 1 });
    open.push(publisher);
    assert.equal(publisher.url, `mqtt://127.0.0.1:${port}`);
    assert.equal(publisher.embedded, true);
    const sub = await subscriber(publisher.url, 'unit-test/#');
    clients.push(sub.client);
    await until(() => publisher.stats().connected, 'the publisher to connect');
    publisher.publish(READINGS);
    await until(() => sub.received.length === 3, 'three readings');
    assert.deepEqual(sub.received.map((r) => r.body.sensor).sort(), ['current', 'speed', 'vibration_rms']);
    await until(() => publisher.stats().published === 3, 'three acknowledged publications');
  });

  it('refuses to start when the embedded broker port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    await assert.rejects(startMqttPublisher({ embeddedPort: port, prefix: 'x', format: 'reading', qos: 0 }), /EADDRINUSE/);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  it('drops and counts readings while the broker is down, then reconnects and publishes again', async () => {
    const port = await freePort();
    // The "configured" broker is an embedded one of a second publisher, so it can be stopped and started.
    let brokerHost = await startMqttPublisher({ embeddedPort: port, prefix: 'b', format: 'reading', qos: 0 });
    const states: string[] = [];
    const publisher = await startMqttPublisher({ url: brokerHost.url, prefix: 'restart', format: 'telemetry', qos: 1, onState: (s) => states.push(s) });
    open.push(publisher);
    assert.equal(publisher.embedded, false);
    await until(() => publisher.stats().connected, 'first connection');
    await brokerHost.stop();
    await until(() => !publisher.stats().connected, 'the publisher to notice');
    publisher.publish(READINGS);
    assert.equal(publisher.stats().dropped, 2, 'two telemetry messages dropped');
    brokerHost = await startMqttPublisher({ embeddedPort: port, prefix: 'b', format: 'reading', qos: 0 });
    open.push(brokerHost);
    const sub = await subscriber(brokerHost.url, 'restart/+/telemetry');
    clients.push(sub.client);
    await until(() => publisher.stats().connected, 'the reconnection');
    publisher.publish(READINGS);
    await until(() => sub.received.length === 2, 'telemetry after the restart');
    assert.ok(states.includes('offline') && states.includes('reconnecting'));
    assert.equal(states.filter((s) => s === 'connected').length, 2);
  });
});
