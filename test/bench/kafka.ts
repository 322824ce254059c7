/**
 * Kafka benchmarks against the broker named by KAFKA_BROKERS, else the test broker in this process
 * (a fixture: its figures bound what the nodes do, not what a Kafka cluster does).
 *
 *   node dist/test/bench/kafka.js throughput [readings=500000] [perMsg=1000]
 *       kafka-out → broker → kafka-in (batch output) in one embedded Node-RED: readings/s end to end
 *   node dist/test/bench/kafka.js rebalance [partitions=12]
 *       two Node-RED instances (child processes) in a group, a third joins: time until it receives
 *       records, and the longest pause the first two see
 *
 * Prints figures only; nothing is asserted.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { InstanceConfig } from '../support/kafka/instance';
import { startInstance, type Instance } from '../support/kafka/instances';
import { onSink, onTab, startRuntime, waitFor, type FlowNode } from '../support/runtime';
import { fmt } from './chain-workload';

const ASSETS = 1000;

interface BrokerProcess {
  close(): Promise<void>;
}

/** KAFKA_BROKERS, else the test broker started in a child process of its own. */
async function brokerAddress(partitions: number): Promise<{ address: string; broker?: BrokerProcess }> {
  if (process.env.KAFKA_BROKERS) return { address: process.env.KAFKA_BROKERS };
  const child = fork(path.join(__dirname, '..', 'support', 'kafka', 'serve.js'), [], {
    env: { ...process.env, PDM_KAFKA_PARTITIONS: String(partitions) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { address: string }).address));
    child.once('exit', (code) => reject(new Error(`test broker exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { address, broker: { close: () => (child.disconnect(), exited) } };
}

async function createTopic(address: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'pdm-bench', brokers: address.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

async function throughput(total: number, perMsg: number): Promise<void> {
  const partitions = 6;
  const { address, broker } = await brokerAddress(partitions);
  const topic = `pdm.bench.${process.pid}.${Date.now()}`;
  await createTopic(address, topic, partitions);
  const flow: FlowNode[] = onTab([
    { id: 'broker', type: 'kafka-broker', brokers: address, clientId: 'pdm-bench' },
    { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['out']], x: 100, y: 100 },
    { id: 'out', type: 'kafka-out', broker: 'broker', topic, lingerMs: 5, maxBatch: 20_000, maxBuffered: 1_000_000, x: 300, y: 100, wires: [] },
    { id: 'in', type: 'kafka-in', broker: 'broker', topics: topic, groupId: `${topic}.group`, output: 'batch', maxInFlight: 200_000, commitInterval: 1000, x: 100, y: 200, wires: [['sink'], [], []] },
    { id: 'sink', type: 'test-sink', x: 300, y: 200, wires: [] },
  ]);
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  onSink('sink', (msg) => {
    received += Array.isArray(msg.payload) ? msg.payload.length : 1;
    lastAt = performance.now();
    if (firstAt === 0) firstAt = lastAt;
  });
  const runtime = await startRuntime(flow);
  let acked = 0;
  runtime.RED.hooks.add('onComplete.bench', (event: { node: { id: string } }) => {
    if (event.node.id === 'out') acked++;
  });
  const msgs = Math.ceil(total / perMsg);
  const now = Date.now();
  const payloads = Array.from({ length: 64 }, (_, m) => Array.from({ length: perMsg }, (_, i) => {
    const n = m * perMsg + i;
    return { asset: `asset-${n % ASSETS}`, sensor: 'vibration', value: (n % 97) / 10, ts: now + n, unit: 'mm/s' };
  }));
  const source = runtime.node('src');
  // Warm-up: one message through, so the group is joined and the clients connected before timing.
  source.send({ payload: payloads[0] } as never);
  await waitFor(() => received >= perMsg && acked >= 1, 60_000, 'the warm-up message at kafka-in');
  received = 0;
  acked = 0;
  firstAt = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < msgs && sent - acked < 50) source.send({ payload: payloads[sent++ % payloads.length] } as never);
      if (acked >= msgs) resolve();
      else setTimeout(pump, 1);
    };
    pump();
  });
  const producedIn = performance.now() - started;
  await waitFor(() => received >= msgs * perMsg, 120_000, 'every reading at kafka-in');
  const cpu = process.cpuUsage(cpuBefore);
  const endToEnd = lastAt - started;
  console.log(`kafka-out → ${broker ? 'test broker' : 'Kafka at KAFKA_BROKERS'} → kafka-in, ${partitions} partitions, ${fmt(msgs * perMsg)} readings in msgs of ${fmt(perMsg)}, ${fmt(ASSETS)} assets, gzip, acks=all, idempotent`);
  console.log(`  produced and acknowledged   ${fmt((msgs * perMsg) / (producedIn / 1000)).padStart(10)} readings/s`);
  console.log(`  end to end (to kafka-in)    ${fmt((msgs * perMsg) / (endToEnd / 1000)).padStart(10)} readings/s   (goal ≥ 100,000)`);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`  first reading out of kafka-in after ${fmt(firstAt - started)} ms; all after ${fmt(endToEnd)} ms`);
  console.log(`  Node-RED process CPU (producing and consuming): ${fmt(cpuSeconds, 1)} s → ${fmt((msgs * perMsg) / cpuSeconds)} readings per CPU-second (broker in its own process)`);
  await runtime.stop();
  await broker?.close();
}

async function rebalance(partitions: number): Promise<void> {
  const { address, broker } = await brokerAddress(partitions);
  const topic = `pdm.bench.rebalance.${process.pid}.${Date.now()}`;
  await createTopic(address, topic, partitions);
  const kafka = new Kafka({ clientId: 'pdm-bench', brokers: address.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let seq = 0;
  let feeding = true;
  const feeder = (async () => {
    while (feeding) {
      const messages = Array.from({ length: 100 }, (_, i) => {
        const asset = `asset-${i % 50}`;
        return { key: asset, value: JSON.stringify({ asset, sensor: 's', seq: seq++, value: 0, ts: Date.now() }) };
      });
      await producer.send({ topic, acks: -1, messages });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const config: InstanceConfig = { brokers: address, topic, groupId: `${topic}.group`, ratePerSecond: 0, output: 'batch', sessionTimeoutS: 10 };
  const arrivals = new Map<string, number[]>();
  const track = (instance: Instance): Instance => {
    const times: number[] = [];
    arrivals.set(instance.name, times);
    instance.onReport((r) => {
      if (r.type === 'records') times.push(performance.now());
    });
    return instance;
  };
  const instances = [track(startInstance('a', config)), track(startInstance('b', config))];
  try {
    await Promise.all(instances.map((i) => i.ready));
    await waitFor(() => (arrivals.get('a')?.length ?? 0) > 0 && (arrivals.get('b')?.length ?? 0) > 0, 60_000, 'two instances receiving');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const spawned = performance.now();
    const c = track(startInstance('c', config));
    instances.push(c);
    await c.ready;
    const ready = performance.now();
    await waitFor(() => (arrivals.get('c')?.length ?? 0) > 0, 120_000, 'the third instance receiving');
    const firstAtC = (arrivals.get('c') as number[])[0];
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const longestPause = (name: string): number => {
      const times = (arrivals.get(name) as number[]).filter((t) => t >= spawned - 1000);
      let longest = 0;
      for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
      return longest;
    };
    console.log(`rebalance, ${partitions} partitions, ${broker ? 'test broker' : 'Kafka at KAFKA_BROKERS'}, records produced every 20 ms, kafkajs defaults (heartbeat = session/10 = 1 s)`);
    console.log(`  third Node-RED started (process + runtime + flow) in ${fmt(ready - spawned)} ms`);
    console.log(`  from its flow start to its first record (join + sync + fetch): ${fmt(firstAtC - ready)} ms`);
    console.log(`  longest gap between records at the first two instances: a ${fmt(longestPause('a'))} ms, b ${fmt(longestPause('b'))} ms`);
  } finally {
    feeding = false;
    await feeder;
    await Promise.all(instances.map((i) => i.stop()));
    await producer.disconnect();
    await broker?.close();
  }
}

async function main(): Promise<void> {
  const [mode = 'throughput', a, b] = process.argv.slice(2);
  if (mode === 'throughput') await throughput(Number(a ?? 500_000), Number(b ?? 1000));
  else if (mode === 'rebalance') await rebalance(Number(a ?? 12));
  else throw new Error(`unknown mode ${mode}: throughput or rebalance`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
