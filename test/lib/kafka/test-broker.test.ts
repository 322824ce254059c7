/**
 * The test broker against kafkajs itself: what a producer sends is fetched back in order, an
 * idempotent gzip producer is accepted, a consumer group spreads partitions, and the broker
 * refuses what it does not implement.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
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

describe('test Kafka broker refuses what it does not implement', () => {
  let broker: TestKafka;
  before(async () => {
    broker = await startTestKafka();
  });
  after(() => broker.close());

  /** Sends one raw request and resolves with the response body, or 'closed'. */
  function request(apiKey: number, version: number, body: Buffer): Promise<Buffer | 'closed'> {
    return new Promise((resolve) => {
      const [host, port] = broker.address.split(':');
      const socket = net.connect(Number(port), host);
      const header = Buffer.alloc(10);
      header.writeInt16BE(apiKey, 0);
      header.writeInt16BE(version, 2);
      header.writeInt32BE(7, 4);
      header.writeInt16BE(-1, 8);
      const size = Buffer.alloc(4);
      size.writeInt32BE(header.length + body.length);
      let got = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 4 && got.length >= got.readInt32BE(0) + 4) {
          socket.end();
          resolve(got.subarray(8));
        }
      });
      socket.on('close', () => resolve('closed'));
      socket.write(Buffer.concat([size, header, body]));
    });
  }

  it('closes the connection on an API version it does not serve', async () => {
    assert.equal(await request(3 /* Metadata */, 9, Buffer.alloc(4)), 'closed');
    assert.ok(broker.unsupported.includes('Metadata v9'));
  });

  it('answers an unknown ApiVersions version with UNSUPPORTED_VERSION, so a client can step down', async () => {
    const body = await request(18, 9, Buffer.alloc(0));
    assert.ok(Buffer.isBuffer(body));
    assert.equal((body as Buffer).readInt16BE(0), 35);
  });

  it('rejects a record batch whose CRC-32C does not match', async () => {
    const kafka = new Kafka({ clientId: 'crc', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'crc.topic', messages: [{ value: 'ok' }] });
    await producer.disconnect();
    const partition = broker.log.topics.get('crc.topic')?.find((p) => p.batches.length > 0);
    assert.ok(partition, 'the batch was stored');
    const batch = Buffer.from(partition.batches[0].bytes);
    batch[batch.length - 1] ^= 0xff;
    assert.equal(partition.append(batch, broker.log.producers).error, 2 /* CORRUPT_MESSAGE */);
    assert.equal(partition.next, 1, 'nothing appended');
  });
});
