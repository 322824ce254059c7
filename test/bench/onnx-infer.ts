/**
 * onnx-infer inside a real Node-RED runtime (RED.init + RED.start): batched throughput,
 * micro-batched single-vector throughput, and single-vector latency at a steady rate; beside
 * them the same model through the onnxruntime adapter alone (the ceiling).
 *
 *   node dist/test/bench/onnx-infer.js [features=8]
 *
 * Goals: ≥ 100,000 feature vectors/s batched; single-vector p99 ≤ 1 ms. Prints figures only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { OnnxSession } from '../../nodes/lib/ml/onnx-runtime';
import { distanceModel } from '../support/onnx-models';
import { onSink, onTab, startRuntime, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import { fmt, median, percentile } from './chain-workload';

const REPEATS = 3;

/** test-sink nodes keep the callback registered when they start, so one dispatcher is registered before any deploy. */
let onOut: (msg: { _seq?: number }) => void = () => undefined;
onSink('out', (msg) => onOut(msg as { _seq?: number }));

function flow(file: string, features: string[], maxBatch: number, maxWait: number): FlowNode[] {
  return onTab([
    { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['infer']], x: 100, y: 100 },
    { id: 'infer', type: 'onnx-infer', source: 'file', file, features: features.join(','), maxBatch, maxWait, wires: [['out']], x: 300, y: 100 },
    { id: 'out', type: 'test-sink', wires: [], x: 500, y: 100 },
  ]);
}

function vectors(n: number, f: number, seed: number): number[][] {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: n }, () => Array.from({ length: f }, () => next() * 2 - 1));
}

/** Sends msgs keeping at most `inFlight` unanswered; returns vectors/s. */
async function pump(runtime: EmbeddedRuntime, msgs: Array<number[] | number[][]>, perMsg: number, inFlight: number): Promise<number> {
  let answered = 0;
  onOut = () => {
    answered++;
  };
  const source = runtime.node('src');
  let sent = 0;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    let lastAnswered = 0;
    let lastProgress = started;
    const step = (): void => {
      while (sent < msgs.length && sent - answered < inFlight) source.send({ topic: `pump-${sent % 100}`, payload: msgs[sent++] } as never);
      const now = performance.now();
      if (answered !== lastAnswered) [lastAnswered, lastProgress] = [answered, now];
      if (answered >= msgs.length) resolve();
      else if (now - lastProgress > 10_000) reject(new Error(`stalled at ${answered} of ${msgs.length}; logs ${JSON.stringify(runtime.logs.slice(-3))}`));
      else setImmediate(step);
    };
    step();
  });
  return (msgs.length * perMsg) / ((performance.now() - started) / 1000);
}

async function latency(runtime: EmbeddedRuntime, rows: number[][], rate: number): Promise<number[]> {
  const sentAt = new Float64Array(rows.length);
  const latencies: number[] = [];
  onOut = (msg) => {
    if (msg._seq !== undefined) latencies.push(performance.now() - sentAt[msg._seq]);
  };
  const source = runtime.node('src');
  let i = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(rows.length, Math.round(((performance.now() - started) / 1000) * rate) + 1);
      while (i < due) {
        sentAt[i] = performance.now();
        source.send({ topic: 'pump-1', payload: rows[i], _seq: i } as never);
        i++;
      }
      if (i >= rows.length) setTimeout(resolve, 200);
      else setTimeout(tick, 1);
    };
    tick();
  });
  return latencies.slice(Math.floor(latencies.length * 0.2)).sort((a, b) => a - b);
}

async function plain(file: string, f: number): Promise<{ batched: number; p50: number; p99: number }> {
  const session = await OnnxSession.create(file);
  try {
    const batch = Float32Array.from(vectors(1000, f, 3).flat());
    const rounds = 300;
    for (let r = 0; r < 20; r++) await session.run('features', batch, 1000, f);
    const started = performance.now();
    for (let r = 0; r < rounds; r++) await session.run('features', batch, 1000, f);
    const batched = (rounds * 1000) / ((performance.now() - started) / 1000);
    const one = batch.subarray(0, f);
    const times: number[] = [];
    for (let r = 0; r < 5000; r++) {
      const t = performance.now();
      await session.run('features', one, 1, f);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { batched, p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
  } finally {
    await session.close();
  }
}

async function main(): Promise<void> {
  const f = Number(process.argv[2] ?? 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-onnx-'));
  const file = path.join(dir, 'distance.onnx');
  fs.writeFileSync(file, distanceModel({ mean: new Array<number>(f).fill(0), threshold: f * 4 }));
  const features = Array.from({ length: f }, (_, i) => `s${i}.mean`);
  const runtime = await startRuntime(flow(file, features, 1024, 0));
  try {
    console.log(`onnx-infer, a ${f}-feature model (standardised squared distance), onnxruntime-node, 1 intra-op thread`);
    const batched: number[] = [];
    const single: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      await runtime.deploy(flow(file, features, 1024, 0));
      const big = Array.from({ length: 300 }, (_, i) => vectors(1000, f, 100 * r + i));
      batched.push(await pump(runtime, big, 1000, 8));
      await runtime.deploy(flow(file, features, 256, 0));
      single.push(await pump(runtime, vectors(100_000, f, r + 1), 1, 2000));
    }
    const b = median(batched);
    console.log(`  batched, msgs of 1,000 vectors       ${fmt(b).padStart(10)} vectors/s   goal ≥ 100,000   ${b >= 100_000 ? 'met' : 'NOT met'}   (median of ${REPEATS}: ${batched.map((v) => fmt(v)).join(', ')})`);
    console.log(`  one vector per msg, micro-batched    ${fmt(median(single)).padStart(10)} vectors/s   (max batch 256, max wait 0; median of ${REPEATS}: ${single.map((v) => fmt(v)).join(', ')})`);
    await runtime.deploy(flow(file, features, 256, 0));
    const rate = 1000;
    const lat = await latency(runtime, vectors(12 * rate, f, 9), rate);
    const p99 = percentile(lat, 0.99);
    console.log(
      `  single-vector latency, ${fmt(rate)} msgs/s  p50 ${percentile(lat, 0.5).toFixed(3)} ms   p99 ${p99.toFixed(3)} ms   goal p99 ≤ 1 ms   ${p99 <= 1 ? 'met' : 'NOT met'}` +
        `   max ${lat[lat.length - 1].toFixed(2)} ms (inject → onnx-infer → sink, max wait 0, ${fmt(lat.length)} msgs after warm-up)`,
    );
    const ceiling = await plain(file, f);
    console.log(`  adapter alone: batches of 1,000 ${fmt(ceiling.batched)} vectors/s; one vector p50 ${ceiling.p50.toFixed(3)} ms, p99 ${ceiling.p99.toFixed(3)} ms`);
  } finally {
    await runtime.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
