/**
 * Values per second through opcua-in: the plant OPC UA server (in a child process, as a plant
 * server would be another machine) updates every variable every `updateMs`; opcua-in in a real
 * Node-RED runtime subscribes to all of them and a test-sink counts the readings it emits. Each
 * run prints the server's updates/s and CPU per update beside opcua-in's values/s and CPU per
 * value, so a slow server is told apart from a slow node.
 *
 *   node dist/test/bench/opcua-in.js [items=2000] [updateMs=50]
 *
 * Prints figures only; nothing is asserted. Goal: ≥ 20,000 values/s with 2,000 monitored items.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Reading } from '../../nodes/lib/reading';
import { startPlantOpcuaServer } from '../../nodes/lib/sim/opcua-server';
import { freePort } from '../lib/protocols/opcua-fixture';
import { onSink, onTab, startRuntime, waitFor } from '../support/runtime';

const SENSORS_PER_ASSET = 10;
const RUNS = 3;
const RUN_MS = 10_000;
const WARMUP_MS = 3000;
const GOAL = 20_000;

interface ServerReady {
  endpointUrl: string;
}

/** What the server process has done so far: variable updates and its own CPU time. */
interface ServerCounters {
  updates: number;
  cpuMicros: number;
}

type ParentMessage = 'counters' | 'stop';

function plant(items: number): { asset: string; sensors: { sensor: string; unit: string }[] }[] {
  const assets = [];
  for (let a = 0; a * SENSORS_PER_ASSET < items; a++) {
    const count = Math.min(SENSORS_PER_ASSET, items - a * SENSORS_PER_ASSET);
    assets.push({ asset: `asset-${a}`, sensors: Array.from({ length: count }, (_, s) => ({ sensor: `s${s}`, unit: 'mm/s' })) });
  }
  return assets;
}

/**
 * The child process: serves the plant and updates every variable every `updateMs`, on a
 * schedule that does not drift (a late tick is run at once, the next keeps its slot).
 */
async function serve(items: number, updateMs: number): Promise<void> {
  const assets = plant(items);
  const server = await startPlantOpcuaServer(assets, {
    port: await freePort(), host: '127.0.0.1', pkiDir: path.join(os.tmpdir(), 'pdm-opcua-bench-pki'),
    allowAnonymous: true, users: [], securityModes: ['None'],
  });
  const batch: Reading[] = assets.flatMap((a) => a.sensors.map((s) => ({ asset: a.asset, sensor: s.sensor, value: 0, ts: 0 })));
  let tick = 0;
  let updates = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const step = (): void => {
    tick++;
    const ts = Date.now();
    for (let i = 0; i < batch.length; i++) {
      batch[i].value = Math.sin(tick + i);
      batch[i].ts = ts;
    }
    server.update(batch);
    updates += batch.length;
    timer = setTimeout(step, Math.max(0, started + tick * updateMs - performance.now()));
  };
  timer = setTimeout(step, updateMs);
  process.send?.({ endpointUrl: server.endpointUrl } satisfies ServerReady);
  process.on('message', (msg: ParentMessage) => {
    const used = process.cpuUsage(cpuStart);
    process.send?.({ updates, cpuMicros: used.user + used.system } satisfies ServerCounters);
    if (msg !== 'stop') return;
    clearTimeout(timer);
    void server.stop().then(() => process.exit(0));
  });
}

function ask(child: ChildProcess, msg: ParentMessage): Promise<ServerCounters> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as ServerCounters));
    child.send(msg);
  });
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

const format = (n: number): string => Math.round(n).toLocaleString('en');

async function measure(items: number, updateMs: number): Promise<void> {
  const child: ChildProcess = fork(__filename, ['server', String(items), String(updateMs)], { stdio: 'inherit', execArgv: ['--max-semi-space-size=32'] });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    child.once('message', (msg) => resolve(msg as ServerReady));
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code}`)));
  });
  let values = 0;
  const runtime = await startRuntime([{ id: 'empty', type: 'tab', label: 'empty' }]);
  onSink('sink', (msg) => {
    values += (msg.payload as Reading[]).length;
  });
  const rows = plant(items).flatMap((a) => a.sensors.map((s) => ({ item: `ns=1;s=${a.asset}.${s.sensor}` })));
  const setupStart = performance.now();
  await runtime.deploy(onTab([
    { id: 'ep', type: 'opcua-endpoint', endpointUrl: ready.endpointUrl, connectTimeout: 30 },
    { id: 'in', type: 'opcua-in', endpoint: 'ep', items: rows, samplingInterval: 0, publishingInterval: 100, output: 'batch', wires: [['sink'], []], x: 100, y: 100 },
    { id: 'sink', type: 'test-sink', wires: [], x: 300, y: 100 },
  ]));
  await waitFor(() => values > 0, 120_000, 'the first values');
  console.log(`subscribed to ${items} items in ${((performance.now() - setupStart) / 1000).toFixed(1)} s (connect, resolve names and units, monitor)`);
  console.log(`server offers ${format((items * 1000) / updateMs)} updates/s (${items} variables every ${updateMs} ms), in its own process; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const rates: number[] = [];
  const cpuPerValue: number[] = [];
  const serverRates: number[] = [];
  const serverCpuPerUpdate: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const before = values;
    const serverBefore = await ask(child, 'counters');
    const started = performance.now();
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    const used = process.cpuUsage(cpu);
    const serverAfter = await ask(child, 'counters');
    const seconds = (performance.now() - started) / 1000;
    const count = values - before;
    const updates = serverAfter.updates - serverBefore.updates;
    rates.push(count / seconds);
    cpuPerValue.push((used.user + used.system) / Math.max(1, count));
    serverRates.push(updates / seconds);
    serverCpuPerUpdate.push((serverAfter.cpuMicros - serverBefore.cpuMicros) / Math.max(1, updates));
    console.log(`run ${run + 1}: server ${format(serverRates[run])} updates/s at ${serverCpuPerUpdate[run].toFixed(1)} µs CPU each; ` +
      `opcua-in ${format(rates[run])} values/s at ${cpuPerValue[run].toFixed(1)} µs CPU each (Node-RED process); load average ${os.loadavg()[0].toFixed(1)}`);
  }
  await ask(child, 'stop');
  await runtime.stop();
  console.log(`server: ${format(median(serverRates))} updates/s, ${median(serverCpuPerUpdate).toFixed(1)} µs CPU per update (set, sample, publish), median of ${RUNS} runs`);
  console.log(`opcua-in: ${format(median(rates))} values/s through the node, median of ${RUNS} runs of ${RUN_MS / 1000} s, ${items} monitored items (goal ≥ ${GOAL.toLocaleString('en')})`);
  const medianCpu = median(cpuPerValue);
  console.log(`Node-RED side: ${medianCpu.toFixed(1)} µs CPU per value (client, node and sink), i.e. about ${format(1e6 / medianCpu)} values/s per core`);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') {
  void serve(Number(rest[0]), Number(rest[1]));
} else {
  const items = Number(mode ?? 2000);
  const updateMs = Number(rest[0] ?? 50);
  measure(items, updateMs).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
