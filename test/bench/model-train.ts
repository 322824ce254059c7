/**
 * Training time for 100,000 rows × 8 features (goal of the model-train issue), PCA T²+Q and the
 * dense autoencoder (8→16→4→16→8, tanh, Adam, batch 64, at most 60 epochs with early stopping),
 * and the longest event-loop stall while it runs:
 * - main thread: `trainModel` on the event loop, handing it back between slices of work as
 *   model-train did before it trained in a worker thread (the PCA fit is one slice);
 * - worker thread: `trainInWorker`, as model-train trains now;
 * - node: a model-train node in an embedded Node-RED (message in → registered model out).
 * CPU seconds (of the whole process, worker threads included) are printed beside wall time
 * because the machine may be shared.
 *
 *   node dist/test/bench/model-train.js [rows=100000]
 *
 * Prints figures only; nothing is asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Dataset } from '../../nodes/lib/ml/dataset';
import { trainInWorker } from '../../nodes/lib/ml/train-thread';
import { DEFAULT_TRAIN_OPTIONS, trainModel, type ModelKind, type TrainedModel } from '../../nodes/lib/ml/train';
import { gaussian } from '../../nodes/lib/sim/waveform';
import { onSink, onTab, startRuntime } from '../support/runtime';

const ROWS = Number(process.argv[2] ?? 100_000);
const FEATURES = ['flow', 'pressure', 'current', 'voltage', 'temperature', 'vibration', 'speed', 'power'];

/** Eight pump-like features driven by two latent factors (load, temperature) plus noise. */
function workload(rows: number): Dataset {
  const g = gaussian(7);
  const d = FEATURES.length;
  const data = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const load = Math.sin(i / 500) + 0.3 * g();
    const heat = Math.cos(i / 3000) + 0.2 * g();
    const row = [120 * load, 3 * load + heat, 18 * load, 400 - 2 * load, 40 + 10 * heat + 2 * load, 1.5 + 0.5 * load * load, 1480 - 5 * load, 9 * load + heat];
    for (let j = 0; j < d; j++) data[i * d + j] = row[j] + 0.05 * g();
  }
  return { features: FEATURES, rows, data, ts: Float64Array.from({ length: rows }, (_, i) => 1_700_000_000_000 + i * 1000) };
}

interface Measured<T> {
  result: T;
  seconds: number;
  cpuSeconds: number;
  /** Longest event-loop delay while the work ran (ms). */
  stallMs: number;
}

async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  delay.disable();
  return { result, seconds, cpuSeconds: (used.user + used.system) / 1e6, stallMs: delay.max / 1e6 };
}

const TRAINERS: Record<string, (dataset: Dataset, kind: ModelKind) => Promise<TrainedModel>> = {
  'main thread': (dataset, kind) => trainModel(dataset, { ...DEFAULT_TRAIN_OPTIONS, kind, name: `bench-${kind}` }, {
    pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
  }),
  'worker thread': (dataset, kind) => trainInWorker(dataset, { ...DEFAULT_TRAIN_OPTIONS, kind, name: `bench-${kind}` }),
};

async function core(dataset: Dataset, kind: ModelKind, where: string): Promise<void> {
  const { result, seconds, cpuSeconds, stallMs } = await measured(() => TRAINERS[where](dataset, kind));
  const m = result.meta.metrics;
  const detail = kind === 'pca'
    ? `${m.components} components, explained ${(100 * m.explainedVariance).toFixed(1)} %`
    : `${m.epochs} epochs kept, held-back loss ${m.initialLoss.toPrecision(3)} → ${m.heldBackLoss.toPrecision(3)}`;
  console.log(`${where.padEnd(13)} ${kind.padEnd(11)} ${dataset.rows} × ${dataset.features.length}: ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU, longest event-loop stall ${stallMs.toFixed(0)} ms (${detail}; ONNX ${result.onnx.length} bytes)`);
}

/** One runtime (Node-RED is a singleton per process) with a model-train node per kind. */
async function throughNodes(dataset: Dataset, kinds: readonly ModelKind[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-models-'));
  const runtime = await startRuntime(onTab(kinds.flatMap((kind, k) => [
    { id: `src-${kind}`, type: 'inject', repeat: '', once: false, wires: [[`train-${kind}`]], x: 100, y: 100 + 60 * k },
    { id: `train-${kind}`, type: 'model-train', modelName: `bench-${kind}`, kind, registryDir: dir, promote: 'always', wires: [[`sink-${kind}`]], x: 300, y: 100 + 60 * k },
    { id: `sink-${kind}`, type: 'test-sink', wires: [], x: 500, y: 100 + 60 * k },
  ])), { quiet: true });
  try {
    const d = dataset.features.length;
    for (const kind of kinds) {
      const payload = Array.from({ length: dataset.rows }, (_, i) => ({
        ts: dataset.ts?.[i],
        features: Object.fromEntries(FEATURES.map((f, j) => [f, dataset.data[i * d + j]])),
      }));
      const done = new Promise<void>((resolve) => onSink(`sink-${kind}`, () => resolve()));
      const { seconds, stallMs } = await measured(async () => {
        runtime.inject(`src-${kind}`, { payload });
        await done;
      });
      console.log(`${'node'.padEnd(13)} ${kind.padEnd(11)} ${dataset.rows} × ${d}: ${seconds.toFixed(2)} s message in → model registered; longest event-loop stall ${stallMs.toFixed(0)} ms`);
    }
  } finally {
    await runtime.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dataset = workload(ROWS);
  console.log(`model training, ${ROWS} rows × ${FEATURES.length} features (75 % trained, 25 % held back for the threshold)`);
  for (const where of Object.keys(TRAINERS)) for (const kind of ['pca', 'autoencoder'] as const) await core(dataset, kind, where);
  await throughNodes(dataset, ['pca', 'autoencoder']);
  console.log('goal: report the training time for 100,000 rows × 8 features');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
