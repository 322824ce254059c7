/**
 * alert-router throughput with 1,000 active alerts (250 assets × 4 alert names): anomaly events
 * for those keys, one per message, through an embedded Node-RED runtime (RED.init + RED.start)
 * and as plain calls on the same core (parse, ingest, emit changes). Every 100th event changes
 * an alert's severity, which re-routes it and re-evaluates inhibition over all active alerts.
 *
 *   node dist/test/bench/alert-router.js [events=200000]
 *
 * Prints figures only; nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import type { Node } from 'node-red';
import { routerConfigFromEditor } from '../../nodes/lib/alerting/editor-config';
import { parseInput } from '../../nodes/lib/alerting/input';
import { AlertRouter } from '../../nodes/lib/alerting/router';
import type { AlertCommandTarget } from '../../nodes/lib/alerting/types';
import { onTab, startRuntime, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import { fmt, median } from './chain-workload';

const REPEATS = 3;
const ASSETS = 250;
const NAMES = ['vibration', 'temperature', 'pressure', 'current'];
const ACTIVE = ASSETS * NAMES.length;

const assets = Object.fromEntries(Array.from({ length: ASSETS }, (_, i) => [`asset-${i}`, { criticality: 'ABC'[i % 3], site: i % 2 ? 'north' : 'south', line: `L${i % 5}` }]));
const editorConfig = {
  route: JSON.stringify({
    receiver: 'maintenance', group_by: ['asset'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h',
    routes: [
      { matchers: ['severity="critical"'], receiver: 'on-call', continue: true },
      { matchers: ['criticality="A"', 'site="north"'], receiver: 'north-a' },
    ],
  }),
  receivers: JSON.stringify([{ name: 'maintenance' }, { name: 'on-call', escalation: [{ after: '15m', receiver: 'manager' }] }, { name: 'north-a' }, { name: 'manager' }]),
  inhibitRules: JSON.stringify([{ source_matchers: ['severity="critical"'], target_matchers: ['severity=~"low|medium|high"'], equal: ['asset'] }]),
  timeIntervals: '',
  assets: JSON.stringify(assets),
};

interface Event {
  payload: Record<string, unknown>;
  anomaly: { key: string; state: 'firing' };
}

function event(i: number): Event {
  const key = i % ACTIVE;
  const asset = `asset-${key % ASSETS}`;
  const sensor = NAMES[Math.floor(key / ASSETS)];
  // Keys 0, 100, … 900 turn critical and back on alternate rounds: 1% of events change severity.
  const critical = i % 100 === 0 && Math.floor(i / ACTIVE) % 2 === 1;
  return {
    payload: { asset, sensor, ts: 1_795_000_000_000 + i, value: 3 + (i % 17) / 10, score: 3.1, severity: critical ? 'critical' : 'high', detectors: [{ name: 'zscore', score: 3.1 }] },
    anomaly: { key: `${asset}/${sensor}`, state: 'firing' },
  };
}

function flow(): FlowNode[] {
  return onTab([
    { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['router']], x: 100, y: 100 },
    { id: 'router', type: 'alert-router', ...editorConfig, db: '', store: '', outputs: 5, wires: [['out'], ['out'], ['out'], ['out'], ['changes']], x: 300, y: 100 },
    { id: 'out', type: 'test-sink', wires: [], x: 500, y: 80 },
    { id: 'changes', type: 'test-sink', wires: [], x: 500, y: 120 },
  ]);
}

async function runtimeThroughput(runtime: EmbeddedRuntime, events: Event[]): Promise<number> {
  await runtime.deploy(flow());
  const source: Node = runtime.node('src');
  let completed = 0;
  runtime.RED.hooks.add('onComplete.bench', (e: { node: { id: string } }) => {
    if (e.node.id === 'router') completed++;
  });
  const feed = async (list: Event[]): Promise<number> => {
    const target = completed + list.length;
    let sent = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (sent < list.length && sent + (target - list.length) - completed < 2000) source.send({ ...list[sent++] } as never);
        if (completed >= target) resolve();
        else setImmediate(pump);
      };
      pump();
    });
    return list.length / ((performance.now() - started) / 1000);
  };
  await feed(Array.from({ length: ACTIVE }, (_, i) => event(i)));
  const active = (runtime.node('router') as unknown as AlertCommandTarget).activeAlerts().length;
  if (active !== ACTIVE) throw new Error(`expected ${ACTIVE} active alerts, have ${active}`);
  const rate = await feed(events);
  runtime.RED.hooks.remove('onComplete.bench');
  return rate;
}

function plainThroughput(events: Event[]): number {
  let sent = 0;
  const router = new AlertRouter(routerConfigFromEditor(editorConfig), { notify: () => sent++, change: () => sent++ }, Date.now);
  const ingest = (e: Event): void => {
    for (const item of parseInput(e.payload, e.anomaly).items) if (item.kind === 'event') router.ingest(item.event);
    router.flushChanges();
  };
  for (let i = 0; i < ACTIVE; i++) ingest(event(i));
  if (router.size !== ACTIVE) throw new Error(`expected ${ACTIVE} active alerts, have ${router.size}`);
  const started = performance.now();
  for (const e of events) ingest(e);
  return events.length / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200_000);
  const events = Array.from({ length: total }, (_, i) => event(i + 1));
  const runtime = await startRuntime(onTab([]));
  try {
    const inRuntime: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      inRuntime.push(await runtimeThroughput(runtime, events));
      plain.push(plainThroughput(events));
    }
    const rt = median(inRuntime);
    const pc = median(plain);
    console.log(`alert-router, ${fmt(ACTIVE)} active alerts, ${fmt(total)} anomaly events one per msg (1% change severity)`);
    console.log(
      `  runtime ${fmt(rt).padStart(9)} events/s   plain calls ${fmt(pc).padStart(10)} events/s   runtime/plain ${(rt / pc).toFixed(2)}` +
        `   (median of ${REPEATS}: ${inRuntime.map((v) => fmt(v)).join(', ')})   goal ≥ 20,000 events/s`,
    );
  } finally {
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
