import { PdmError } from '../errors';
import { parseDuration, QUERY_MODES, type QueryDefaults, type QueryMode } from './query';

/** The timescale-query node's settings, as the editor stores them, and their checked form. */
export interface TimescaleQueryConfig {
  db?: string;
  mode?: string;
  asset?: string;
  sensor?: string;
  range?: string;
  bucket?: string;
  output?: string;
  sql?: string;
  limit?: string | number;
}

export type QueryOutput = 'chart' | 'rows';

export interface QuerySettings {
  mode: QueryMode;
  defaults: QueryDefaults;
  output: QueryOutput;
  sql: string;
  limit: number;
}

const MAX_LIMIT = 1_000_000;

export function querySettings(config: TimescaleQueryConfig): QuerySettings {
  const mode = (config.mode || 'bucketed') as QueryMode;
  if (!QUERY_MODES.includes(mode)) throw new PdmError('INVALID_CONFIG', `unknown mode ${JSON.stringify(config.mode)}`);
  const range = (config.range ?? '').trim() || '1h';
  parseDuration(range, 'range');
  const bucket = (config.bucket ?? '').trim() || 'auto';
  if (bucket !== 'auto') parseDuration(bucket, 'bucket');
  const output = config.output === 'rows' ? 'rows' : 'chart';
  const sql = (config.sql ?? '').trim();
  if (mode === 'sql' && sql === '') throw new PdmError('INVALID_CONFIG', 'mode sql needs a SQL template');
  const limit = config.limit === undefined || config.limit === '' ? 100_000 : Number(config.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new PdmError('INVALID_CONFIG', `row limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return { mode, defaults: { asset: (config.asset ?? '').trim(), sensor: (config.sensor ?? '').trim(), range, bucket }, output, sql, limit };
}
