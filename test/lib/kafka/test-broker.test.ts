/**
 * The test broker against kafkajs itself: what a producer sends is fetched back in order, an
 * idempotent gzip producer is accepted, a consumer group spreads partitions, and the broker
 * refuses what it does not implement.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, Kafka, logLevel, type Consumer } from 'kafkajs';
import { startTestKafka, type TestKafka } from '../../support/kafka/broker';
import { waitFor } from '../../support/runtime';

describe('test Kafka broker with kafkajs', () => {
  let broker: TestKafka;
  let kafka: Kafka;
  const consumers: Consumer[] = [];

  before(async () => {
    broker = await startTestKafka({ partitions: 3 });
    kafka = new Kafka({ clientId: 'fixture-test', brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  });

  after(async () => {
    for (const c of consumers) await c.disconnect();
    await broker.close();
  });

  it('stores what an idempotent gzip producer sends and serves it back in order per key', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: 300 }, (_, i) => ({ key: `asset-${i % 5}`, value: JSON.stringify({ i }) }));
    await producer.send({ topic: 'fixture.order', acks: -1, compression: CompressionTypes.GZIP, messages });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'fixture-order', maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: 'fixture.order', fromBeginning: true });
    const seen = new Map<string, number[]>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = String(message.key);
        const list = seen.get(key) ?? [];
        list.push((JSON.parse(String(message.value)) as { i: number }).i);
        seen.set(key, list);
      },
    });
    await waitFor(() => [...seen.values()].reduce((n, l) => n + l.length, 0) === 300, 10_000, 'all 300 messages');
    for (const [key, list] of seen) {
      assert.deepEqual(list, [...list].sort((a, b) => a - b), `${key} in order`);
      assert.equal(list.length, 60);
    }
    assert.deepEqual(broker.unsupported, []);
  });

  it('answers a transactional producer with an error instead of pretending', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-1', idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
    await assert.rejects(async () => {
      await producer.connect();
      await producer.transaction();
    });
    await producer.disconnect();
  });
});
