/**
 * Remaining useful life on NASA C-MAPSS FD001: fitted on the 100 training engines (run to
 * failure), scored on the 100 test engines at their last observed cycle against RUL_FD001.txt.
 *
 *   node dist/test/bench/rul-cmapss.js [dataDir=../shared/datasets/cmapss]
 *
 * Goal: RMSE ≤ 16 cycles (the deep LSTM of Zheng et al. 2017 reports 16.14 with the same
 * capped target). Prints figures only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_RUL_OPTIONS, NeighbourRul, type RulOptions } from '../../nodes/lib/health/rul-neighbours';

/** Sensor columns 6–26 of the files (0-based 5–25); settings and the unit/cycle columns are left out. */
const FIRST_SENSOR = 5;
const GOAL = 16;

type Engine = number[][];

function readEngines(file: string): Engine[] {
  const engines = new Map<number, Engine>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/).map(Number);
    if (cols.length < 26) continue;
    const unit = cols[0];
    if (!engines.has(unit)) engines.set(unit, []);
    engines.get(unit)?.push(cols.slice(FIRST_SENSOR, 26));
  }
  return [...engines.keys()].sort((a, b) => a - b).map((u) => engines.get(u) as Engine);
}

function rmse(predicted: number[], truth: number[]): number {
  return Math.sqrt(predicted.reduce((s, p, i) => s + (p - truth[i]) ** 2, 0) / truth.length);
}

/** PHM08 score: late predictions cost more than early ones. */
function phmScore(predicted: number[], truth: number[]): number {
  return predicted.reduce((s, p, i) => {
    const d = p - truth[i];
    return s + (d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1);
  }, 0);
}

function main(): void {
  const dir = path.resolve(process.argv[2] ?? path.resolve(__dirname, '../../..', '../shared/datasets/cmapss'));
  const train = readEngines(path.join(dir, 'train_FD001.txt'));
  const test = readEngines(path.join(dir, 'test_FD001.txt'));
  const truth = fs.readFileSync(path.join(dir, 'RUL_FD001.txt'), 'utf8').trim().split(/\s+/).map(Number);
  if (test.length !== truth.length) throw new Error(`${test.length} test engines but ${truth.length} RUL values`);
  const mean = truth.reduce((s, v) => s + v, 0) / truth.length;
  console.log(`C-MAPSS FD001: ${train.length} training engines (run to failure), ${test.length} test engines, RUL at the last test cycle`);
  const run = (options: RulOptions): { rmse: number; score: number; fitMs: number; predictMs: number } => {
    const t0 = performance.now();
    const model = NeighbourRul.fit(train, options);
    const t1 = performance.now();
    const predicted = test.map((engine) => model.predict(engine));
    const t2 = performance.now();
    return { rmse: rmse(predicted, truth), score: phmScore(predicted, truth), fitMs: t1 - t0, predictMs: (t2 - t1) / test.length };
  };
  const best = run(DEFAULT_RUL_OPTIONS);
  const o = DEFAULT_RUL_OPTIONS;
  console.log(
    `  nearest-neighbour RUL (k ${o.neighbours}, smoothing ${o.smoothWindow} cycles, slope over ${o.slopeWindow}, target capped at ${o.cap}): ` +
      `RMSE ${best.rmse.toFixed(2)} cycles   goal ≤ ${GOAL}   ${best.rmse <= GOAL ? 'met' : 'NOT met'}   PHM08 score ${best.score.toFixed(0)}` +
      `   (fit ${best.fitMs.toFixed(0)} ms, ${best.predictMs.toFixed(1)} ms per engine)`,
  );
  console.log(`  mean predictor (${mean.toFixed(1)} cycles for every engine, using the test labels): RMSE ${rmse(truth.map(() => mean), truth).toFixed(2)}   deep LSTM (published) 16.14`);
  const variants: Array<Partial<RulOptions>> = [{ neighbours: 20 }, { neighbours: 100 }, { smoothWindow: 10 }, { smoothWindow: 15 }, { cap: 130 }];
  console.log(`  sensitivity: ${variants.map((v) => `${JSON.stringify(v)} ${run({ ...o, ...v }).rmse.toFixed(2)}`).join(' · ')}`);
}

main();
