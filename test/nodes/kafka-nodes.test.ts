/**
 * kafka-out and kafka-in in node-red-node-test-helper against a broker: the real one named by
 * KAFKA_BROKERS, else the test broker. Readings keep their order per asset, offsets are committed
 * only after the downstream node calls done(), and bad addresses show in the status.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeInitializer, NodeMessage } from 'node-red';
import { Kafka, logLevel } from 'kafkajs';
import { recorder } from '../support/node-helper';
import { startTestKafka, type TestKafka } from '../support/kafka/broker';
import { kafkaNodes as nodes, statuses, unique, type FlowItem, type StatusLike } from '../support/kafka/nodes';
import { waitFor } from '../support/runtime';

helper.init(require.resolve('node-red'));

/** A node that keeps each message's done() until the test releases it. */
const held: Array<() => void> = [];
const holdNode: NodeInitializer = (RED) => {
  RED.nodes.registerType('hold-done', function HoldDone(this: Node, config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      send(msg);
      held.push(() => done());
    });
  });
};

describe('kafka nodes', () => {
  let broker: TestKafka | undefined;
  let address: string;
  let kafka: Kafka;

  before(async () => {
    await new Promise<void>((resolve) => helper.startServer(resolve));
    if (process.env.KAFKA_BROKERS) address = process.env.KAFKA_BROKERS;
    else {
      broker = await startTestKafka({ partitions: 4 });
      address = broker.address;
    }
    kafka = new Kafka({ clientId: 'kafka-node-test', brokers: address.split(','), logLevel: logLevel.NOTHING });
  });
  afterEach(async () => {
    held.splice(0).forEach((release) => release());
    await helper.unload();
  });
  after(async () => {
    await broker?.close();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('kafka-out keys each reading by asset: one asset stays in one partition, in order', async () => {
    const topic = unique('pdm.out');
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: address },
      { id: 'out', z: 'f', type: 'kafka-out', broker: 'b', topic, lingerMs: 5, wires: [] },
      { id: 'c', z: 'f', type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'f', type: 'helper' },
    ];
    await helper.load(nodes, flow);
    const completed = recorder('completed');
    const out = helper.getNode('out');
    const assets = ['pump-1', 'pump-2', 'fan-3', 'motor-4', 'valve-5'];
    for (let seq = 0; seq < 40; seq++) {
      out.receive({ payload: assets.map((asset) => ({ asset, sensor: 'temperature', value: seq, ts: 1_700_000_000_000 + seq * 1000 })) } as NodeMessage);
    }
    await completed.next(40, 10_000);

    const consumer = kafka.consumer({ groupId: unique('check'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const byAsset = new Map<string, { partitions: Set<number>; values: number[] }>();
    let total = 0;
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        // One record per asset and send: a JSON array of that asset's readings, stamped with the first one's time.
        const readings = JSON.parse(String(message.value)) as Array<{ asset: string; value: number; ts: number }>;
        assert.ok(Array.isArray(readings) && readings.length > 0);
        assert.equal(Number(message.timestamp), readings[0].ts);
        for (const reading of readings) {
          assert.equal(String(message.key), reading.asset);
          const entry = byAsset.get(reading.asset) ?? { partitions: new Set(), values: [] };
          entry.partitions.add(partition);
          entry.values.push(reading.value);
          byAsset.set(reading.asset, entry);
          total++;
        }
      },
    });
    try {
      await waitFor(() => total === 200, 10_000, '200 readings');
    } finally {
      await consumer.disconnect();
    }
    for (const [asset, entry] of byAsset) {
      assert.equal(entry.partitions.size, 1, `${asset} in one partition`);
      assert.deepEqual(entry.values, Array.from({ length: 40 }, (_, i) => i), `${asset} in order`);
    }
    assert.ok(new Set([...byAsset.values()].map((e) => [...e.partitions][0])).size > 1, 'assets spread over partitions');
    assert.deepEqual(broker?.unsupported ?? [], []);
  });

  it('kafka-out rejects items without an asset through done(err) and still sends the rest', async () => {
    const topic = unique('pdm.bad');
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: address },
      { id: 'out', z: 'f', type: 'kafka-out', broker: 'b', topic, lingerMs: 1, wires: [] },
      { id: 'c', z: 'f', type: 'catch', scope: ['out'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f', type: 'helper' },
    ];
    await helper.load(nodes, flow);
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    const out = helper.getNode('out');
    out.receive({ payload: 'not a reading' } as NodeMessage);
    out.receive({ payload: [{ asset: 'a-1', sensor: 's', value: 1, ts: 1 }, { sensor: 's', value: 2 }] } as NodeMessage);
    const [first, second] = await caught.next(2, 10_000);
    assert.match(first.error.message, /expected an object, got string/);
    assert.match(second.error.message, /1 item\(s\) not sent: "asset" must be a non-empty string/);
    if (broker) await waitFor(() => broker?.log.topics.get(topic)?.some((p) => p.next === 1) === true, 5000, 'the valid reading stored');
  });

  it('kafka-in commits an offset only after the downstream node has called done()', async () => {
    const topic = unique('pdm.in');
    const groupId = unique('group');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'pump-1', value: JSON.stringify({ asset: 'pump-1', sensor: 'flow', value: i, ts: i }) })) });
    await producer.disconnect();

    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: address },
      { id: 'in', z: 'f', type: 'kafka-in', broker: 'b', topics: topic, groupId, commitInterval: 100, sessionTimeout: 6, wires: [['hold'], [], []] },
      { id: 'hold', z: 'f', type: 'hold-done', wires: [['got']] },
      { id: 'got', z: 'f', type: 'helper' },
    ];
    await helper.load([...nodes, holdNode], flow);
    const got = recorder<NodeMessage & { payload: { value: number }; kafka: { partition: number; offset: string } }>('got');
    const messages = await got.next(10, 15_000);
    assert.deepEqual(messages.map((m) => m.payload.value), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(messages[0].topic, 'pump-1/flow');
    const partition = messages[0].kafka.partition;
    const admin = kafka.admin();
    await admin.connect();
    const committed = async (): Promise<string> => {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return entry.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(await committed(), '-1', 'nothing done, nothing committed');
      // done() for offsets 0–3 and 5: only the contiguous run 0–3 may be committed.
      for (const i of [0, 1, 2, 3, 5]) held[i]();
      let offset = '-1';
      const deadline = Date.now() + 5000;
      while (offset !== '4' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        offset = await committed();
      }
      assert.equal(offset, '4');
      held[4]();
      for (let i = 6; i < 10; i++) held[i]();
      while (offset !== '10' && Date.now() < deadline + 5000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        offset = await committed();
      }
      assert.equal(offset, '10');
    } finally {
      await admin.disconnect();
    }
  });

  it('kafka-in pauses fetching while too many records are unfinished and resumes when they are done', async () => {
    const topic = unique('pdm.pause');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number): Promise<unknown> => producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'fan-1', value: JSON.stringify({ asset: 'fan-1', sensor: 'rpm', value: from + i, ts: from + i }) })) });
    await send(0);
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: address },
      { id: 'in', z: 'f', type: 'kafka-in', broker: 'b', topics: topic, groupId: unique('pause'), output: 'message', maxInFlight: 5, commitInterval: 100, sessionTimeout: 6, wires: [['hold'], [], []] },
      { id: 'hold', z: 'f', type: 'hold-done', wires: [['got']] },
      { id: 'got', z: 'f', type: 'helper' },
    ];
    await helper.load([...nodes, holdNode], flow);
    const inStatus = statuses(helper.getNode('in'));
    const got = recorder<NodeMessage & { payload: { value: number } }>('got');
    await got.next(10, 15_000);
    await waitFor(() => inStatus.some((s) => s.fill === 'blue' && /paused/.test(String(s.text))), 5000, 'a paused status');
    await send(10);
    await producer.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(got.messages.length, 10, 'nothing fetched while paused');
    held.splice(0).forEach((release) => release());
    const more = await got.next(10, 15_000);
    assert.deepEqual(more.map((m) => m.payload.value), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('kafka-in carries on after the broker drops every connection', async (t) => {
    if (broker === undefined) {
      t.skip('needs the test broker to drop connections');
      return;
    }
    const fixture = broker;
    const topic = unique('pdm.drop');
    const producer = kafka.producer();
    const send = async (from: number): Promise<void> => {
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ key: 'mill-1', value: JSON.stringify({ asset: 'mill-1', sensor: 'load', value: from + i, ts: from + i }) })) });
    };
    await send(0);
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: address },
      { id: 'in', z: 'f', type: 'kafka-in', broker: 'b', topics: topic, groupId: unique('drop'), output: 'message', commitInterval: 100, sessionTimeout: 6, wires: [['got'], [], []] },
      { id: 'got', z: 'f', type: 'helper' },
    ];
    await helper.load(nodes, flow);
    const got = recorder<NodeMessage & { payload: { value: number } }>('got');
    await got.next(5, 15_000);
    fixture.dropConnections();
    await send(5);
    await producer.disconnect();
    // At-least-once: a rejoin after the drop may deliver earlier records again; the new ones must all come.
    await waitFor(() => [5, 6, 7, 8, 9].every((v) => got.messages.some((m) => m.payload.value === v)), 30_000, 'the records sent after the drop');
  });

  it('shows a refused connection and an unknown host in the status, without logging an error', async () => {
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b1', type: 'kafka-broker', brokers: '127.0.0.1:1', connectionTimeout: 500 },
      { id: 'b2', type: 'kafka-broker', brokers: 'no-such-host.invalid:9092', connectionTimeout: 500 },
      { id: 'out', z: 'f', type: 'kafka-out', broker: 'b1', wires: [] },
      { id: 'in', z: 'f', type: 'kafka-in', broker: 'b2', wires: [[], [], []] },
    ];
    await helper.load(nodes, flow);
    const outStatus = statuses(helper.getNode('out'));
    const inStatus = statuses(helper.getNode('in'));
    await waitFor(() => outStatus.some((s) => s.fill === 'red') && inStatus.some((s) => s.fill === 'red'), 15_000, 'error statuses');
    const outError = outStatus.find((s) => s.fill === 'red') as StatusLike;
    const inError = inStatus.find((s) => s.fill === 'red') as StatusLike;
    assert.match(String(outError.text), /^connection refused by 127\.0\.0\.1:1 · retry in \d+ s$/);
    assert.match(String(inError.text), /^broker host not found \(DNS\) in no-such-host\.invalid:9092/);
    const errors = helper.log().args.filter((a: Array<{ level: number }>) => a[0].level <= 20);
    assert.deepEqual(errors, []);
  });

  it('kafka-out keeps readings while the broker is down and delivers them once it is up', async () => {
    // A broker of its own on a port that is free now and listened on later.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: `127.0.0.1:${port}`, connectionTimeout: 500 },
      { id: 'out', z: 'f', type: 'kafka-out', broker: 'b', lingerMs: 1, wires: [] },
      { id: 'c', z: 'f', type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'f', type: 'helper' },
    ];
    await helper.load(nodes, flow);
    const out = helper.getNode('out');
    const outStatus = statuses(out);
    const completed = recorder('completed');
    for (let i = 0; i < 3; i++) out.receive({ payload: { asset: 'pump-9', sensor: 'flow', value: i, ts: i } } as NodeMessage);
    await waitFor(() => outStatus.some((s) => s.fill === 'red'), 10_000, 'a refused connection');
    assert.equal(completed.messages.length, 0, 'nothing acknowledged while the broker is down');
    const late = await startTestKafka({ port });
    try {
      await completed.next(3, 20_000);
      const stored = late.log.topics.get('maintenance.sensors.raw')?.reduce((n, p) => n + p.next, 0);
      assert.equal(stored, 1, 'the three readings of pump-9 went out as one record for the asset');
    } finally {
      await helper.unload();
      await late.close();
    }
  });
});
