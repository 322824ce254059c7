/**
 * Detection quality on SKAB of anomaly-detect's univariate detectors, with the same protocol as
 * detection-skab.ts, measured on the shipped node logic: each row below is an anomaly-detect
 * editor configuration turned into the univariate detector by settingsFromConfig, run by the
 * AnomalyDetector the node runs. Every sensor column of a file is its own key (asset/sensor). The
 * baselines are frozen after the first 400 rows of each file (mode "freeze", warm-up 400), so the
 * fit part alone sets them; the rest is scored as a stream, and a row counts as flagged while any
 * of the file's sensors is in a firing alert episode (after the node's default fatigue stage).
 * TP/FP/FN/TN are pooled; the anomaly-free recording is scored the same way ("free FAR").
 *
 *   node dist/test/bench/detection-skab-univariate.js [dataDir]   (default ../shared/datasets/skab)
 */
import { settingsFromConfig, type AnomalyDetectConfig } from '../../nodes/lib/anomaly/config';
import { AnomalyDetector } from '../../nodes/lib/anomaly/detector';
import { DEFAULT_DETECTORS, DEFAULT_SENSOR_OPTIONS, type DetectorName } from '../../nodes/lib/anomaly/options';
import { DEFAULT_FATIGUE } from '../../nodes/lib/anomaly/fatigue';
import type { LabelledTable } from './datasets';
import { count, emptyConfusion, FIT_ROWS, flagEverything, header, line as skabLine, loadSkabData, metrics, SKAB_LEADERBOARD, type Confusion, type SkabMetrics } from './skab-scoring';

interface Setup {
  name: string;
  /** Editor fields on top of FROZEN_AFTER_FIT. */
  editor: AnomalyDetectConfig;
  /** Per-sensor rule rows derived from the file's fit rows. */
  fitRules?: (table: LabelledTable) => NonNullable<AnomalyDetectConfig['rules']>;
  note: string;
}

/** Baselines learn the fit rows and stop there. */
const FROZEN_AFTER_FIT: AnomalyDetectConfig = { mode: 'freeze', warmUp: FIT_ROWS };

/** The largest |Δvalue/Δt| per second of each sensor over the fit rows, as a rule row per sensor. */
function fitRateLimits(table: LabelledTable): NonNullable<AnomalyDetectConfig['rules']> {
  return table.sensors.map((sensor, j) => {
    let largest = 0;
    for (let i = 1; i < FIT_ROWS; i++) {
      const dt = (table.ts[i] - table.ts[i - 1]) / 1000;
      if (dt > 0) largest = Math.max(largest, Math.abs(table.rows[i][j] - table.rows[i - 1][j]) / dt);
    }
    return { match: sensor, options: { rateLimit: largest > 0 ? largest : Number.MIN_VALUE } };
  });
}

/** One detector alone, every other field at its default. */
const only = (detector: DetectorName, note: string): Setup => ({ name: detector, editor: { detectors: [detector] }, note });

const SETUPS: Setup[] = [
  { name: 'default set', editor: {}, note: `the node's default detectors (${DEFAULT_DETECTORS.join(', ')}; limits unset, so off)` },
  only('zscore', `rolling z-score over ${DEFAULT_SENSOR_OPTIONS.window}, |z| ${DEFAULT_SENSOR_OPTIONS.zThreshold}`),
  only('ewma', `EWMA z-score, α ${DEFAULT_SENSOR_OPTIONS.ewmaAlpha}, |z| ${DEFAULT_SENSOR_OPTIONS.ewmaThreshold}`),
  only('robust', `median/MAD z, ${DEFAULT_SENSOR_OPTIONS.robustThreshold}`),
  only('iqr', `Tukey fence, k ${DEFAULT_SENSOR_OPTIONS.iqrK}`),
  {
    ...only('rate', 'limit = largest |Δ|/s of the sensor over the fit rows (no default limit exists)'),
    fitRules: fitRateLimits,
  },
  only('cusum', `two-sided CUSUM, k ${DEFAULT_SENSOR_OPTIONS.cusumK} σ, h ${DEFAULT_SENSOR_OPTIONS.cusumH} σ`),
  only('ewmaChart', `EWMA chart, λ ${DEFAULT_SENSOR_OPTIONS.chartLambda}, L ${DEFAULT_SENSOR_OPTIONS.chartL}`),
  only('nelson', `Nelson rules ${DEFAULT_SENSOR_OPTIONS.nelsonRules.join(',')}`),
  only('shift', `level shift, spans ${DEFAULT_SENSOR_OPTIONS.shiftShort}/${DEFAULT_SENSOR_OPTIONS.shiftLong}, ${DEFAULT_SENSOR_OPTIONS.shiftThreshold} σ`),
  {
    name: 'default set, learn mode',
    editor: { mode: 'learn', warmUp: DEFAULT_SENSOR_OPTIONS.warmUp },
    note: `sensitivity: the node's default mode (baselines keep learning), warm-up ${DEFAULT_SENSOR_OPTIONS.warmUp}`,
  },
  {
    name: 'default set, window 400',
    editor: { window: FIT_ROWS },
    note: 'sensitivity: rolling window = the whole fit part',
  },
];

/** One file through a fresh node detector; `onRow` gets whether any sensor fires after each row. */
function run(table: LabelledTable, setup: Setup, onRow: (row: number, firing: boolean) => void): void {
  const settings = settingsFromConfig({ ...FROZEN_AFTER_FIT, ...setup.editor, rules: setup.fitRules?.(table) ?? [] });
  let now = 0;
  const detector = new AnomalyDetector(settings.detector, () => now);
  const firing = new Array<boolean>(table.sensors.length).fill(false);
  table.rows.forEach((values, i) => {
    now = table.ts[i];
    table.sensors.forEach((sensor, j) => {
      const outcome = detector.process('skab', sensor, values[j], now);
      if (outcome.error) throw new Error(outcome.error.reason);
      firing[j] = outcome.firing;
    });
    onRow(i, firing.includes(true));
  });
}

/** The test parts, pooled. */
function score(tables: LabelledTable[], setup: Setup): Confusion {
  const test = emptyConfusion();
  for (const table of tables) {
    run(table, setup, (i, flagged) => {
      if (i >= FIT_ROWS) count(test, flagged, table.anomaly[i] === 1);
    });
  }
  return test;
}

const NAME_WIDTH = 30;
const line = (name: string, m: SkabMetrics, free?: number, note?: string): string => skabLine(NAME_WIDTH, name, m, free, note);

function main(): void {
  const started = process.cpuUsage();
  const { dataDir, tables, normal } = loadSkabData();
  const testRows = tables.reduce((n, t) => n + t.rows.length - FIT_ROWS, 0);
  const normalRows = normal.reduce((n, t) => n + t.rows.length - FIT_ROWS, 0);
  console.log(`SKAB outlier detection, univariate detectors: ${tables.length} labelled files under ${dataDir}, ${testRows} test rows`);
  console.log(`protocol: every sensor column is a key; its baseline learns the first ${FIT_ROWS} rows of the file and is then frozen`);
  console.log('(mode "freeze", warm-up 400); a row is flagged while any sensor of the file is in a firing episode; counts pooled.');
  console.log(`"free FAR": the same on the unlabelled anomaly-free recording (${normalRows} test rows), where every alarm is false\n`);
  console.log(header(NAME_WIDTH));
  const results = SETUPS.map((setup) => ({ setup, test: score(tables, setup), free: normal.length ? score(normal, setup) : undefined }));
  for (const { setup, test, free } of results) {
    const freeFar = free ? metrics(free).far : undefined;
    console.log(line(setup.name, metrics(test), freeFar, `${setup.note}; TP ${test.tp} FP ${test.fp} FN ${test.fn} TN ${test.tn}`));
  }
  for (const entry of SKAB_LEADERBOARD) console.log(line(entry.name, entry, undefined, 'all 34 labelled files'));
  console.log(line('flag every test row', metrics(flagEverything(tables))));
  const cpu = process.cpuUsage(started);
  const f = DEFAULT_FATIGUE;
  console.log(`
every row keeps the node's defaults except the detector list: alert fires at ${f.k} of ${f.n} readings with score ≥ 1,
  clears below ${f.clearRatio} for ${f.clearSamples} readings, cooldown ${f.cooldownMs / 1000} s (reading time); readings scored ≥ 1 stay out of the baseline.
rate of change has no default limit, so its limit is taken from each sensor's fit rows (the largest step seen there).
No setting was chosen on this data; the two sensitivity rows were set before the first run.
The leaderboard covers all 34 labelled SKAB files, so it is not directly comparable to this subset.
CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
}

main();
