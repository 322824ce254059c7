import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import type { BrokerHandle, ConsumerEvents, InBatch, InRecord, KafkaConsumer } from './lib/kafka/client';
import { parseTopics, positiveInt } from './lib/kafka/config';
import { connectionStatus, Reconnector, withTimeout, type ConnectionState } from './lib/kafka/connection';
import { OffsetTracker, type Delivery, type TopicPartition } from './lib/kafka/offsets';
import { decodeRecord, DEFAULT_TOPICS, PartitionKeys, topicOf, type KafkaMeta, type ValueFormat } from './lib/kafka/records';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';

interface KafkaInConfig {
  broker?: string;
  topics?: string;
  groupId?: string;
  start?: string;
  output?: string;
  format?: string;
  maxInFlight?: unknown;
  commitInterval?: unknown;
  sessionTimeout?: unknown;
}

interface InSettings {
  topics: string[];
  groupId: string;
  fromBeginning: boolean;
  batch: boolean;
  format: ValueFormat;
  maxInFlight: number;
  commitIntervalMs: number;
  sessionTimeoutMs: number;
}

interface CompleteEvent {
  msg: { _msgid?: string };
  node: { id: string };
}

const STATUS_PERIOD_MS = 1000;
/** Close: stop connecting ≤ 3 s, let the flow finish ≤ 4 s, commit and leave the group ≤ 5 s: within 15 s. */
const CLOSE_BUDGET_MS = { connect: 3000, inFlight: 4000, leave: 5000 };
/** Keys remembered per partition for the hand-over messages on a rebalance. */
const MAX_KEYS_PER_PARTITION = 50_000;

function inSettings(config: KafkaInConfig): InSettings {
  const groupId = config.groupId?.trim() || 'node-red-pdm';
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(groupId)) throw new PdmError('INVALID_CONFIG', `group id "${groupId}" may hold only letters, digits, ".", "_" and "-"`);
  if (config.format !== undefined && config.format !== '' && config.format !== 'json' && config.format !== 'string') {
    throw new PdmError('INVALID_CONFIG', `format must be json or string, got ${config.format}`);
  }
  return {
    topics: parseTopics(config.topics, [DEFAULT_TOPICS.readings]),
    groupId,
    fromBeginning: config.start !== 'latest',
    batch: config.output === 'batch',
    format: config.format === 'string' ? 'string' : 'json',
    maxInFlight: positiveInt(config.maxInFlight, 10_000, 'in-flight limit', 10_000_000),
    commitIntervalMs: positiveInt(config.commitInterval, 1000, 'commit interval', 3_600_000),
    sessionTimeoutMs: positiveInt(config.sessionTimeout, 30, 'session timeout', 3600) * 1000,
  };
}

const partitionKey = (p: TopicPartition): string => `${p.topic}\u0000${p.partition}`;

export = function register(RED: NodeAPI): void {
  function KafkaInNode(this: Node, config: NodeDef & KafkaInConfig): void {
    RED.nodes.createNode(this, config);
    const broker = (config.broker ? RED.nodes.getNode(config.broker) : null) as (Node & BrokerHandle) | null;
    let settings: InSettings;
    try {
      if (broker === null) throw new PdmError('INVALID_CONFIG', RED._('kafka-in.errors.noBroker'));
      if (broker.problem !== undefined) throw new PdmError('INVALID_CONFIG', broker.problem);
      settings = inSettings(config);
    } catch (err) {
      this.error(RED._('kafka-in.errors.config', { reason: describeError(err) }));
      this.status(STATUS.error(RED._('kafka-in.status.config')));
      return;
    }
    start(this, broker, settings);
  }

  function start(node: Node, broker: BrokerHandle, settings: InSettings): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const t = (key: string, vars?: Record<string, string | number>): string => RED._(`kafka-in.${key}`, vars);
    const noAddress = (): string => (broker.unsetVariable ? t('status.unsetVariable', { name: broker.unsetVariable }) : t('status.noAddress'));
    if (broker.kafka === undefined) {
      status.force(STATUS.idle(noAddress()));
      return;
    }
    const consumer: KafkaConsumer = broker.kafka.consumer({
      groupId: settings.groupId,
      topics: settings.topics,
      fromBeginning: settings.fromBeginning,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(settings.sessionTimeoutMs / 10)),
      maxWaitMs: 500,
    });
    const tracker = new OffsetTracker();
    const waitingFor = new Map<string, { delivery: Delivery; nodes: Set<string> }>();
    const keys = new PartitionKeys(MAX_KEYS_PER_PARTITION);
    const counts = { received: 0, rejected: 0 };
    let assignment: TopicPartition[] = [];
    let connection: ConnectionState | undefined;
    let paused = false;
    let closing = false;
    let committing: Promise<void> = Promise.resolve();

    // The nodes wired to output 1 that exist in the running flow (a disabled one never calls done()).
    let wiredTo: readonly string[] | undefined;
    const downstream = (): readonly string[] => {
      wiredTo ??= ((node as Node & { wires?: string[][] }).wires?.[0] ?? []).filter((id) => Boolean(RED.nodes.getNode(id)));
      return wiredTo;
    };

    const commit = (): Promise<void> => {
      committing = committing.then(async () => {
        const offsets = tracker.takeCommits();
        if (offsets.length === 0) return;
        try {
          await consumer.commit(offsets);
        } catch (err) {
          // Kept for the next commit: a rebalance or a broken connection is no reason to lose them.
          tracker.restore(offsets);
          node.debug(`commit deferred: ${describeError(err)}`);
        }
      });
      return committing;
    };

    const finished = (delivery: Delivery): void => {
      tracker.done(delivery);
      if (paused && tracker.inFlight <= settings.maxInFlight / 2) {
        paused = false;
        consumer.resume();
      }
    };

    const hookName = `onComplete.kafkaIn${node.id.replace(/[^A-Za-z0-9]/g, '')}`;
    RED.hooks.add(hookName, (event: CompleteEvent) => {
      const id = event.msg._msgid;
      const entry = id === undefined ? undefined : waitingFor.get(id);
      if (entry === undefined || !entry.nodes.delete(event.node.id) || entry.nodes.size > 0) return;
      waitingFor.delete(id as string);
      finished(entry.delivery);
    });

    /** Sends a message whose records count as done once every node wired to output 1 has called done(). */
    const emit = (msg: NodeMessage, delivery: Delivery): void => {
      const targets = downstream();
      if (targets.length === 0) {
        node.send([msg, null, null]);
        finished(delivery);
        return;
      }
      waitingFor.set(msg._msgid as string, { delivery, nodes: new Set(targets) });
      node.send([msg, null, null]);
    };

    const reject = (batch: InBatch, value: unknown, meta: KafkaMeta, reason: string): void => {
      counts.rejected++;
      const delivery = tracker.deliver(batch.topic, batch.partition, meta.offset, 1);
      node.send([null, { _msgid: RED.util.generateId(), topic: meta.key ?? undefined, payload: value, kafka: meta, error: { code: 'INVALID_PAYLOAD', reason } } as NodeMessage, null]);
      finished(delivery);
    };

    const onBatch = (batch: InBatch): void => {
      counts.received += batch.records.length;
      let values: unknown[] | undefined;
      let first = '';
      let last = '';
      let records = 0;
      const partition = partitionKey(batch);
      const metaOf = (record: InRecord, key: string | null): KafkaMeta =>
        ({ topic: batch.topic, partition: batch.partition, offset: record.offset, key, timestamp: Number(record.timestamp) });
      for (const record of batch.records) {
        const decoded = decodeRecord(record, settings.format);
        if (decoded.error !== undefined) {
          if (values !== undefined) flushBatch(batch, values, first, last, records);
          values = undefined;
          reject(batch, decoded.value, metaOf(record, decoded.key), decoded.error.reason);
          continue;
        }
        if (Array.isArray(decoded.value)) for (const v of decoded.value as unknown[]) keys.add(partition, v, decoded.key);
        else keys.add(partition, decoded.value, decoded.key);
        if (!settings.batch) {
          const msg = { _msgid: RED.util.generateId(), topic: topicOf(decoded.value, decoded.key), payload: decoded.value, kafka: metaOf(record, decoded.key) };
          emit(msg as NodeMessage, tracker.deliver(batch.topic, batch.partition, record.offset, 1));
          continue;
        }
        if (values === undefined) {
          values = [];
          first = record.offset;
          records = 0;
        }
        records++;
        // A record may hold one asset's items as an array (kafka-out's per-asset records).
        if (Array.isArray(decoded.value)) for (const v of decoded.value as unknown[]) values.push(v);
        else values.push(decoded.value);
        last = record.offset;
      }
      if (values !== undefined) flushBatch(batch, values, first, last, records);
      if (!paused && tracker.inFlight >= settings.maxInFlight) {
        paused = true;
        consumer.pause();
      }
    };

    /** One message for a run of records of a batch; in-flight counts records, not the items they hold. */
    const flushBatch = (batch: InBatch, values: unknown[], first: string, last: string, records: number): void => {
      const kafka: KafkaMeta = { topic: batch.topic, partition: batch.partition, offset: first, lastOffset: last };
      emit({ _msgid: RED.util.generateId(), payload: values, kafka } as NodeMessage, tracker.deliver(batch.topic, batch.partition, last, records));
    };

    /** Flush messages for the window state of a partition this instance no longer owns. */
    const handOver = (revoked: TopicPartition[]): void => {
      const out: NodeMessage[] = [];
      for (const p of revoked) {
        for (const key of keys.take(partitionKey(p))) out.push({ _msgid: RED.util.generateId(), topic: key, flush: key, kafka: { event: 'revoked', topic: p.topic, partition: p.partition } } as NodeMessage);
      }
      if (out.length > 0) node.send([null, null, out]);
    };

    const events: ConsumerEvents = {
      batch: (batch) => {
        try {
          onBatch(batch);
        } catch (err) {
          node.warn(t('errors.batch', { reason: describeError(err) }));
        }
      },
      rebalancing: () => {
        void commit();
      },
      assigned: (partitions) => {
        const now = new Set(partitions.map(partitionKey));
        const revoked = assignment.filter((p) => !now.has(partitionKey(p)));
        // After a join every partition is fetched again from its committed offset, so what is
        // still in flight will come again: late done() calls for it must not move any commit.
        tracker.drop(tracker.tracked());
        waitingFor.clear();
        handOver(revoked);
        assignment = partitions;
        refreshStatus();
      },
      crashed: (err, restarting) => {
        if (!restarting && !closing) reconnector.lost(err);
      },
    };

    const refreshStatus = (): void => {
      if (closing || connection === undefined) return;
      if (connection.state !== 'connected') {
        status.set(connectionStatus(connection, broker.brokerList, t));
        return;
      }
      const text = t('status.running', { partitions: assignment.length, received: compactCount(counts.received), inFlight: compactCount(tracker.inFlight) })
        + (counts.rejected > 0 ? t('status.rejected', { count: compactCount(counts.rejected) }) : '');
      status.set(paused ? STATUS.buffering(text + t('status.paused')) : STATUS.ok(text));
    };

    const reconnector = new Reconnector(async () => {
      try {
        await consumer.start(events);
      } catch (err) {
        await consumer.stop().catch(() => undefined);
        throw err;
      }
    }, (state) => {
      connection = state;
      refreshStatus();
    });
    reconnector.start();

    const commitTimer = setInterval(() => void commit(), settings.commitIntervalMs);
    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      clearInterval(commitTimer);
      clearInterval(statusTimer);
      status.cancel();
      const finish = async (): Promise<void> => {
        await withTimeout(reconnector.stop(), CLOSE_BUDGET_MS.connect);
        // Give messages still in the flow a moment to finish, so their offsets are committed.
        const deadline = Date.now() + CLOSE_BUDGET_MS.inFlight;
        while (tracker.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        await withTimeout(commit().then(() => consumer.stop()), CLOSE_BUDGET_MS.leave);
      };
      finish().catch((err) => node.warn(describeError(err))).finally(() => {
        RED.hooks.remove(hookName);
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('kafka-in', KafkaInNode);
};
