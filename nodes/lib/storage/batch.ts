import { TABLES, type TableName } from './tables';

/**
 * Rows buffered column by column, in the order of the table's spec: one array per column, so a
 * batch goes to the database as one array parameter per column and to disk as one JSON line.
 */
export type Cell = number | string | null;

export interface Batch {
  table: TableName;
  rows: number;
  columns: Cell[][];
}

export function emptyBatch(table: TableName): Batch {
  return { table, rows: 0, columns: TABLES[table].columns.map(() => []) };
}

/** Earliest and latest of the batch's time column, epoch ms. */
export function timeSpan(batch: Batch): { min: number; max: number } {
  const times = batch.columns[0] as number[];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return { min, max };
}

/** A spilled batch read back from disk, checked against the table spec. */
export function batchFromJson(value: unknown): Batch | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { table, rows, columns } = value as Partial<Batch>;
  if (typeof table !== 'string' || !(table in TABLES) || typeof rows !== 'number' || !Array.isArray(columns)) return undefined;
  const spec = TABLES[table as TableName];
  if (columns.length !== spec.columns.length || columns.some((c) => !Array.isArray(c) || c.length !== rows)) return undefined;
  return { table: table as TableName, rows, columns };
}
