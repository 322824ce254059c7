import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import type { BrokerHandle, KafkaProducer } from './lib/kafka/client';
import { positiveInt, parseTopics } from './lib/kafka/config';
import { connectionStatus, Reconnector, withTimeout, type ConnectionState } from './lib/kafka/connection';
import { KafkaDeliveryError } from './lib/kafka/errors';
import { LingerQueue } from './lib/kafka/linger';
import { DEFAULT_TOPICS, groupByKey, toRecords, type OutKind } from './lib/kafka/records';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

interface KafkaOutConfig {
  broker?: string;
  kind?: string;
  topic?: string;
  keyProperty?: string;
  lingerMs?: unknown;
  maxBatch?: unknown;
  maxBuffered?: unknown;
  deliveryTimeout?: unknown;
  compression?: string;
  acks?: string;
  grouping?: string;
}

type Done = (err?: Error) => void;

const STATUS_PERIOD_MS = 1000;
/** Close: stop connecting ≤ 3 s, deliver what waits ≤ 8 s, disconnect ≤ 2 s: within Node-RED's 15 s. */
const CLOSE_BUDGET_MS = { connect: 3000, drain: 8000, disconnect: 2000 };

interface OutSettings {
  topic: string;
  keyProperty: string;
  lingerMs: number;
  maxBatch: number;
  maxBuffered: number;
  deliveryTimeoutMs: number;
  gzip: boolean;
  acks: -1 | 1;
  /** One record per asset and send (a JSON array of its items) instead of one per item. */
  groupByAsset: boolean;
}

function outSettings(config: KafkaOutConfig): OutSettings {
  const kind = (config.kind ?? 'readings') as OutKind;
  if (!(kind in DEFAULT_TOPICS)) throw new PdmError('INVALID_CONFIG', `kind must be readings, alerts or anomalies, got ${String(config.kind)}`);
  const keyProperty = config.keyProperty?.trim() || 'asset';
  if (config.acks !== undefined && config.acks !== '' && config.acks !== 'all' && config.acks !== 'leader') {
    throw new PdmError('INVALID_CONFIG', `acks must be all or leader, got ${config.acks}`);
  }
  if (config.grouping !== undefined && config.grouping !== '' && config.grouping !== 'asset' && config.grouping !== 'item') {
    throw new PdmError('INVALID_CONFIG', `records must be per asset or per item, got ${config.grouping}`);
  }
  return {
    topic: parseTopics(config.topic, [DEFAULT_TOPICS[kind]])[0],
    keyProperty,
    lingerMs: config.lingerMs === 0 || config.lingerMs === '0' ? 0 : positiveInt(config.lingerMs, 20, 'linger', 60_000),
    maxBatch: positiveInt(config.maxBatch, 10_000, 'batch size', 1_000_000),
    maxBuffered: positiveInt(config.maxBuffered, 200_000, 'buffer', 10_000_000),
    deliveryTimeoutMs: positiveInt(config.deliveryTimeout, 120, 'delivery timeout', 86_400) * 1000,
    gzip: config.compression !== 'none',
    // The idempotent producer needs acks from all in-sync replicas; "leader" turns it off.
    acks: config.acks === 'leader' ? 1 : -1,
    groupByAsset: config.grouping !== 'item',
  };
}

export = function register(RED: NodeAPI): void {
  function KafkaOutNode(this: Node, config: NodeDef & KafkaOutConfig): void {
    RED.nodes.createNode(this, config);
    const broker = (config.broker ? RED.nodes.getNode(config.broker) : null) as (Node & BrokerHandle) | null;
    let settings: OutSettings;
    try {
      if (broker === null) throw new PdmError('INVALID_CONFIG', RED._('kafka-out.errors.noBroker'));
      if (broker.problem !== undefined) throw new PdmError('INVALID_CONFIG', broker.problem);
      settings = outSettings(config);
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('kafka-out.errors.config', { reason }));
      this.status(STATUS.error(RED._('kafka-out.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, broker, settings);
  }

  function start(node: Node, broker: BrokerHandle, settings: OutSettings): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const t = (key: string, vars?: Record<string, string | number>): string => RED._(`kafka-out.${key}`, vars);
    const noAddress = (): string => (broker.unsetVariable ? t('status.unsetVariable', { name: broker.unsetVariable }) : t('status.noAddress'));
    const counts = { sent: 0, failed: 0, rejected: 0 };
    let connection: ConnectionState | undefined;
    let closing = false;
    const kafka = broker.kafka;
    const producer: KafkaProducer | undefined = kafka?.producer({ idempotent: settings.acks === -1, gzip: settings.gzip, acks: settings.acks, ackTimeoutMs: 30_000 });

    // Without a producer (no broker address) the queue stays held, so this is never called.
    const send = async (topic: string, records: Parameters<KafkaProducer['send']>[1]): Promise<void> => {
      try {
        await (producer as KafkaProducer).send(topic, settings.groupByAsset ? groupByKey(records) : records);
        counts.sent += records.length;
        if (connection?.state !== 'connected') setConnection({ state: 'connected' });
      } catch (err) {
        counts.failed += records.length;
        if (!closing) reconnector?.lost(err);
        throw err;
      }
    };
    const queue = new LingerQueue(send, settings);

    const refreshStatus = (): void => {
      if (closing) return;
      if (producer === undefined) {
        status.set(queue.buffered > 0 ? STATUS.buffering(`${noAddress()} · ${t('status.waiting', { count: compactCount(queue.buffered) })}`) : STATUS.idle(noAddress()));
        return;
      }
      if (connection === undefined) return;
      if (connection.state !== 'connected') {
        const base = connectionStatus(connection, broker.brokerList, t);
        status.set(queue.buffered > 0 && connection.state === 'connecting' ? STATUS.buffering(`${base.text} · ${t('status.waiting', { count: compactCount(queue.buffered) })}`) : base);
        return;
      }
      let text = t('status.sent', { count: compactCount(counts.sent) });
      if (queue.buffered > 0) text += t('status.inFlight', { count: compactCount(queue.buffered) });
      if (counts.failed + counts.rejected > 0) text += t('status.failed', { count: compactCount(counts.failed + counts.rejected) });
      status.set(STATUS.ok(text));
    };

    const setConnection = (state: ConnectionState): void => {
      connection = state;
      if (state.state === 'connected') queue.release();
      else queue.hold();
      refreshStatus();
    };

    const reconnector = producer === undefined ? undefined : new Reconnector(() => producer.connect(), setConnection);
    reconnector?.start();

    const timer = setInterval(() => {
      const expired = queue.expire(Date.now() - settings.deliveryTimeoutMs, new KafkaDeliveryError('KAFKA_UNAVAILABLE', t('errors.timeout', { seconds: settings.deliveryTimeoutMs / 1000 })));
      counts.failed += expired;
      refreshStatus();
    }, STATUS_PERIOD_MS);
    refreshStatus();

    onGuardedInput(node, (msg: NodeMessageInFlow, _send: unknown, done: Done) => {
      const { records, rejected } = toRecords(msg.payload, settings.keyProperty);
      counts.rejected += rejected.length;
      const rejectedError = rejected.length === 0 ? undefined
        : new PdmError(rejected[0].error.code, t('errors.rejected', { count: rejected.length, reason: rejected[0].error.reason }));
      if (records.length === 0) {
        done(rejectedError ?? new PdmError('INVALID_PAYLOAD', t('errors.empty')));
        return;
      }
      const accepted = queue.add(settings.topic, records, (err) => done(err ?? rejectedError));
      if (!accepted) {
        counts.failed += records.length;
        done(new KafkaDeliveryError('KAFKA_BUFFER_FULL', t('errors.full', { count: compactCount(queue.buffered) })));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      clearInterval(timer);
      status.cancel();
      const finish = async (): Promise<void> => {
        if (reconnector) await withTimeout(reconnector.stop(), CLOSE_BUDGET_MS.connect);
        if (connection?.state === 'connected') await withTimeout(queue.drain(), CLOSE_BUDGET_MS.drain);
        const dropped = queue.discard();
        if (dropped > 0) node.warn(t('errors.dropped', { count: dropped }));
        if (producer !== undefined) await withTimeout(producer.disconnect(), CLOSE_BUDGET_MS.disconnect);
      };
      finish().catch((err) => node.warn(describeError(err))).finally(() => {
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('kafka-out', KafkaOutNode);
};
