/**
 * Runs every benchmark, each in its own process (Node-RED is a singleton and memory figures
 * need a fresh heap), and prints their figures in order. Data-set benchmarks read
 * ../shared/datasets by default; `npm run bench -- <name>` runs the ones whose name contains <name>.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

interface Bench {
  name: string;
  script: string;
  args: string[];
  nodeFlags?: string[];
}

const BENCHES: Bench[] = [
  { name: 'chain throughput', script: 'chain.js', args: ['throughput'] },
  { name: 'chain latency', script: 'chain.js', args: ['latency'] },
  { name: 'chain memory 10k keys', script: 'chain.js', args: ['memory', '10000'], nodeFlags: ['--expose-gc'] },
  { name: 'chain memory 100k keys', script: 'chain.js', args: ['memory', '100000'], nodeFlags: ['--expose-gc', '--max-old-space-size=8192'] },
  { name: 'detection skab', script: 'detection-skab.js', args: [] },
  { name: 'detection skab univariate', script: 'detection-skab-univariate.js', args: [] },
  { name: 'detection skab ml', script: 'detection-skab-ml.js', args: [] },
  { name: 'detection nab', script: 'detection-nab.js', args: [] },
  { name: 'spectrum throughput', script: 'spectrum-throughput.js', args: [] },
  { name: 'spectrum diagnosis', script: 'spectrum-diagnosis.js', args: [] },
  { name: 'storage write', script: 'storage-write.js', args: [] },
  { name: 'storage query', script: 'storage-query.js', args: [] },
  { name: 'model train', script: 'model-train.js', args: [] },
  { name: 'alert router', script: 'alert-router.js', args: [] },
  { name: 'modbus poll', script: 'modbus-poll.js', args: [] },
  { name: 'opcua-in values/s', script: 'opcua-in.js', args: ['2000', '50'] },
  { name: 'notify latency', script: 'notify-latency.js', args: ['100', '10', 'router', '10'] },
  { name: 'kafka throughput', script: 'kafka.js', args: ['throughput'] },
  { name: 'kafka rebalance', script: 'kafka.js', args: ['rebalance'] },
  { name: 'onnx-infer throughput and latency', script: 'onnx-infer.js', args: [] },
  { name: 'rul cmapss', script: 'rul-cmapss.js', args: [] },
];

const filters = process.argv.slice(2);
let failed = 0;
for (const bench of BENCHES) {
  if (filters.length > 0 && !filters.some((f) => bench.name.includes(f))) continue;
  const script = path.join(__dirname, bench.script);
  if (!fs.existsSync(script)) continue;
  console.log(`\n=== ${bench.name}`);
  const run = spawnSync(process.execPath, [...(bench.nodeFlags ?? []), script, ...bench.args], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    console.log(`(${bench.name} exited with ${run.status ?? run.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
