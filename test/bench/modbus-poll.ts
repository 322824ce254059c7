/**
 * Modbus polling of many simulated devices: N plant Modbus TCP servers (one asset each, in a child
 * process, so the devices do not share the poller's event loop) polled at a fixed rate each,
 *   1. by plain modbus-serial clients (the ceiling), then
 *   2. by node-red-contrib-modbus in an embedded Node-RED: one modbus-client per device and a
 *      modbus-getter per device fed by a poll schedule, so every poll's latency is known; once
 *      with the client's command queue (its default) and once without.
 * A poll is missed when no answer arrives before the next one is due (or none at all).
 *
 *   node dist/test/bench/modbus-poll.js [seconds=30] [devices=50] [hz=10]
 *
 * Prints figures only; nothing is asserted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import ModbusRTU from 'modbus-serial';
import type { NodeMessageInFlow } from 'node-red';
import { startPlantModbusServer, type PlantModbusServer } from '../../nodes/lib/sim/modbus-server';
import { PlantSimulator } from '../../nodes/lib/sim/plant';
import { onSink, onTab, startRuntime, type FlowNode } from '../support/runtime';
import { fmt, percentile } from './chain-workload';

const REGISTERS = 14;

interface Tally {
  issued: number;
  answered: number;
  failed: number;
  late: number;
  latencies: number[];
}

/** Child process: N servers, one asset each, updated from one plant at the poll rate. */
async function serveDevices(count: number, hz: number): Promise<void> {
  const assets = Array.from({ length: count }, (_, i) => ({ id: `pump-${i + 1}`, kind: 'pump' as const }));
  const plant = new PlantSimulator({ assets, seed: 1, start: Date.now() });
  const servers: PlantModbusServer[] = [];
  for (const asset of assets) servers.push(await startPlantModbusServer([asset.id], { port: 0 }));
  const timer = setInterval(() => {
    const { readings } = plant.sample(Date.now());
    for (const server of servers) server.update(readings);
  }, 1000 / hz);
  process.send?.({ ports: servers.map((s) => s.port) });
  process.once('disconnect', () => {
    clearInterval(timer);
    void Promise.all(servers.map((s) => s.stop())).then(() => process.exit(0));
  });
}

function startDevices(count: number, hz: number): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = fork(__filename, ['devices', String(count), String(hz)]);
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ports: number[] }) => resolve({ child, ports: m.ports }));
    child.once('exit', (code) => reject(new Error(`device process exited with ${code}`)));
  });
}

/** Calls `poll(device)` for every device at `hz`, devices spread evenly over the period, for `seconds`. */
function schedule(devices: number, hz: number, seconds: number, poll: (device: number, dueAt: number) => void): Promise<number> {
  const period = 1000 / hz;
  const start = performance.now() + 50;
  const end = start + seconds * 1000;
  let expected = 0;
  return new Promise((resolve) => {
    let remaining = devices;
    for (let d = 0; d < devices; d++) {
      let k = 0;
      const next = (): void => {
        const due = start + (d / devices) * period + k * period;
        if (due >= end) {
          if (--remaining === 0) resolve(expected);
          return;
        }
        setTimeout(() => {
          expected++;
          k++;
          poll(d, due);
          next();
        }, Math.max(0, due - performance.now()));
      };
      next();
    }
  });
}

function record(tally: Tally, latency: number, period: number): void {
  tally.answered++;
  tally.latencies.push(latency);
  if (latency > period) tally.late++;
}

function report(label: string, expected: number, tally: Tally, devices: number, hz: number, seconds: number): void {
  const sorted = tally.latencies.sort((a, b) => a - b);
  const missed = expected - (tally.answered - tally.late);
  console.log(`${label}: ${devices} devices × ${hz} Hz × ${seconds} s`);
  console.log(`  polls expected ${expected}, issued ${tally.issued}, answered ${tally.answered} (${tally.failed} failed, ${tally.late} later than the next poll), missed ${missed} (${fmt((100 * missed) / expected, 2)} %)`);
  console.log(`  poll latency p50 ${fmt(percentile(sorted, 0.5), 2)} ms · p99 ${fmt(percentile(sorted, 0.99), 2)} ms · max ${fmt(sorted[sorted.length - 1] ?? NaN, 1)} ms`);
}

async function plainClients(ports: number[], hz: number, seconds: number): Promise<void> {
  const clients = await Promise.all(ports.map(async (port) => {
    const c = new ModbusRTU();
    await c.connectTCP('127.0.0.1', { port });
    c.setID(1);
    c.setTimeout(1000);
    return c;
  }));
  const tally: Tally = { issued: 0, answered: 0, failed: 0, late: 0, latencies: [] };
  const busy = new Array<boolean>(ports.length).fill(false);
  const period = 1000 / hz;
  const expected = await schedule(ports.length, hz, seconds, (d) => {
    if (busy[d]) return; // the previous poll is still out: this one is missed
    busy[d] = true;
    tally.issued++;
    const sent = performance.now();
    clients[d].readHoldingRegisters(0, REGISTERS).then(
      () => record(tally, performance.now() - sent, period),
      () => tally.failed++,
    ).finally(() => (busy[d] = false));
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const c of clients) c.close(() => undefined);
  report('modbus-serial clients', expected, tally, ports.length, hz, seconds);
}

function pollFlow(ports: number[], queued: boolean): FlowNode[] {
  const nodes: FlowNode[] = [{ id: 'done', type: 'test-sink', x: 500, y: 100, wires: [] }];
  ports.forEach((port, i) => {
    nodes.push({
      id: `client-${i}`, type: 'modbus-client', name: `device ${i}`, clienttype: 'tcp', bufferCommands: queued, stateLogEnabled: false,
      queueLogEnabled: false, failureLogEnabled: false, tcpHost: '127.0.0.1', tcpPort: String(port), tcpType: 'DEFAULT', unit_id: '1',
      commandDelay: '1', clientTimeout: '1000', reconnectOnTimeout: true, reconnectTimeout: '2000', parallelUnitIdsAllowed: true,
    });
    nodes.push({
      id: `get-${i}`, type: 'modbus-getter', name: `poll ${i}`, showStatusActivities: false, showErrors: false, showWarnings: false,
      logIOActivities: false, unitid: '1', dataType: 'HoldingRegister', adr: '0', quantity: String(REGISTERS), server: `client-${i}`,
      useIOFile: false, ioFile: '', useIOForPayload: false, emptyMsgOnFail: true, keepMsgProperties: true, delayOnStart: false,
      startDelayTime: '', x: 300, y: 100 + i * 10, wires: [['done'], []],
    });
  });
  return onTab(nodes);
}

interface PollMessage extends NodeMessageInFlow {
  sentAt?: number;
  device?: number;
  error?: unknown;
}

async function nodeRed(ports: number[], hz: number, seconds: number): Promise<void> {
  const runtime = await startRuntime(pollFlow(ports, true), { captureLevel: 20 });
  const period = 1000 / hz;
  let tally: Tally;
  let busy: boolean[];
  onSink('done', (msg) => {
    const m = msg as PollMessage;
    if (typeof m.device !== 'number' || typeof m.sentAt !== 'number') return;
    busy[m.device] = false;
    if (m.error !== undefined) tally.failed++;
    else record(tally, performance.now() - m.sentAt, period);
  });
  for (const queued of [true, false]) {
    if (!queued) await runtime.deploy(pollFlow(ports, false));
    tally = { issued: 0, answered: 0, failed: 0, late: 0, latencies: [] };
    busy = new Array<boolean>(ports.length).fill(false);
    runtime.logs.length = 0;
    // Let every client connect before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const getters = ports.map((_, i) => runtime.node(`get-${i}`));
    const expected = await schedule(ports.length, hz, seconds, (d) => {
      if (busy[d]) return;
      busy[d] = true;
      tally.issued++;
      getters[d].receive({ payload: 'poll', device: d, sentAt: performance.now() } as never);
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const label = `node-red-contrib-modbus, modbus-getter per device, ${queued ? 'command queue on (default)' : 'command queue off'}`;
    report(label, expected, tally, ports.length, hz, seconds);
    const errors = runtime.logs.filter((e) => e.level <= 20).length;
    if (errors > 0) console.log(`  ${errors} errors logged by Node-RED`);
  }
  await runtime.stop();
}

async function main(): Promise<void> {
  const [first, second, third] = process.argv.slice(2);
  if (first === 'devices') return serveDevices(Number(second), Number(third));
  const seconds = Number(first ?? 30);
  const devices = Number(second ?? 50);
  const hz = Number(third ?? 10);
  const { child, ports } = await startDevices(devices, hz);
  try {
    await plainClients(ports, hz, seconds);
    await nodeRed(ports, hz, seconds);
  } finally {
    child.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
