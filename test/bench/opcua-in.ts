/**
 * Values per second through opcua-in: the plant OPC UA server (in a child process, as a plant
 * server would be another machine) updates every variable every `updateMs`; opcua-in in a real
 * Node-RED runtime subscribes to all of them and a test-sink counts the readings it emits.
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
  offeredPerSecond: number;
}

function plant(items: number): { asset: string; sensors: { sensor: string; unit: string }[] }[] {
  const assets = [];
  for (let a = 0; a * SENSORS_PER_ASSET < items; a++) {
    const count = Math.min(SENSORS_PER_ASSET, items - a * SENSORS_PER_ASSET);
    assets.push({ asset: `asset-${a}`, sensors: Array.from({ length: count }, (_, s) => ({ sensor: `s${s}`, unit: 'mm/s' })) });
  }
  return assets;
}

/** The child process: serves the plant and updates every variable every `updateMs`. */
async function serve(items: number, updateMs: number): Promise<void> {
  const assets = plant(items);
  const server = await startPlantOpcuaServer(assets, {
    port: await freePort(), host: '127.0.0.1', pkiDir: path.join(os.tmpdir(), 'pdm-opcua-bench-pki'),
    allowAnonymous: true, users: [], securityModes: ['None'],
  });
  const keys = assets.flatMap((a) => a.sensors.map((s) => ({ asset: a.asset, sensor: s.sensor })));
  let tick = 0;
  let updated = 0;
  const started = performance.now();
  const timer = setInterval(() => {
    tick++;
    const ts = Date.now();
    const batch: Reading[] = keys.map((k, i) => ({ asset: k.asset, sensor: k.sensor, value: Math.sin(tick + i), ts }));
    server.update(batch);
    updated += batch.length;
  }, updateMs);
  process.send?.({ endpointUrl: server.endpointUrl, offeredPerSecond: (items * 1000) / updateMs } satisfies ServerReady);
  process.on('message', (msg) => {
    if (msg !== 'stop') return;
    clearInterval(timer);
    const seconds = (performance.now() - started) / 1000;
    process.send?.({ updatedPerSecond: updated / seconds });
    void server.stop().then(() => process.exit(0));
  });
}

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
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const rates: number[] = [];
  const cpuPerValue: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const before = values;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    const used = process.cpuUsage(cpu);
    const rate = ((values - before) * 1000) / (performance.now() - started);
    rates.push(rate);
    cpuPerValue.push((used.user + used.system) / Math.max(1, values - before));
    console.log(`run ${run + 1}: ${Math.round(rate).toLocaleString('en')} values/s, Node-RED process CPU ${cpuPerValue[run].toFixed(1)} µs per value`);
  }
  const median = [...rates].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  const updated = await new Promise<number>((resolve) => {
    child.on('message', (msg) => resolve((msg as { updatedPerSecond: number }).updatedPerSecond));
    child.send('stop');
  });
  await runtime.stop();
  console.log(`server offered ${Math.round(ready.offeredPerSecond).toLocaleString('en')} values/s (achieved ${Math.round(updated).toLocaleString('en')}/s)`);
  console.log(`opcua-in: ${Math.round(median).toLocaleString('en')} values/s through the node, median of ${RUNS} runs of ${RUN_MS / 1000} s, ${items} monitored items (goal ≥ ${GOAL.toLocaleString('en')})`);
  const medianCpu = [...cpuPerValue].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  console.log(`Node-RED side: ${medianCpu.toFixed(1)} µs CPU per value (client, node and sink), i.e. about ${Math.round(1e6 / medianCpu).toLocaleString('en')} values/s per core`);
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
