/**
 * spectrum throughput: 1 s accelerometer waveforms at 12.8 kHz and 25.6 kHz, as plain calls on
 * the analysis core (one thread, or a pool of worker threads, one per core) and through the node
 * inside an embedded Node-RED runtime (inject → spectrum → test sinks on all three outputs).
 *
 *   node dist/test/bench/spectrum-throughput.js [seconds=3] [filter]
 *
 * `filter` keeps the cases whose label holds every word of it, e.g. "25.6 workers".
 * Prints figures only; nothing is asserted. Goal: ≥ 2,000 waveforms/s. Core and Node-RED figures
 * are also given per second of CPU time used (all threads), which a loaded machine disturbs less
 * than the wall clock; the Node-RED figure adds the flow thread's busy time per waveform (what
 * the workers do not take over), and every line ends with the load average before and after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateWaveform } from '../../nodes/lib/sim/waveform';
import { VibrationAnalyzer } from '../../nodes/lib/vibration/analyzer';
import { settingsFromConfig, type SpectrumConfig } from '../../nodes/lib/vibration/config';
import { loadFft } from '../../nodes/lib/vibration/fft';
import { AnalysisPool } from '../../nodes/lib/vibration/pool';
import { onTab, startRuntime, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const RATES = [12_800, 25_600];
const DISTINCT = 16;
const REPEATS = 3;

function waveforms(sampleRate: number): Float32Array[] {
  return Array.from({ length: DISTINCT }, (_, i) => Float32Array.from(generateWaveform({
    sampleRate, samples: sampleRate, rpm: 1500 + 60 * i, fault: i % 2 === 0 ? 'outer-race' : 'normal', damage: 0.4, seed: i + 1, snrDb: 10,
  }).samples));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Waveforms per second of wall-clock time, and per second of this process's CPU time (steadier on a shared machine). */
interface Rate {
  wall: number;
  cpu: number;
}

/** Keeps `inFlight` waveforms submitted until `seconds` have passed and all are answered; returns how many completed. */
async function pumped(submit: (i: number) => Promise<void>, inFlight: number, seconds: number): Promise<{ completed: number; elapsedS: number }> {
  let completed = 0;
  let sent = 0;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (sent - completed < inFlight && performance.now() - started < seconds * 1000) {
        submit(sent++).then(() => {
          completed++;
          if (completed >= sent && performance.now() - started >= seconds * 1000) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  return { completed, elapsedS: (performance.now() - started) / 1000 };
}

async function poolRate(config: SpectrumConfig, sampleRate: number, payloads: Float32Array[], seconds: number): Promise<Rate> {
  const settings = settingsFromConfig(config);
  const pool = new AnalysisPool(settings.workers, { analyzer: settings.analyzer, chart: settings.chart });
  const submit = async (i: number): Promise<void> => {
    const k = i % payloads.length;
    const outcome = await pool.analyze({ samples: payloads[k], sampleRate, rpm: 1500 + 60 * k, unit: 'g', asset: 'a', sensor: 's', start: 0 });
    if (!outcome.ok) throw new Error(outcome.error.reason);
  };
  try {
    await pumped(submit, 4 * pool.size, 1);
    const cpuBefore = process.cpuUsage();
    const { completed, elapsedS } = await pumped(submit, 4 * pool.size, seconds);
    const cpu = process.cpuUsage(cpuBefore);
    return { wall: completed / elapsedS, cpu: completed / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    await pool.close();
  }
}

function coreRate(config: SpectrumConfig, sampleRate: number, payloads: Float32Array[], seconds: number): Rate {
  const analyzer = new VibrationAnalyzer(settingsFromConfig(config).analyzer);
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const outcome = analyzer.analyze({
        samples: payloads[i % payloads.length], sampleRate, rpm: 1500 + 60 * (i % payloads.length), unit: 'g', asset: 'a', sensor: 's', start: 0,
      });
      if (!outcome.ok) throw new Error(outcome.error.reason);
    }
  };
  run(50);
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    run(20);
    count += 20;
  }
  const wall = count / ((performance.now() - started) / 1000);
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: count / ((cpu.user + cpu.system) / 1e6) };
}

/**
 * The package's node list in package.json names the nodes the runtime loads; until spectrum is
 * on it, a directory holding links to the compiled node makes the runtime load it anyway.
 */
function extraNodesDir(): string | undefined {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { 'node-red'?: { nodes?: Record<string, string> } };
  if (pkg['node-red']?.nodes?.spectrum) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-spectrum-'));
  const built = path.join(projectRoot, 'dist', 'nodes');
  for (const name of ['spectrum.js', 'spectrum.html', 'icons', 'locales']) fs.symlinkSync(path.join(built, name), path.join(dir, name));
  return dir;
}

function flow(config: SpectrumConfig): FlowNode[] {
  return onTab([
    { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['sp']], x: 100, y: 100 },
    { id: 'sp', type: 'spectrum', ...config, wires: [['features'], ['diagnosis'], ['chart']], x: 300, y: 100 },
    { id: 'features', type: 'test-sink', wires: [], x: 500, y: 60 },
    { id: 'diagnosis', type: 'test-sink', wires: [], x: 500, y: 100 },
    { id: 'chart', type: 'test-sink', wires: [], x: 500, y: 140 },
  ]);
}

/** Also the flow thread's busy time per waveform, µs. */
interface RuntimeRate extends Rate {
  flowThreadUs: number;
}

async function runtimeRate(runtime: EmbeddedRuntime, sampleRate: number, payloads: Float32Array[], seconds: number): Promise<RuntimeRate> {
  const source = runtime.node('src');
  const inFlight = 8;
  let completed = 0;
  let failed = 0;
  let sent = 0;
  const cpuBefore = process.cpuUsage();
  const busyBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const elapsedMs = (): number => performance.now() - started;
  // Sends are topped up as waveforms complete (not by polling), so an idle flow thread leaves the cores to the workers.
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent - completed < inFlight && elapsedMs() < seconds * 1000) {
        const i = sent++ % payloads.length;
        source.send({ payload: payloads[i], sampleRate, rpm: 1500 + 60 * i, asset: 'a', sensor: 's' } as never);
      }
      if (completed >= sent && elapsedMs() >= seconds * 1000) resolve();
    };
    runtime.RED.hooks.add('onComplete.spectrumBench', (event: { node: { id: string }; error?: unknown }) => {
      if (event.node.id !== 'sp') return;
      completed++;
      if (event.error) failed++;
      setImmediate(pump);
    });
    pump();
  });
  const elapsedS = elapsedMs() / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const busy = performance.eventLoopUtilization(busyBefore);
  runtime.RED.hooks.remove('onComplete.spectrumBench');
  if (failed > 0) throw new Error(`${failed} waveforms failed: ${JSON.stringify(runtime.logs.slice(-3))}`);
  return { wall: completed / elapsedS, cpu: completed / ((cpu.user + cpu.system) / 1e6), flowThreadUs: (busy.active * 1000) / completed };
}

function load(): string {
  return os.loadavg()[0].toFixed(1);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const wanted = (process.argv[3] ?? '').split(/\s+/).filter(Boolean);
  const cores = os.cpus().length;
  const cases: Array<{ name: string; config: SpectrumConfig }> = [
    { name: 'features + diagnosis', config: {} },
    { name: '+ chart output', config: { chart: 'spectrum' } },
    { name: `${cores} workers`, config: { workers: cores } },
  ];
  const fft = await loadFft();
  const nodesDir = extraNodesDir();
  const testNodes = path.join(projectRoot, 'dist', 'test', 'support', 'nodes');
  const runtime = await startRuntime(flow({}), nodesDir ? { settings: { nodesDir: [projectRoot, testNodes, nodesDir] } } : {});
  console.log(`spectrum throughput, 1 s waveforms (Float32Array), segment auto, median of ${REPEATS} runs of ${seconds} s; ${cores} cores, Node ${process.version}, FFT ${fft}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  console.log('  waveforms/s by the wall clock (per CPU-second of all threads); flow thread: its busy µs per waveform in Node-RED');
  try {
    for (const sampleRate of RATES) {
      const payloads = waveforms(sampleRate);
      for (const c of cases) {
        const label = `${(sampleRate / 1000).toFixed(1)} kHz ${c.name}`;
        if (!wanted.every((word) => label.includes(word))) continue;
        const loadBefore = load();
        const core: Rate[] = [];
        const inRuntime: RuntimeRate[] = [];
        for (let r = 0; r < REPEATS; r++) {
          core.push(settingsFromConfig(c.config).workers > 0
            ? await poolRate(c.config, sampleRate, payloads, seconds)
            : coreRate(c.config, sampleRate, payloads, seconds));
          await runtime.deploy(flow(c.config));
          await runtimeRate(runtime, sampleRate, payloads, 1);
          inRuntime.push(await runtimeRate(runtime, sampleRate, payloads, seconds));
        }
        const segment = new VibrationAnalyzer(settingsFromConfig(c.config).analyzer).segmentSizeFor(sampleRate, sampleRate, 25);
        const wall = (rates: Rate[]): string => fmt(median(rates.map((rate) => rate.wall)));
        const cpu = (rates: Rate[]): string => fmt(median(rates.map((rate) => rate.cpu)));
        console.log(
          `  ${(sampleRate / 1000).toFixed(1)} kHz (segment ${segment}) ${c.name.padEnd(20)}` +
            ` core ${wall(core).padStart(5)}/s (${cpu(core).padStart(5)})` +
            `  Node-RED ${wall(inRuntime).padStart(5)}/s (${cpu(inRuntime).padStart(5)}; flow thread ${fmt(median(inRuntime.map((rate) => rate.flowThreadUs)))} µs)` +
            `  runs: core ${core.map((rate) => fmt(rate.wall)).join(', ')}; Node-RED ${inRuntime.map((rate) => fmt(rate.wall)).join(', ')}` +
            `  load ${loadBefore}→${load()}`,
        );
      }
    }
  } finally {
    await runtime.stop();
    if (nodesDir) fs.rmSync(nodesDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
