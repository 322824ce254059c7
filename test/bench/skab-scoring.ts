/**
 * SKAB's published protocol, shared by the detection benchmarks: the data directory and its files,
 * the fit part, pooled confusion counts, F1 with the false-alarm and missed-alarm rates, the
 * leaderboard to print beside them, and the table line.
 */
import path from 'node:path';
import { csvFiles, loadSkabFile, type LabelledTable } from './datasets';

/** The first rows of each file fit the detector; the rest are scored. */
export const FIT_ROWS = 400;

export interface SkabData {
  dataDir: string;
  /** Files with an "anomaly" column, scored. */
  tables: LabelledTable[];
  /** Files without one (anomaly-free recordings), where every alarm is false. */
  normal: LabelledTable[];
}

/** The SKAB files under the directory given as the first argument (default ../shared/datasets/skab); exits when none is labelled. */
export function loadSkabData(): SkabData {
  const dataDir = path.resolve(process.argv[2] ?? path.resolve(__dirname, '../../..', '../shared/datasets/skab'));
  const loaded = csvFiles(dataDir).map(loadSkabFile).filter((t) => t.rows.length > FIT_ROWS);
  const tables = loaded.filter((t) => t.labelled);
  if (tables.length === 0) {
    console.error(`no labelled SKAB files (with an "anomaly" column) under ${dataDir}`);
    process.exit(1);
  }
  return { dataDir, tables, normal: loaded.filter((t) => !t.labelled) };
}

/** The published figures (all 34 labelled files). */
export const SKAB_LEADERBOARD = [
  { name: 'SKAB leaderboard: Conv-AE', f1: 0.78, far: 13.55, mar: 28.02 },
  { name: 'SKAB leaderboard: MSET', f1: 0.78, far: 39.73, mar: 14.13 },
  { name: 'SKAB leaderboard: T²+Q (PCA)', f1: 0.76, far: 26.62, mar: 24.92 },
];

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface SkabMetrics {
  f1: number;
  far: number;
  mar: number;
}

export function emptyConfusion(): Confusion {
  return { tp: 0, fp: 0, fn: 0, tn: 0 };
}

export function count(c: Confusion, flagged: boolean, truth: boolean): void {
  if (flagged && truth) c.tp++;
  else if (flagged) c.fp++;
  else if (truth) c.fn++;
  else c.tn++;
}

/** The trivial reference: every test row flagged. */
export function flagEverything(tables: LabelledTable[]): Confusion {
  const c = emptyConfusion();
  for (const table of tables) for (let i = FIT_ROWS; i < table.rows.length; i++) count(c, true, table.anomaly[i] === 1);
  return c;
}

export function metrics(c: Confusion): SkabMetrics {
  return {
    f1: c.tp / (c.tp + (c.fp + c.fn) / 2),
    far: (100 * c.fp) / (c.fp + c.tn),
    mar: (100 * c.fn) / (c.fn + c.tp),
  };
}

function percent(x: number | undefined): string {
  return x === undefined ? ' '.repeat(9) : `${x.toFixed(2).padStart(7)} %`;
}

export function header(nameWidth: number): string {
  return `${'configuration'.padEnd(nameWidth)} ${'F1'.padStart(5)} ${'FAR'.padStart(9)} ${'MAR'.padStart(9)} ${'free FAR'.padStart(9)}`;
}

/** `free` is the false-alarm share on the anomaly-free recording. */
export function line(nameWidth: number, name: string, m: SkabMetrics, free?: number, note = ''): string {
  return `${name.padEnd(nameWidth)} ${m.f1.toFixed(2).padStart(5)} ${percent(m.far)} ${percent(m.mar)} ${percent(free)}  ${note}`;
}
