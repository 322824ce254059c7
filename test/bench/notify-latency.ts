/**
 * Anomaly event → e-mail accepted by a real SMTP server (smtp-server, in process), inside a real
 * Node-RED runtime (RED.init + RED.start): a burst of alerts at a fixed rate, each for its own
 * asset, through alert-router and notify (or notify alone), timed from the injection of the event
 * to the SMTP server accepting the message. One second of the same rate warms the runtime up first
 * (a running Node-RED has compiled its code paths); it is not measured.
 *
 *   node dist/test/bench/notify-latency.js [rate=100] [seconds=10] [router|direct] [smtp connections=5]
 *
 * Prints figures only; nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import type { NodeMessageInFlow } from 'node-red';
import type { Receipt } from '../../nodes/lib/alerting/delivery';
import { startSmtp } from '../lib/alerting/smtp-fixture';
import { makeAlert } from '../lib/alerting/fixtures';
import { onSink, onTab, startRuntime, type FlowNode } from '../support/runtime';
import { fmt, percentile } from './chain-workload';

const DRAIN_MS = 30_000;

function flow(port: number, viaRouter: boolean, connections: number): FlowNode[] {
  const notify: FlowNode = {
    id: 'mail', type: 'notify', channel: 'email', smtpHost: '127.0.0.1', smtpPort: port, from: 'pdm@plant.example', to: 'ops@plant.example',
    smtpConnections: connections, attempts: 4, retryDelay: 0.5, wires: [['receipts']], x: 500, y: 100,
  };
  const nodes: FlowNode[] = [
    { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [[viaRouter ? 'router' : 'mail']], x: 100, y: 100 },
    notify,
    { id: 'receipts', type: 'test-sink', wires: [], x: 700, y: 100 },
  ];
  if (viaRouter) {
    nodes.push({
      id: 'router', type: 'alert-router', name: '',
      route: JSON.stringify({ receiver: 'ops', group_by: ['asset'], group_wait: '0s', group_interval: '5m', repeat_interval: '4h' }),
      receivers: JSON.stringify([{ name: 'ops' }]), inhibitRules: '', timeIntervals: '', assets: '', db: '', store: '', outputs: 2,
      wires: [['mail'], []], x: 300, y: 100,
    });
  }
  return onTab(nodes);
}

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 100);
  const seconds = Number(process.argv[3] ?? 10);
  const viaRouter = (process.argv[4] ?? 'router') !== 'direct';
  const connections = Number(process.argv[5] ?? 5);
  const smtp = await startSmtp({ headersOnly: true });
  const runtime = await startRuntime(flow(smtp.port, viaRouter, connections));
  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
  let attempts: number[] = [];
  let waits: number[] = [];
  let failed = 0;
  let retried = 0;
  smtp.onMail = (mail) => {
    const asset = / · (asset-\w+) · /.exec(mail.headers.get('subject') ?? '')?.[1];
    const start = asset === undefined ? undefined : sentAt.get(asset);
    if (start !== undefined) latencies.push(mail.acceptedAt - start);
  };
  onSink('receipts', (msg: NodeMessageInFlow) => {
    const r = msg.payload as Receipt;
    if (r.ok) {
      attempts.push(r.latencyMs);
      waits.push(r.elapsedMs - r.latencyMs);
    } else if (r.final) failed++;
    else retried++;
  });

  const event = (asset: string): Record<string, unknown> => {
    if (!viaRouter) return { payload: makeAlert({ asset, id: `${asset}/temp@${Date.now()}` }) };
    return {
      payload: { asset, sensor: 'temperature', ts: Date.now(), value: 91.5, score: 4.2, severity: 'high', detectors: [{ name: 'ewma', score: 4.2 }] },
      anomaly: { key: `${asset}/temperature`, state: 'firing' },
    };
  };

  /** Injects `total` events at `rate` per second, each for a new asset, and waits until all are accepted or failed. */
  const burst = async (prefix: string, total: number): Promise<void> => {
    latencies = [];
    attempts = [];
    waits = [];
    failed = 0;
    retried = 0;
    const started = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        for (; sent < due; sent++) {
          const asset = `asset-${prefix}${String(sent).padStart(5, '0')}`;
          sentAt.set(asset, performance.now());
          runtime.inject('src', event(asset));
        }
        if (sent >= total) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    const deadline = performance.now() + DRAIN_MS;
    while (latencies.length + failed < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };

  await burst('w', rate);
  const total = Math.round(rate * seconds);
  await burst('m', total);

  const sorted = Float64Array.from(latencies).sort();
  const p50 = (values: number[]): string => fmt(percentile(Float64Array.from(values).sort(), 0.5), 1);
  console.log(
    `anomaly event → ${viaRouter ? 'alert-router → ' : ''}notify → SMTP accepted, ${fmt(rate)} alerts/s for ${fmt(seconds)} s ` +
      `(${fmt(total)} alerts, one asset each, ${fmt(connections)} SMTP connections): ` +
      `p50 ${fmt(percentile(sorted, 0.5), 1)} ms, p95 ${fmt(percentile(sorted, 0.95), 1)} ms, p99 ${fmt(percentile(sorted, 0.99), 1)} ms, ` +
      `max ${fmt(sorted[sorted.length - 1] ?? NaN, 1)} ms (accepted ${fmt(latencies.length)} of ${fmt(total)}, ${fmt(retried)} retried attempts, ` +
      `${fmt(failed)} failed; goal p99 ≤ 2,000 ms); in notify p50 ${p50(waits)} ms queued + ${p50(attempts)} ms SMTP transaction`,
  );
  await runtime.stop();
  await smtp.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
