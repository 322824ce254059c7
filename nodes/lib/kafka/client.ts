/**
 * The Kafka client as the nodes see it: a producer that sends keyed records and a group consumer
 * that hands over batches, reports its assignment and commits the offsets it is given. One
 * implementation (kafkajs.ts) sits behind it, so another client can replace kafkajs in one place.
 */
import type { CommitOffset, TopicPartition } from './offsets';

export interface OutRecord {
  key: string | null;
  value: string;
  /** Epoch ms; the record's timestamp (event time for readings). */
  timestamp?: number;
}

export interface ProducerOptions {
  /** Exactly-once per partition from the producer's side: retries never duplicate a batch. */
  idempotent: boolean;
  gzip: boolean;
  /** -1 (all in-sync replicas), 1 (leader) or 0 (none). */
  acks: -1 | 0 | 1;
  /** How long the broker may take to acknowledge, ms. */
  ackTimeoutMs: number;
}

export interface KafkaProducer {
  connect(): Promise<void>;
  send(topic: string, records: readonly OutRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface InRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Epoch ms as a decimal string, as Kafka carries it. */
  timestamp: string;
}

export interface InBatch extends TopicPartition {
  records: readonly InRecord[];
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Longest a fetch waits at the broker for new data, ms. */
  maxWaitMs: number;
}

export interface ConsumerEvents {
  /** Records of one partition in offset order. Called synchronously; must not throw. */
  batch(batch: InBatch): void;
  /** The whole assignment after each join of the group. */
  assigned(partitions: TopicPartition[]): void;
  /** A rebalance began: partitions may be taken away at the next join. */
  rebalancing(): void;
  /** The consumer stopped on an error; `restarting` tells whether the client retries by itself. */
  crashed(err: unknown, restarting: boolean): void;
}

export interface KafkaConsumer {
  /** Connects, joins the group and starts fetching; rejects when the first connection fails. */
  start(events: ConsumerEvents): Promise<void>;
  commit(offsets: readonly CommitOffset[]): Promise<void>;
  pause(): void;
  resume(): void;
  /** Leaves the group and disconnects. */
  stop(): Promise<void>;
}

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';
export type KafkaLog = (level: KafkaLogLevel, message: string) => void;

export interface KafkaClient {
  producer(options: ProducerOptions): KafkaProducer;
  consumer(options: ConsumerOptions): KafkaConsumer;
}

/** What a kafka-broker config node offers the nodes that use it. */
export interface BrokerHandle {
  /** Undefined when the configuration is invalid (`problem` says why) or names no broker. */
  kafka?: KafkaClient;
  problem?: string;
  /** The configured brokers as host:port,host:port, for status texts. */
  brokerList: string;
  /** The environment variable named for the brokers when it is not set. */
  unsetVariable?: string;
}
