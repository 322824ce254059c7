/**
 * The tables the writer fills, described once: column names and parameter types drive the
 * batched INSERT, the column buffers and the spill format alike.
 */
export type TableName = 'readings' | 'features' | 'anomalies';

/** `ts` travels as epoch-ms float8 and becomes timestamptz in SQL; `json` as text, cast to jsonb. */
export type ColumnType = 'ts' | 'text' | 'float8' | 'int4' | 'json';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

export interface TableSpec {
  name: TableName;
  columns: readonly ColumnSpec[];
  /** The column tables are partitioned and bucketed by; always the first column. */
  timeColumn: string;
  /** The idempotency key: a replayed row conflicts here and is skipped. */
  key: readonly string[];
}

export const TABLES: Readonly<Record<TableName, TableSpec>> = {
  readings: {
    name: 'readings',
    columns: [
      { name: 'ts', type: 'ts' },
      { name: 'asset', type: 'text' },
      { name: 'sensor', type: 'text' },
      { name: 'value', type: 'float8' },
      { name: 'quality', type: 'text' },
      { name: 'unit', type: 'text' },
    ],
    timeColumn: 'ts',
    key: ['asset', 'sensor', 'ts'],
  },
  features: {
    name: 'features',
    columns: [
      { name: 'window_start', type: 'ts' },
      { name: 'window_end', type: 'ts' },
      { name: 'asset', type: 'text' },
      { name: 'sensor', type: 'text' },
      { name: 'count', type: 'int4' },
      { name: 'mean', type: 'float8' },
      { name: 'std', type: 'float8' },
      { name: 'min', type: 'float8' },
      { name: 'max', type: 'float8' },
      { name: 'record', type: 'json' },
    ],
    timeColumn: 'window_start',
    key: ['asset', 'sensor', 'window_start', 'window_end'],
  },
  anomalies: {
    name: 'anomalies',
    columns: [
      { name: 'ts', type: 'ts' },
      { name: 'asset', type: 'text' },
      { name: 'sensor', type: 'text' },
      { name: 'feature', type: 'text' },
      { name: 'state', type: 'text' },
      { name: 'severity', type: 'text' },
      { name: 'score', type: 'float8' },
      { name: 'value', type: 'float8' },
      { name: 'record', type: 'json' },
    ],
    timeColumn: 'ts',
    key: ['asset', 'sensor', 'feature', 'state', 'ts'],
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];
