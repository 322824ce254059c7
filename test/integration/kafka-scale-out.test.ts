/**
 * Scale-out across Node-RED instances (child processes, each an embedded runtime) in one
 * consumer group, against the broker named by KAFKA_BROKERS or else the test broker: a killed
 * instance loses nothing because offsets are committed only after done(), and a third instance
 * joining takes over a share of the partitions while every asset's readings stay in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { startTestKafka, type TestKafka } from '../support/kafka/broker';
import type { InstanceConfig, InstanceReport, SeqValue } from '../support/kafka/instance';
import { startInstance, type Instance } from '../support/kafka/instances';
import { waitFor } from '../support/runtime';

const PARTITIONS = 6;
const ASSETS = Array.from({ length: 12 }, (_, i) => `asset-${i}`);

let serial = 0;
const unique = (prefix: string): string => `${prefix}.${process.pid}.${Date.now()}.${++serial}`;

/** Every value an instance's sink received, in arrival order. */
function received(instance: Instance): SeqValue[] {
  return instance.reports.flatMap((r: InstanceReport) => (r.type === 'records' ? r.values : []));
}

/**
 * Per asset, an instance receives consecutive sequence numbers: a record may be read again after
 * a rebalance (at-least-once, from the committed offset), but one is never skipped, unless the
 * instance handed the asset over in between (and may get it back later, further on).
 */
function assertNoGaps(instance: Instance): void {
  const last = new Map<string, number>();
  for (const r of instance.reports) {
    if (r.type === 'handover') last.delete(r.key.split('/')[0]);
    if (r.type !== 'records') continue;
    for (const v of r.values) {
      const previous = last.get(v.asset);
      if (previous !== undefined) assert.ok(v.seq <= previous + 1, `${instance.name}: ${v.asset} jumped from ${previous} to ${v.seq}`);
      last.set(v.asset, v.seq);
    }
  }
}

describe('kafka scale-out across Node-RED instances', () => {
  let broker: TestKafka | undefined;
  let brokers: string;
  let kafka: Kafka;
  let producer: Producer;
  const instances: Instance[] = [];

  const config = (topic: string, groupId: string, extra: Partial<InstanceConfig> = {}): InstanceConfig => ({
    brokers, topic, groupId, ratePerSecond: 0, output: 'batch', sessionTimeoutS: 6, ...extra,
  });

  const spawn = (name: string, c: InstanceConfig): Instance => {
    const instance = startInstance(name, c);
    instances.push(instance);
    return instance;
  };

  const createTopic = async (topic: string): Promise<void> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  };

  const produce = async (topic: string, from: number, to: number): Promise<void> => {
    const messages = [];
    for (let seq = from; seq < to; seq++) {
      for (const asset of ASSETS) messages.push({ key: asset, value: JSON.stringify({ asset, seq, sensor: 's', value: seq, ts: seq }) });
    }
    await producer.send({ topic, acks: -1, messages });
  };

  before(async () => {
    if (process.env.KAFKA_BROKERS) brokers = process.env.KAFKA_BROKERS;
    else {
      broker = await startTestKafka({ partitions: PARTITIONS });
      brokers = broker.address;
    }
    kafka = new Kafka({ clientId: 'scale-out-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.kill()));
    await producer?.disconnect();
    await broker?.close();
  });

  it('a consumer killed mid-stream loses nothing: its unfinished records are read again on restart', async () => {
    const topic = unique('pdm.kill');
    const groupId = unique('kill');
    await createTopic(topic);
    const total = 150;
    await produce(topic, 0, total);
    const expected = total * ASSETS.length;

    // A slow downstream (400 records/s) holds most records un-done when the instance is killed.
    const first = spawn('first', config(topic, groupId, { output: 'message', ratePerSecond: 400 }));
    await first.ready;
    await waitFor(() => received(first).length >= 300, 30_000, 'the first instance to process 300 records');
    await first.kill();
    const seenBefore = received(first);
    assert.ok(seenBefore.length < expected, 'killed before it had processed everything');

    const second = spawn('second', config(topic, groupId, { output: 'message' }));
    await second.ready;
    const key = (v: SeqValue): string => `${v.asset}#${v.seq}`;
    const all = (): Set<string> => new Set([...seenBefore, ...received(second)].map(key));
    await waitFor(() => all().size === expected, 60_000, `all ${expected} records processed by one instance or the other`);
    const firstKeys = new Set(seenBefore.map(key));
    const reread = received(second).filter((v) => firstKeys.has(key(v))).length;
    // Offsets are committed every 200 ms after done(), so the second instance starts at or shortly before where the first got to.
    assert.ok(reread < seenBefore.length, 'the second instance resumed from committed offsets, not from the start');
    for (const asset of ASSETS) {
      const seqs = received(second).filter((v) => v.asset === asset).map((v) => v.seq);
      const from = seqs[0];
      assert.deepEqual(seqs, Array.from({ length: total - from }, (_, i) => from + i), `${asset} in order, none skipped, on the second instance`);
    }
    await second.stop();
    assert.deepEqual(broker?.unsupported ?? [], []);
  });

  it('a third instance joining takes a share of the partitions; each asset stays ordered and nothing is lost', async () => {
    const topic = unique('pdm.rebalance');
    const groupId = unique('rebalance');
    await createTopic(topic);
    let produced = 0;
    const step = 5;
    await produce(topic, produced, produced + step);
    produced += step;

    const a = spawn('a', config(topic, groupId));
    const b = spawn('b', config(topic, groupId));
    await Promise.all([a.ready, b.ready]);
    const partitionsOf = (instance: Instance, since = 0): Set<number> =>
      new Set(instance.reports.slice(since).flatMap((r) => (r.type === 'records' ? [r.partition] : [])));
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        await produce(topic, produced, produced + step);
        produced += step;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await waitFor(() => partitionsOf(a).size > 0 && partitionsOf(b).size > 0, 30_000, 'two instances sharing the partitions');
      const c = spawn('c', config(topic, groupId));
      await c.ready;
      await waitFor(() => partitionsOf(c).size > 0, 45_000, 'the third instance receiving records');
      // The group has settled (c only gets records once all three have joined): from here on each owns a fixed share.
      const marks = [a, b, c].map((i) => i.reports.length);
      await waitFor(() => [a, b, c].every((i, n) => partitionsOf(i, marks[n]).size > 0 && i.reports.length > marks[n] + 5), 30_000, 'all three receiving after the rebalance');
      const shares = [a, b, c].map((i, n) => partitionsOf(i, marks[n]));
      for (let x = 0; x < shares.length; x++) {
        for (let y = x + 1; y < shares.length; y++) {
          for (const p of shares[x]) assert.ok(!shares[y].has(p), `partition ${p} read by one instance at a time`);
        }
      }
      feeding = false;
      await feeder;
      const expected = produced * ASSETS.length;
      const everyone = [a, b, c];
      const key = (v: SeqValue): string => `${v.asset}#${v.seq}`;
      await waitFor(() => new Set(everyone.flatMap(received).map(key)).size === expected, 60_000, `all ${expected} records`);

      const handedOver = [a, b].flatMap((i) => i.reports.filter((r) => r.type === 'handover'));
      assert.ok(handedOver.length > 0, 'the instances that gave partitions up flushed the keys they had seen on them');
      for (const instance of everyone) assertNoGaps(instance);
    } finally {
      feeding = false;
      await feeder;
      await Promise.all(instances.map((i) => i.stop()));
    }
    assert.deepEqual(broker?.unsupported ?? [], []);
  });
});
