/**
 * data-quality → window-stats → anomaly-detect, measured inside a real Node-RED runtime
 * (RED.init + RED.start) and as plain function calls on the same cores (the ceiling).
 *
 *   node dist/test/bench/chain.js throughput [keys=10000]   batches of 1,000 and single-reading msgs
 *   node dist/test/bench/chain.js latency [rate=10000]      reading → anomaly-detect output, p50/p99/max, with
 *                                                            warm keys, baselines saved every 5 s, and the GC
 *   node dist/test/bench/chain.js memory <keys>             RSS once every key has state
 *
 * Prints figures only; nothing is asserted.
 */
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { detectPayload } from '../../nodes/lib/anomaly/batch';
import { settingsFromConfig } from '../../nodes/lib/anomaly/config';
import { AnomalyDetector } from '../../nodes/lib/anomaly/detector';
import { DataQualityChecker, qualityConfigFromEditor } from '../../nodes/lib/quality';
import type { Reading } from '../../nodes/lib/reading';
import { optionsFromConfig } from '../../nodes/lib/stats/config';
import { WindowEngine } from '../../nodes/lib/stats/window-engine';
import { onSink, onTab, startRuntime, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import {
  batches, detectConfig, fmt, median, percentile, qualityConfig, windowConfig, workload,
} from './chain-workload';

const REPEATS = 3;

function debug(text: string): void {
  if (process.env.BENCH_DEBUG) console.error(text);
}

function chainFlow(withWindows: boolean, detect: Partial<typeof detectConfig> = {}): FlowNode[] {
  const afterQuality = withWindows ? 'ws' : 'ad';
  const nodes: FlowNode[] = [
    { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['dq']], x: 100, y: 100 },
    { id: 'dq', type: 'data-quality', ...qualityConfig, wires: [[afterQuality], ['rejected']], x: 300, y: 100 },
    { id: 'ad', type: 'anomaly-detect', ...detectConfig, ...detect, wires: [['events'], ['normal']], x: 700, y: 100 },
    { id: 'events', type: 'test-sink', wires: [], x: 900, y: 80 },
    { id: 'normal', type: 'test-sink', wires: [], x: 900, y: 120 },
    { id: 'rejected', type: 'test-sink', wires: [], x: 900, y: 160 },
  ];
  if (withWindows) nodes.push({ id: 'ws', type: 'window-stats', ...windowConfig, wires: [['ad'], ['rejected']], x: 500, y: 100 });
  return onTab(nodes);
}

/** The same chain as plain calls on the cores, in one loop. */
function plainChain(): (payload: Reading | Reading[]) => number {
  const checker = new DataQualityChecker(qualityConfigFromEditor(qualityConfig));
  const engine = new WindowEngine(optionsFromConfig(windowConfig));
  const settings = settingsFromConfig(detectConfig);
  const detector = new AnomalyDetector(settings.detector);
  const options = { features: settings.features, maxBatch: 100_000 };
  return (payload) => {
    const outcome = checker.check(payload, undefined);
    for (const reading of outcome.accepted) engine.add(reading);
    const closed = engine.takeClosed();
    let events = 0;
    for (const window of closed) events += detectPayload(detector, window.stats, undefined, options).events.length;
    return events;
  };
}

/**
 * Feeds msgs through the runtime keeping at most `inFlight` unfinished, and returns readings/s.
 * A msg is finished when node `last` (window-stats, or anomaly-detect without it) completes it.
 */
async function runThroughput(
  runtime: EmbeddedRuntime, msgs: Reading[][] | Reading[], readingsPerMsg: number, last = 'ws',
): Promise<number> {
  let completed = 0;
  runtime.RED.hooks.add('onComplete.bench', (event: { node: { id: string } }) => {
    if (event.node.id === last) completed++;
  });
  const source = runtime.node('src');
  const inFlight = readingsPerMsg > 1 ? 16 : 2000;
  const started = performance.now();
  let sent = 0;
  let lastProgress = started;
  let lastCompleted = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (sent < msgs.length && sent - completed < inFlight) source.send({ payload: msgs[sent++] } as never);
      const now = performance.now();
      if (completed !== lastCompleted) [lastCompleted, lastProgress] = [completed, now];
      if (completed >= msgs.length) resolve();
      else if (now - lastProgress > 10_000) reject(new Error(`stalled: ${completed} of ${msgs.length} msgs done; logs: ${JSON.stringify(runtime.logs.slice(-3))}`));
      else setImmediate(pump);
    };
    pump();
  });
  const elapsed = (performance.now() - started) / 1000;
  runtime.RED.hooks.remove('onComplete.bench');
  return (msgs.length * readingsPerMsg) / elapsed;
}

function plainThroughput(msgs: Reading[][] | Reading[], readingsPerMsg: number): number {
  const run = plainChain();
  const started = performance.now();
  for (const payload of msgs) run(payload);
  return (msgs.length * readingsPerMsg) / ((performance.now() - started) / 1000);
}

async function throughput(keys: number): Promise<void> {
  const load = workload(keys);
  const runtime = await startRuntime(chainFlow(true));
  try {
    const cases: Array<{ name: string; perMsg: number; total: number }> = [
      { name: 'batches of 1,000 readings', perMsg: 1000, total: 3_000_000 },
      { name: 'one reading per msg', perMsg: 1, total: 600_000 },
    ];
    console.log(`chain data-quality → window-stats (10 s tumbling, event time) → anomaly-detect, ${fmt(keys)} keys`);
    for (const c of cases) {
      const prepared = batches(load, c.total, c.perMsg);
      const msgs = c.perMsg === 1 ? prepared.map((b) => b[0]) : prepared;
      const inRuntime: number[] = [];
      const plain: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        debug(`repeat ${r}: deploy`);
        await runtime.deploy(chainFlow(true));
        debug(`repeat ${r}: runtime`);
        inRuntime.push(await runThroughput(runtime, shiftedCopy(msgs, r), c.perMsg));
        debug(`repeat ${r}: plain`);
        plain.push(plainThroughput(shiftedCopy(msgs, r), c.perMsg));
      }
      const rt = median(inRuntime);
      const pc = median(plain);
      console.log(
        `  ${c.name.padEnd(28)} runtime ${fmt(rt).padStart(10)} readings/s (${fmt(rt / c.perMsg)} msgs/s)` +
          `   plain calls ${fmt(pc).padStart(10)} readings/s   runtime/plain ${(rt / pc).toFixed(2)}` +
          `   (median of ${REPEATS}: ${inRuntime.map((v) => fmt(v)).join(', ')})`,
      );
    }
  } finally {
    await runtime.stop();
  }
}

/** Each repeat gets fresh reading objects an hour later in event time, so no stage sees duplicates. */
function shiftedCopy(msgs: Reading[][] | Reading[], repeat: number): Reading[][] | Reading[] {
  const shift = repeat * 3_600_000;
  const copy = (r: Reading): Reading => ({ asset: r.asset, sensor: r.sensor, value: r.value, ts: r.ts + shift });
  if (Array.isArray(msgs[0])) return (msgs as Reading[][]).map((b) => b.map(copy));
  return (msgs as Reading[]).map(copy);
}

/** The latency flow saves the baselines to the node context as a deployment would, here every 5 s (default 30 s). */
const LATENCY_DETECT = { persistInterval: 5 };
/** Rounds every key receives before the timed stretch, so its baseline is warm and it is scored. */
const WARM_ROUNDS = Math.max(30, Number(detectConfig.warmUp) + 5);
/** One reading in ANOMALY_EVERY is raised by 40 (8σ or more for every workload sensor): the stretch has events. */
const ANOMALY_EVERY = 1000;

async function latency(rate: number): Promise<void> {
  const keys = 10_000;
  const load = workload(keys);
  const runtime = await startRuntime(chainFlow(false, LATENCY_DETECT));
  const seconds = 12;
  const total = rate * seconds;
  const offset = WARM_ROUNDS * keys;
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  const eventLatencies: number[] = [];
  const record = (into: number[][]) => (msg: { _benchSeq?: number }): void => {
    if (msg._benchSeq === undefined) return;
    const ms = performance.now() - sentAt[msg._benchSeq];
    for (const list of into) list.push(ms);
  };
  onSink('events', record([latencies, eventLatencies]) as never);
  onSink('normal', record([latencies]) as never);
  const gc = gcRecorder();
  try {
    await runtime.deploy(chainFlow(false, LATENCY_DETECT));
    // Every key learns its warm-up first (batches of 1,000), so the timed readings are scored.
    await runThroughput(runtime, batches(load, offset, 1000), 1000, 'ad');
    const source = runtime.node('src');
    const reading = (i: number): Reading => {
      const r = load.reading(offset + i);
      if (i % ANOMALY_EVERY === ANOMALY_EVERY / 2) r.value += 40;
      return r;
    };
    // Readings arrive spread over time as from many sensors: a few every millisecond, not bursts.
    const tickMs = 1;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    let i = 0;
    const started = performance.now();
    const warmFrom = Math.floor(total * 0.2);
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * rate) + perTick);
        while (i < due) {
          if (i === warmFrom) gc.start();
          sentAt[i] = performance.now();
          source.send({ payload: reading(i), _benchSeq: i } as never);
          i++;
        }
        if (i >= total) setTimeout(resolve, 200);
        else setTimeout(tick, tickMs);
      };
      tick();
    });
    const skip = (list: number[]): number[] => list.slice(Math.floor(list.length * 0.2)).sort((a, b) => a - b);
    const all = skip(latencies);
    const events = skip(eventLatencies);
    const figures = (sorted: number[]): string =>
      `p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, max ${sorted[sorted.length - 1].toFixed(2)} ms`;
    console.log(
      `latency reading → anomaly-detect output (data-quality → anomaly-detect), ${fmt(rate)} msgs/s offered, ` +
        `${fmt(keys)} warm keys, ${fmt(all.length)} msgs after warm-up: ${figures(all)} ` +
        `(received ${fmt(latencies.length)} of ${fmt(total)})`,
    );
    console.log(`  anomaly events only (${fmt(events.length)}, one reading in ${fmt(ANOMALY_EVERY)} raised): ${figures(events)}`);
    console.log(`  garbage collection meanwhile: ${gc.summary()}`);
  } finally {
    gc.stop();
    await runtime.stop();
  }
}

/** Bytes used outside the young generation: what promotion and old-space allocation add to. */
function oldGeneration(): number {
  return v8.getHeapSpaceStatistics().reduce((sum, s) => (s.space_name === 'new_space' ? sum : sum + s.space_used_size), 0);
}

/** Counts the collector's pauses (minor and major, with the longest) and the old generation's growth once started. */
function gcRecorder(): { start(): void; stop(): void; summary(): string } {
  const pauses = { minor: [] as number[], major: [] as number[] };
  let oldAtStart = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      (kind === constants.NODE_PERFORMANCE_GC_MAJOR ? pauses.major : pauses.minor).push(entry.duration);
    }
  });
  const describe = (name: string, list: number[]): string =>
    `${list.length} ${name} (longest ${list.length ? Math.max(...list).toFixed(1) : '0'} ms, total ${list.reduce((a, b) => a + b, 0).toFixed(0)} ms)`;
  return {
    start: () => {
      oldAtStart = oldGeneration();
      observer.observe({ entryTypes: ['gc'] });
    },
    stop: () => observer.disconnect(),
    summary: () =>
      `${describe('minor', pauses.minor)}, ${describe('major', pauses.major)}; old generation ` +
      `${fmt((oldGeneration() - oldAtStart) / 2 ** 20, 1)} MiB larger at the end (net of any major collection)`,
  };
}

async function memory(keys: number): Promise<void> {
  const runtime = await startRuntime(chainFlow(true));
  try {
    global.gc?.();
    const before = process.memoryUsage();
    const load = workload(keys);
    // 30 rounds: every key has quality state, open windows and a detector baseline. The
    // readings are made a chunk at a time so that they do not count as the chain's memory.
    const total = keys * 30;
    const chunk = 100_000;
    for (let offset = 0; offset < total; offset += chunk) {
      const msgs = batches({ ...load, reading: (i) => load.reading(offset + i) }, Math.min(chunk, total - offset), 1000);
      await runThroughput(runtime, msgs, 1000);
    }
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const after = process.memoryUsage();
    console.log(
      `memory with ${fmt(keys)} keys through the chain: RSS ${fmt(after.rss / 2 ** 20)} MiB ` +
        `(runtime alone ${fmt(before.rss / 2 ** 20)} MiB, +${fmt((after.rss - before.rss) / 2 ** 20)} MiB; ` +
        `heap used +${fmt((after.heapUsed - before.heapUsed) / 2 ** 20)} MiB, typed arrays ` +
        `+${fmt((after.arrayBuffers - before.arrayBuffers) / 2 ** 20)} MiB: ` +
        `${fmt((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / keys)} bytes per key)`,
    );
  } finally {
    await runtime.stop();
  }
}

async function main(): Promise<void> {
  const [mode = 'throughput', arg] = process.argv.slice(2);
  if (mode === 'throughput') await throughput(Number(arg ?? 10_000));
  else if (mode === 'latency') await latency(Number(arg ?? 10_000));
  else if (mode === 'memory') await memory(Number(arg ?? 10_000));
  else throw new Error(`unknown mode ${mode}: throughput, latency or memory`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
