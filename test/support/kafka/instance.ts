/**
 * One Node-RED instance of a scale-out test or benchmark, run as a child process (Node-RED is a
 * singleton, so N instances need N processes). Its flow: kafka-in (group member) → optional
 * rate limit (a slow downstream) → test-sink; kafka-in's hand-over output → a second sink. What the
 * sinks receive goes to the parent over IPC.
 */
import { onSink, onTab, startRuntime, type FlowNode } from '../runtime';

export interface InstanceConfig {
  brokers: string;
  topic: string;
  groupId: string;
  /** A slow downstream: a rate limit (messages/s) before the sink; done() is called as each leaves it. 0 = none. */
  ratePerSecond: number;
  output: 'batch' | 'message';
  sessionTimeoutS: number;
}

/** A value of the test topic: an asset and a per-asset sequence number. */
export interface SeqValue {
  asset: string;
  seq: number;
}

export type InstanceReport =
  | { type: 'ready' }
  | { type: 'records'; partition: number; values: SeqValue[] }
  | { type: 'handover'; key: string; partition: number }
  | { type: 'stopped' };

function flow(config: InstanceConfig): FlowNode[] {
  const first = config.ratePerSecond > 0 ? 'slow' : 'data';
  const nodes: FlowNode[] = [
    { id: 'broker', type: 'kafka-broker', brokers: config.brokers, clientId: 'pdm-instance' },
    {
      id: 'in', type: 'kafka-in', broker: 'broker', topics: config.topic, groupId: config.groupId, start: 'earliest',
      output: config.output, format: 'json', maxInFlight: 50_000, commitInterval: 200, sessionTimeout: config.sessionTimeoutS,
      x: 100, y: 100, wires: [[first], [], ['handover']],
    },
    { id: 'data', type: 'test-sink', x: 500, y: 100, wires: [] },
    { id: 'handover', type: 'test-sink', x: 500, y: 200, wires: [] },
  ];
  if (config.ratePerSecond > 0) {
    nodes.push({
      id: 'slow', type: 'delay', pauseType: 'rate', timeout: '1', timeoutUnits: 'seconds', rate: String(config.ratePerSecond), nbRateUnits: '1',
      rateUnits: 'second', randomFirst: '1', randomLast: '5', randomUnits: 'seconds', drop: false, allowrate: false, outputs: 1, x: 300, y: 100, wires: [['data']],
    });
  }
  return onTab(nodes);
}

async function main(): Promise<void> {
  const send = (report: InstanceReport): void => {
    process.send?.(report);
  };
  const config = JSON.parse(process.env.PDM_KAFKA_INSTANCE ?? '{}') as InstanceConfig;
  onSink('data', (msg) => {
    const kafka = (msg as { kafka?: { partition: number } }).kafka;
    const values = (Array.isArray(msg.payload) ? msg.payload : [msg.payload]).flat() as SeqValue[];
    send({ type: 'records', partition: kafka?.partition ?? -1, values: values.map((v) => ({ asset: v.asset, seq: v.seq })) });
  });
  onSink('handover', (msg) => {
    const kafka = (msg as { kafka?: { partition: number } }).kafka;
    send({ type: 'handover', key: String((msg as { flush?: unknown }).flush), partition: kafka?.partition ?? -1 });
  });
  const runtime = await startRuntime(flow(config));
  send({ type: 'ready' });
  process.on('message', (m: unknown) => {
    if (m !== 'stop') return;
    void runtime.stop().then(() => {
      send({ type: 'stopped' });
      process.exit(0);
    });
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
