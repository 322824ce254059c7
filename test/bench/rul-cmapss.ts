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
import { Matrix, solve } from 'ml-matrix';
import { DEFAULT_HEALTH_OPTIONS } from '../../nodes/lib/health/config';
import { DEFAULT_RUL_OPTIONS, NeighbourRul, type RulOptions } from '../../nodes/lib/health/rul-neighbours';
import { HealthTracker } from '../../nodes/lib/health/tracker';

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

const HOUR = 3_600_000;

/**
 * health-score's own RUL: a health index fitted by least squares from the sensors to the
 * fraction of life used (0 new, 1 failed), fed cycle by cycle (one cycle = one hour) to the
 * tracker with the failure threshold at 1; its linear trend extrapolation gives the RUL.
 * Engines without a rising trend get the cap.
 */
function trendRul(train: Engine[], test: Engine[], cap: number): number[] {
  const used = train[0][0].map((_, j) => j).filter((j) => {
    const values = train.flatMap((e) => e.map((row) => row[j]));
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length) > 1e-3;
  });
  const design = (row: number[]): number[] => [1, ...used.map((j) => row[j])];
  const x = new Matrix(train.flatMap((e) => e.map(design)));
  const y = Matrix.columnVector(train.flatMap((e) => e.map((_, i) => i / (e.length - 1))));
  const w = solve(x, y).to1DArray();
  const index = (row: number[]): number => design(row).reduce((s, v, k) => s + v * w[k], 0);
  return test.map((engine, n) => {
    const tracker = new HealthTracker({ ...DEFAULT_HEALTH_OPTIONS, indicatorSensor: 'hi', failureThreshold: 1, baseline: 0, trendModel: 'linear', trendPoints: 60 }, () => 0);
    const asset = `engine-${n + 1}`;
    engine.forEach((row, i) => tracker.indicator(asset, index(row), i * HOUR));
    const rul = tracker.report(asset)?.predictedFailure?.rulHours;
    return rul === undefined ? cap : Math.max(0, Math.min(cap, rul));
  });
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
  const trend = trendRul(train, test, o.cap);
  console.log(`  health-score trend extrapolation of a regression health index (linear, last 60 cycles): RMSE ${rmse(trend, truth).toFixed(2)}   PHM08 score ${phmScore(trend, truth).toFixed(0)}`);
  console.log(`  mean predictor (${mean.toFixed(1)} cycles for every engine, using the test labels): RMSE ${rmse(truth.map(() => mean), truth).toFixed(2)}   deep LSTM (published) 16.14`);
  const variants: Array<Partial<RulOptions>> = [{ neighbours: 20 }, { neighbours: 100 }, { smoothWindow: 10 }, { smoothWindow: 15 }, { cap: 130 }];
  console.log(`  sensitivity: ${variants.map((v) => `${JSON.stringify(v)} ${run({ ...o, ...v }).rmse.toFixed(2)}`).join(' · ')}`);
}

main();
