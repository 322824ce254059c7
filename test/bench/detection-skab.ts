/**
 * Detection quality on SKAB with its published outlier protocol, measured on the shipped node
 * logic: each configuration below is an anomaly-detect editor configuration, turned into the
 * multivariate detector by settingsFromConfig exactly as the node does, and fed the rows as
 * separate single-sensor readings (aligned by timestamp). Per labelled file (one asset), the
 * first 400 rows are the training part (no labels), the rest are scored as a stream; a row
 * counts as flagged while the asset's alert episode is firing. TP/FP/FN/TN are pooled. The
 * anomaly-free recording (no labels, every alarm false) is scored the same way as an out-of-sample
 * check of the false-alarm side.
 *
 *   node dist/test/bench/detection-skab.js [dataDir]   (default ../shared/datasets/skab)
 */
import { settingsFromConfig, type AnomalyDetectConfig } from '../../nodes/lib/anomaly/config';
import { MULTIVARIATE_DEFAULTS } from '../../nodes/lib/anomaly/multivariate-config';
import { MultivariateDetector } from '../../nodes/lib/anomaly/multivariate-detector';
import type { LabelledTable } from './datasets';
import { count, emptyConfusion, FIT_ROWS, flagEverything, header, line as skabLine, loadSkabData, metrics, SKAB_LEADERBOARD, type Confusion, type SkabMetrics } from './skab-scoring';


interface Setup {
  name: string;
  /** Editor fields on top of BASE; mvSensors defaults to every sensor column of the file. */
  editor: AnomalyDetectConfig;
  /** Sensor columns left out of the list by hand. */
  handPicked?: string[];
  note: string;
}

/** The editor form with only the multivariate section ticked and the training part's length. */
const BASE: AnomalyDetectConfig = { detectors: [], mvEnabled: true, mvTraining: FIT_ROWS };

/** Picked from a grid of round numbers by pooled F1 on the same files scored here. */
const TUNED: AnomalyDetectConfig = { mvQuantile: 0.995, mvSmoothing: 'mean', mvWindow: 5, mvK: 5, mvN: 10, mvClearBelow: 0.5 };

const DEVIATION: AnomalyDetectConfig = { mvMethod: 'deviation' };
/** Fire on the first vector over the limit, clear on the first one back under it. */
const IMMEDIATE: AnomalyDetectConfig = { mvK: 1, mvN: 1, mvClearBelow: 1 };

const SETUPS: Setup[] = [
  { name: 'node defaults, all sensors', editor: {}, note: 'no choice made on this data' },
  { name: 'deviation, defaults', editor: DEVIATION, note: 'method "deviation", every other field at its default' },
  { name: 'deviation, immediate', editor: { ...DEVIATION, ...IMMEDIATE }, note: 'fire at 1 of 1 over the limit, clear below 1' },
  { name: 'deviation, window 3', editor: { ...DEVIATION, mvDevWindow: 3 }, note: 'sensitivity: rolling mean shorter' },
  { name: 'deviation, window 10', editor: { ...DEVIATION, mvDevWindow: 10 }, note: 'sensitivity: rolling mean doubled' },
  { name: 'deviation, centre 150', editor: { ...DEVIATION, mvDevCentreTime: 150 }, note: 'sensitivity: centre time constant halved' },
  { name: 'deviation, centre 600', editor: { ...DEVIATION, mvDevCentreTime: 600 }, note: 'sensitivity: centre time constant doubled' },
  {
    name: 'defaults + leave out drifting',
    editor: { mvExcludeDrifting: true },
    note: 'data-driven: drift > 3σ in each file\'s fit part (threshold set before scoring)',
  },
  {
    name: 'moving centre 60',
    editor: { mvCentring: true, mvCentringTime: 60 },
    note: 'a priori: centre = EWMA with a 60-vector (1 min) time constant, fed only accepted vectors',
  },
  {
    name: 'moving centre 60 + drifting',
    editor: { mvCentring: true, mvCentringTime: 60, mvExcludeDrifting: true },
    note: 'a priori: both options above, values as set before scoring',
  },
  {
    name: 'moving centre 30 (sensitivity)',
    editor: { mvCentring: true, mvCentringTime: 30 },
    note: 'time constant varied after seeing the 60 row',
  },
  {
    name: 'moving centre 300 (sensitivity)',
    editor: { mvCentring: true, mvCentringTime: 300 },
    note: 'time constant varied after seeing the 60 row',
  },
  {
    name: 'tuned + leave out drifting',
    editor: { ...TUNED, mvExcludeDrifting: true },
    note: 'parameters chosen by looking at the scored files',
  },
  {
    name: 'tuned, sensors chosen by hand',
    editor: TUNED,
    handPicked: ['Temperature', 'Thermocouple'],
    note: 'sensors chosen by hand (thermal dropped after seeing the labels) and tuned on the scored files',
  },
];

function detectorFor(table: LabelledTable, setup: Setup): MultivariateDetector {
  const sensors = table.sensors.filter((s) => !(setup.handPicked ?? []).includes(s));
  const settings = settingsFromConfig({ ...BASE, mvSensors: sensors.join(','), ...setup.editor });
  if (!settings.multivariate) throw new Error('the multivariate section is off');
  let clock = 0;
  return new MultivariateDetector(settings.multivariate, () => clock++);
}

/** Feeds one row as one reading per sensor; returns whether the asset is firing after it. */
function feedRow(detector: MultivariateDetector, table: LabelledTable, row: number, ts: number): boolean {
  let firing = false;
  table.sensors.forEach((sensor, j) => {
    const outcome = detector.push({ asset: 'skab', sensor, value: table.rows[row][j], ts });
    if (outcome.error) throw new Error(outcome.error.reason);
    if (outcome.vector) firing = outcome.firing;
  });
  return firing;
}

/** Test parts scored as a stream, and (sanity) the fit parts replayed through the trained model. */
function score(tables: LabelledTable[], setup: Setup): { test: Confusion; fit: Confusion; excluded: Map<string, number> } {
  const test = emptyConfusion();
  const fit = emptyConfusion();
  const excluded = new Map<string, number>();
  for (const table of tables) {
    const detector = detectorFor(table, setup);
    const replay = detectorFor(table, setup);
    table.rows.forEach((_, i) => {
      const flagged = feedRow(detector, table, i, table.ts[i]);
      if (i >= FIT_ROWS) count(test, flagged, table.anomaly[i] === 1);
      else feedRow(replay, table, i, table.ts[i]);
    });
    for (let i = 0; i < FIT_ROWS; i++) count(fit, feedRow(replay, table, i, table.ts[i] + 1e9), false);
    const stored = detector.persist()?.assets.skab;
    const kept = stored !== undefined && 'model' in stored ? stored.model?.sensors ?? [] : table.sensors;
    for (const s of table.sensors) if (!kept.includes(s) && !(setup.handPicked ?? []).includes(s)) excluded.set(s, (excluded.get(s) ?? 0) + 1);
  }
  return { test, fit, excluded };
}

const NAME_WIDTH = 32;
const line = (name: string, m: SkabMetrics, free?: number, note?: string): string => skabLine(NAME_WIDTH, name, m, free, note);

function main(): void {
  const { dataDir, tables, normal } = loadSkabData();
  const testRows = tables.reduce((n, t) => n + t.rows.length - FIT_ROWS, 0);
  console.log(`SKAB outlier detection: ${tables.length} labelled files under ${dataDir}, ${testRows} test rows`);
  console.log(`protocol: first ${FIT_ROWS} rows of each file train the node's multivariate detector (no labels), the rest are`);
  console.log('scored as a stream of single-sensor readings; a row is flagged while the alert episode fires; counts pooled.');
  const normalRows = normal.reduce((n, t) => n + t.rows.length - FIT_ROWS, 0);
  console.log(`"free FAR": the same on the unlabelled anomaly-free recording (${normalRows} test rows), where every alarm is false\n`);
  console.log(header(NAME_WIDTH));
  const results = SETUPS.map((setup) => ({ setup, ...score(tables, setup), free: normal.length ? score(normal, setup).test : undefined }));
  for (const { setup, test, free } of results) {
    const freeFar = free ? metrics(free).far : undefined;
    console.log(line(setup.name, metrics(test), freeFar, `${setup.note}; TP ${test.tp} FP ${test.fp} FN ${test.fn} TN ${test.tn}`));
  }
  for (const entry of SKAB_LEADERBOARD) console.log(line(entry.name, entry, undefined, 'all 34 labelled files'));
  console.log(line('flag every test row', metrics(flagEverything(tables))));
  console.log('\nsanity: the fit parts (known normal) replayed through each trained model, flagged share');
  for (const { setup, fit, excluded } of results) {
    const left = [...excluded].map(([s, n]) => `${s} in ${n}`).join(', ');
    console.log(`  ${setup.name.padEnd(30)} ${((100 * fit.fp) / (fit.fp + fit.tn)).toFixed(2).padStart(6)} %   left out: ${left || 'none'}`);
  }
  console.log(`
node defaults: every sensor, training ${FIT_ROWS} vectors, variance share 0.95, limit = 0.99 quantile of the
  training T² and Q, no smoothing, fire when 3 of 5 vectors exceed, clear below 0.8 for 3 vectors.
leave out drifting: a sensor whose least-squares trend across the training part moves more than 3 residual
  standard deviations is left out of that file's model (the event names it in "excluded"). Only the fit
  part is used; the threshold 3 was set before any scoring.
moving centre: each vector is scored as its deviation from a per-sensor EWMA of the earlier vectors
  (time constant 60 vectors, i.e. one minute at 1 Hz: far slower than the 3-of-5 onset test, short enough
  to settle within the 400 training rows, faster than the rig's thermal drift); the EWMA takes only vectors
  under the limit while the asset is not firing. Training vectors go through the same centring (its first 60 dropped) before the model and
  its limits are fitted. The fit-part replay restarts the file, a jump back against the moved centre, so
  its share above is no sanity check for these rows.
tuned: limit quantile ${TUNED.mvQuantile}, rolling mean over ${TUNED.mvWindow} vectors, fire when ${TUNED.mvK} of ${TUNED.mvN} exceed, clear below
  ${TUNED.mvClearBelow}: picked by pooled F1 on these same files, so those rows are optimistic.
deviation (method "deviation"): per sensor, the rolling mean over ${MULTIVARIATE_DEFAULTS.deviationWindow} vectors against a moving centre (time constant
  ${MULTIVARIATE_DEFAULTS.deviationCentreTime} vectors), divided by that sensor's spread of this deviation over the fit rows times its persistence
  (how much more its smoothed value wanders than its sample noise explains); score = the largest sensor
  ratio / the largest one reached on the fit rows. Everything comes from each file's fit rows; no factor,
  quantile or sensor choice is applied on top, and the alerting fields are the node's defaults. The window,
  the centre time and the slow-follow rule were settled while looking at these pooled figures (the
  sensitivity rows show how the figures move when each is changed), so the held-back SKAB files are the
  independent check.
goal: F1 ≥ 0.85 with FAR ≤ 10 % and MAR ≤ 20 %.
The leaderboard covers all 34 labelled SKAB files, so it is not directly comparable to this subset.`);
}

main();
