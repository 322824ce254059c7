import fs from 'node:fs';
import path from 'node:path';

/** CSV loaders for the labelled benchmark data sets (SKAB, NAB). */

export interface LabelledTable {
  file: string;
  /** Sensor column names (every numeric column except the label columns). */
  sensors: string[];
  /** Event time per row, epoch ms (timestamps read as UTC). */
  ts: number[];
  /** rows[i][j] = value of sensors[j] at row i. */
  rows: number[][];
  /** 1 where the row is labelled anomalous. */
  anomaly: Uint8Array;
  /** The file has an `anomaly` column; without one every row is known normal (anomaly all 0). */
  labelled: boolean;
}

const LABEL_COLUMNS = new Set(['anomaly', 'changepoint']);

/** Every *.csv under a directory, recursively, in a stable order. */
export function csvFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return csvFiles(full);
      return entry.name.toLowerCase().endsWith('.csv') ? [full] : [];
    })
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** 'YYYY-MM-DD hh:mm:ss[.ffffff]' as UTC epoch ms. */
export function parseTimestamp(text: string): number {
  const ms = Date.parse(`${text.trim().slice(0, 19).replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad timestamp "${text}"`);
  return ms;
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/**
 * A SKAB-style file: `;`-separated, CRLF or LF, first column a datetime, then sensors, then
 * `anomaly` (and optionally `changepoint`). A file without an `anomaly` column (SKAB's anomaly-free
 * recording) loads with `labelled` false.
 */
export function loadSkabFile(file: string): LabelledTable {
  const lines = splitLines(fs.readFileSync(file, 'utf8'));
  const header = lines[0].split(';').map((h) => h.trim());
  const anomalyAt = header.indexOf('anomaly');
  const sensorAt = header.map((_, i) => i).filter((i) => i > 0 && !LABEL_COLUMNS.has(header[i]));
  const table: LabelledTable = {
    file,
    sensors: sensorAt.map((i) => header[i]),
    ts: [],
    rows: [],
    anomaly: new Uint8Array(lines.length - 1),
    labelled: anomalyAt >= 0,
  };
  lines.slice(1).forEach((line, r) => {
    const cells = line.split(';');
    table.ts.push(parseTimestamp(cells[0]));
    table.rows.push(sensorAt.map((i) => Number(cells[i])));
    if (anomalyAt >= 0) table.anomaly[r] = Number(cells[anomalyAt]) >= 0.5 ? 1 : 0;
  });
  return table;
}

export interface Series {
  ts: number[];
  values: number[];
}

/** A NAB data file: header `timestamp,value`, comma-separated. Row order is kept as in the file. */
export function loadNabSeries(file: string): Series {
  const series: Series = { ts: [], values: [] };
  for (const line of splitLines(fs.readFileSync(file, 'utf8')).slice(1)) {
    const [stamp, value] = line.split(',');
    series.ts.push(parseTimestamp(stamp));
    series.values.push(Number(value));
  }
  return series;
}

export interface NabLabels {
  /** [start, end] epoch ms, inclusive. */
  windows: Array<[number, number]>;
  /** The labelled anomaly instants, epoch ms. */
  labels: number[];
}

/** The windows and labels of one data file from a NAB `labels.json` (keys end with the file name). */
export function loadNabLabels(labelsFile: string, dataFile: string): NabLabels {
  const json = JSON.parse(fs.readFileSync(labelsFile, 'utf8')) as {
    combined_windows?: Record<string, string[][]>;
    combined_labels?: Record<string, string[]>;
  };
  const name = path.basename(dataFile);
  const find = <T>(table: Record<string, T> | undefined): T | undefined =>
    Object.entries(table ?? {}).find(([key]) => path.basename(key) === name)?.[1];
  const windows = find(json.combined_windows) ?? [];
  const labels = find(json.combined_labels) ?? [];
  return {
    windows: windows.map(([start, end]) => [parseTimestamp(start), parseTimestamp(end)]),
    labels: labels.map(parseTimestamp),
  };
}
