/**
 * The kafkajs implementation of the client adapter. kafkajs retries by itself; connects are
 * given few retries here so that a wrong address or password shows in the status quickly, and
 * the nodes retry on their own schedule.
 */
import { CompressionTypes, Kafka, logLevel, Partitioners, type Consumer, type LogEntry, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { ConsumerEvents, ConsumerOptions, KafkaClient, KafkaConsumer, KafkaLog, KafkaProducer, OutRecord, ProducerOptions } from './client';
import type { BrokerSettings } from './config';
import type { CommitOffset, TopicPartition } from './offsets';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

export function createKafkaClient(settings: BrokerSettings, log: KafkaLog = () => undefined): KafkaClient {
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: settings.connectionTimeoutMs,
    ssl: settings.tls ? (settings.tls as ConnectionOptions) : undefined,
    sasl: settings.sasl ? ({ mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password } as SASLOptions) : undefined,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => log(LEVELS[entry.level] ?? 'debug', `${entry.log.message}${entry.log.error ? `: ${String(entry.log.error)}` : ''}`),
  });
  return {
    producer: (options) => kafkajsProducer(kafka, options),
    consumer: (options) => kafkajsConsumer(kafka, options),
  };
}

function kafkajsProducer(kafka: Kafka, options: ProducerOptions): KafkaProducer {
  const producer = kafka.producer({
    idempotent: options.idempotent,
    // kafkajs keeps an idempotent producer's batches in order only with one request in flight.
    maxInFlightRequests: options.idempotent ? 1 : undefined,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 3000 },
  });
  return {
    connect: () => producer.connect(),
    send: async (topic: string, records: readonly OutRecord[]) => {
      await producer.send({
        topic,
        acks: options.acks,
        timeout: options.ackTimeoutMs,
        compression: options.gzip ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp === undefined ? undefined : String(r.timestamp) })),
      });
    },
    disconnect: () => producer.disconnect(),
  };
}

function kafkajsConsumer(kafka: Kafka, options: ConsumerOptions): KafkaConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    maxWaitTimeInMs: options.maxWaitMs,
    allowAutoTopicCreation: true,
  });
  const topicsOnly = (): Array<{ topic: string }> => options.topics.map((topic) => ({ topic }));
  const removers: Array<() => void> = [];
  return {
    start: async (events: ConsumerEvents) => {
      if (removers.length === 0) {
        removers.push(
          consumer.on(consumer.events.GROUP_JOIN, (e) => events.assigned(toPartitions(e.payload.memberAssignment))),
          consumer.on(consumer.events.REBALANCING, () => events.rebalancing()),
          consumer.on(consumer.events.CRASH, (e) => events.crashed(e.payload.error, e.payload.restart)),
        );
      }
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, isStale }) => {
          // A batch fetched before a rebalance that took its partition away is not ours to hand on.
          if (batch.messages.length === 0 || isStale()) return;
          events.batch({ topic: batch.topic, partition: batch.partition, records: batch.messages });
          // Resolving moves the fetch position on; what is committed is decided by the caller.
          resolveOffset(batch.lastOffset());
        },
      });
    },
    commit: (offsets: readonly CommitOffset[]) => consumer.commitOffsets([...offsets]),
    pause: () => consumer.pause(topicsOnly()),
    resume: () => consumer.resume(topicsOnly()),
    stop: async () => {
      for (const remove of removers.splice(0)) remove();
      await consumer.disconnect();
    },
  };
}

function toPartitions(assignment: Record<string, number[]>): TopicPartition[] {
  return Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
}
