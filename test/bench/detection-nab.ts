/**
 * Early warning on NAB series with labelled failure windows: each value is scored as a stream
 * after NAB's probationary period (first 15 % of the file, at most 750 rows), which alone fits the
 * baseline and the limit. The detector is the shipped multivariate core on a one-sensor vector,
 * where T² is the squared z-score against the probationary baseline.
 *
 *   node dist/test/bench/detection-nab.js [dataDir]
 *
 * Every *.csv under dataDir (format `timestamp,value`) that has windows in dataDir/labels.json is scored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MultivariateStream, type MultivariateStreamOptions } from '../../nodes/lib/anomaly/multivariate-stream';
import { csvFiles, loadNabLabels, loadNabSeries, type NabLabels, type Series } from './datasets';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

interface Setup {
  name: string;
  options: Omit<MultivariateStreamOptions, 'sensors' | 'trainingSize'>;
}

const SETUPS: Setup[] = [
  { name: 'core defaults', options: {} },
  {
    name: 'smoothed',
    options: { limitQuantile: 1, smoothing: { kind: 'mean', window: 12 }, persistence: { k: 6, n: 12 }, clearBelow: 0.5 },
  },
];

function probation(rows: number): number {
  return Math.min(750, Math.floor(0.15 * rows));
}

/** Row indices where the alarm rose, and whether it was raised at each row. */
function alerts(series: Series, setup: Setup, fitRows: number): { onsets: number[]; active: Uint8Array } {
  const stream = new MultivariateStream({ ...setup.options, sensors: ['value'], trainingSize: fitRows });
  const onsets: number[] = [];
  const active = new Uint8Array(series.values.length);
  const vector = new Float64Array(1);
  series.values.forEach((value, i) => {
    vector[0] = value;
    const result = stream.update(series.ts[i], vector);
    if (result.onset) onsets.push(i);
    active[i] = result.state === 'anomaly' ? 1 : 0;
  });
  return { onsets, active };
}

function hours(ms: number): string {
  return (ms / HOUR).toFixed(1).padStart(7);
}

function report(file: string, series: Series, labels: NabLabels, setup: Setup): void {
  const fitRows = probation(series.ts.length);
  const { onsets, active } = alerts(series, setup, fitRows);
  const inWindow = (t: number): boolean => labels.windows.some(([s, e]) => t >= s && t <= e);
  console.log(`\n${path.basename(file)}, ${setup.name}: ${series.ts.length} rows, first ${fitRows} fit`);
  console.log('  window start        label               detected at          from start  before label  before end');
  labels.windows.forEach(([start, end], w) => {
    const label = labels.labels[w];
    const atStart = series.ts.findIndex((t) => t >= start);
    let detection: number | undefined;
    if (atStart >= 0 && active[atStart] === 1) detection = onsets.filter((i) => series.ts[i] <= start).pop();
    detection ??= onsets.find((i) => series.ts[i] >= start && series.ts[i] <= end);
    const stamp = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
    const head = `  ${stamp(start)}    ${label === undefined ? '-'.padEnd(16) : stamp(label)}    `;
    if (detection === undefined) {
      console.log(`${head}missed`);
      return;
    }
    const t = series.ts[detection];
    const beforeLabel = label === undefined ? '      -' : hours(label - t);
    console.log(`${head}${stamp(t)}    ${hours(t - start)} h   ${beforeLabel} h   ${hours(end - t)} h`);
  });
  const scoredStart = series.ts[fitRows];
  const scoredEnd = series.ts[series.ts.length - 1];
  const windowTime = labels.windows.reduce((sum, [s, e]) => sum + Math.max(0, Math.min(e, scoredEnd) - Math.max(s, scoredStart)), 0);
  const outsideWeeks = (scoredEnd - scoredStart - windowTime) / WEEK;
  const falseAlarms = onsets.filter((i) => !inWindow(series.ts[i]) && !reachesWindow(i, series, active, labels)).length;
  console.log(`  false alarms (alert onsets outside every window, not counting one still active when a window opens):`);
  console.log(`    ${falseAlarms} in ${outsideWeeks.toFixed(1)} weeks = ${(falseAlarms / outsideWeeks).toFixed(2)} per week`);
}

/** An alert episode that begins before a window and lasts until it opens is that window's early detection. */
function reachesWindow(onset: number, series: Series, active: Uint8Array, labels: NabLabels): boolean {
  let last = onset;
  while (last + 1 < active.length && active[last + 1] === 1) last++;
  return labels.windows.some(([s]) => series.ts[onset] < s && series.ts[last] >= s);
}

function main(): void {
  const dataDir = path.resolve(process.argv[2] ?? path.resolve(__dirname, '../../..', '../shared/datasets/nab'));
  const labelsFile = path.join(dataDir, 'labels.json');
  if (!fs.existsSync(labelsFile)) {
    console.error(`no labels.json in ${dataDir}`);
    process.exit(1);
  }
  console.log(`NAB early warning: data under ${dataDir}`);
  console.log('detection = onset of the alert still active when the window opens, else the first onset inside it;');
  console.log('"from start" = detection − window start (negative: before the window opened); "before label" = label');
  console.log('instant − detection and "before end" = window end − detection (positive: warning ahead of it).');
  for (const file of csvFiles(dataDir)) {
    const labels = loadNabLabels(labelsFile, file);
    if (labels.windows.length === 0) continue;
    const series = loadNabSeries(file);
    for (const setup of SETUPS) report(file, series, labels, setup);
  }
  console.log(`
core defaults: limit = 0.99 quantile of the probationary z², alarm on each exceedance.
smoothed: rolling mean of z² over 12 values (1 h at 5 min), limit = its probationary maximum,
  alarm when 6 of the last 12 exceed, clears below 0.5. Picked from a handful of round-number choices
  on machine_temperature, so it is optimistic for that file.`);
}

main();
