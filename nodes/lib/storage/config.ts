import { PdmError } from '../errors';
import type { ServerOptions } from './database';
import { assertIdentifier } from './sql';

/** The timescale-db config node's settings, as the editor stores them, and their checked form. */
export interface TimescaleDbConfig {
  mode?: string;
  host?: string;
  port?: string | number;
  database?: string;
  tls?: boolean;
  tlsVerify?: boolean;
  ca?: string;
  poolSize?: string | number;
  statementTimeout?: string | number;
  schema?: string;
  retentionDays?: string | number;
  dataDir?: string;
}

export interface TimescaleDbCredentials {
  user?: string;
  password?: string;
}

/** Writes kept in flight on a server pool, leaving at least one connection for queries. */
const MAX_WRITE_CONCURRENCY = 4;

export function serverWriteConcurrency(poolSize: number): number {
  return Math.max(1, Math.min(MAX_WRITE_CONCURRENCY, poolSize - 1));
}

export type DbSettings =
  | { mode: 'embedded'; dataDir: string; schema: string; retentionDays: number }
  | { mode: 'server'; server: ServerOptions; schema: string; retentionDays: number };

function positiveInt(value: unknown, fallback: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new PdmError('INVALID_CONFIG', `${what} must be a whole number from 1 to ${max}`);
  return n;
}

/** `resolveDir` turns the embedded data folder into an absolute path (under the user directory). */
export function dbSettings(config: TimescaleDbConfig, credentials: TimescaleDbCredentials, resolveDir: (dir: string) => string): DbSettings {
  const schema = assertIdentifier(config.schema || 'pdm', 'schema');
  const retentionDays = positiveInt(config.retentionDays, 30, 'retention days', 36_500);
  if ((config.mode ?? 'embedded') === 'embedded') {
    return { mode: 'embedded', dataDir: resolveDir(config.dataDir || 'pdm-db'), schema, retentionDays };
  }
  if (config.mode !== 'server') throw new PdmError('INVALID_CONFIG', `unknown mode ${JSON.stringify(config.mode)}`);
  const host = (config.host ?? '').trim();
  if (host === '') throw new PdmError('INVALID_CONFIG', 'host is required');
  const server: ServerOptions = {
    host,
    port: positiveInt(config.port, 5432, 'port', 65_535),
    database: (config.database ?? '').trim() || 'postgres',
    user: credentials.user || undefined,
    password: credentials.password || undefined,
    poolSize: positiveInt(config.poolSize, 10, 'pool size', 1000),
    statementTimeoutMs: config.statementTimeout === '' || config.statementTimeout === undefined ? 30_000 : Number(config.statementTimeout),
  };
  if (!Number.isFinite(server.statementTimeoutMs) || server.statementTimeoutMs < 0) {
    throw new PdmError('INVALID_CONFIG', 'statement timeout must be 0 (none) or more milliseconds');
  }
  if (config.tls) server.tls = { rejectUnauthorized: config.tlsVerify !== false, ca: config.ca?.trim() || undefined };
  return { mode: 'server', server, schema, retentionDays };
}
