import type { Database, Queryable } from './database';
import { ALERT_STATES } from '../alerting/types';
import { assertIdentifier, qualified, quoteIdent } from './sql';

/**
 * Versioned, idempotent schema management. Each migration runs once, inside one transaction
 * holding an advisory lock, and is recorded in `schema_migrations` with the storage mode it
 * was applied for; the mode chosen at the first migration stays for the schema's life.
 */
export type StorageMode = 'timescale' | 'plain';

export interface SchemaInfo {
  schema: string;
  mode: StorageMode;
  version: number;
  /** Versions applied by this call (empty when the schema was already current). */
  applied: number[];
}

interface Migration {
  version: number;
  name: string;
  statements(schema: string, mode: StorageMode): string[];
}

const ROLLUP_COLUMNS = 'bucket timestamptz NOT NULL, asset text NOT NULL, sensor text NOT NULL, count bigint NOT NULL, sum double precision NOT NULL, min double precision NOT NULL, max double precision NOT NULL';

function timeTable(schema: string, table: string, columns: string, timeColumn: string, key: string, mode: StorageMode): string[] {
  const name = qualified(schema, table);
  const unique = `CONSTRAINT ${quoteIdent(`${table}_key`)} UNIQUE (${key})`;
  if (mode === 'plain') {
    return [
      `CREATE TABLE ${name} (${columns}, ${unique}) PARTITION BY RANGE (${quoteIdent(timeColumn)})`,
      `CREATE INDEX ${quoteIdent(`${table}_${timeColumn}_brin`)} ON ${name} USING brin (${quoteIdent(timeColumn)})`,
    ];
  }
  return [
    `CREATE TABLE ${name} (${columns}, ${unique})`,
    `SELECT create_hypertable('${schema}.${table}', '${timeColumn}', chunk_time_interval => interval '1 day', if_not_exists => true)`,
    `ALTER TABLE ${name} SET (timescaledb.compress, timescaledb.compress_segmentby = 'asset, sensor', timescaledb.compress_orderby = '${timeColumn} DESC')`,
    `SELECT add_compression_policy('${schema}.${table}', interval '7 days', if_not_exists => true)`,
  ];
}

export interface RollupSpec {
  name: 'readings_1m' | 'readings_1h';
  width: string;
  widthMs: number;
  /** TimescaleDB: how far back each run of the refresh policy reaches. */
  policyStart: string;
}

export const ROLLUPS: readonly RollupSpec[] = [
  { name: 'readings_1m', width: '1 minute', widthMs: 60_000, policyStart: '1 hour' },
  { name: 'readings_1h', width: '1 hour', widthMs: 3_600_000, policyStart: '3 days' },
];

function rollup(schema: string, spec: RollupSpec, mode: StorageMode): string[] {
  const table = qualified(schema, spec.name);
  if (mode === 'plain') {
    return [`CREATE TABLE ${table} (${ROLLUP_COLUMNS}, PRIMARY KEY (asset, sensor, bucket))`];
  }
  return [
    `CREATE MATERIALIZED VIEW ${table} WITH (timescaledb.continuous) AS
       SELECT time_bucket(interval '${spec.width}', ts) AS bucket, asset, sensor, count(*) AS count,
              sum(value) AS sum, min(value) AS min, max(value) AS max
       FROM ${qualified(schema, 'readings')} GROUP BY 1, 2, 3 WITH NO DATA`,
    `SELECT add_continuous_aggregate_policy('${schema}.${spec.name}', start_offset => interval '${spec.policyStart}',
       end_offset => interval '${spec.width}', schedule_interval => interval '${spec.width}', if_not_exists => true)`,
  ];
}

/** Identifiers inside the quoted DDL above come only from assertIdentifier-checked names. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'time-series tables',
    statements: (s, mode) => [
      ...timeTable(s, 'readings',
        'ts timestamptz NOT NULL, asset text NOT NULL, sensor text NOT NULL, value double precision NOT NULL, quality text, unit text',
        'ts', 'asset, sensor, ts', mode),
      ...timeTable(s, 'features',
        'window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, asset text NOT NULL, sensor text NOT NULL, count integer NOT NULL, mean double precision, std double precision, min double precision, max double precision, record jsonb NOT NULL',
        'window_start', 'asset, sensor, window_start, window_end', mode),
      ...timeTable(s, 'anomalies',
        "ts timestamptz NOT NULL, asset text NOT NULL, sensor text NOT NULL, feature text NOT NULL DEFAULT '', state text NOT NULL, severity text NOT NULL, score double precision NOT NULL, value double precision, record jsonb NOT NULL",
        'ts', 'asset, sensor, feature, state, ts', mode),
    ],
  },
  {
    version: 2,
    name: 'alerts and models',
    statements: (s) => [
      `CREATE TABLE ${qualified(s, 'alerts')} (id text PRIMARY KEY, asset text NOT NULL, sensor text, severity text NOT NULL,
         state text NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
         opened_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, acknowledged_at timestamptz, acknowledged_by text,
         resolved_at timestamptz, record jsonb NOT NULL DEFAULT '{}')`,
      `CREATE INDEX ${quoteIdent('alerts_open')} ON ${qualified(s, 'alerts')} (asset, opened_at) WHERE state <> 'resolved'`,
      `CREATE TABLE ${qualified(s, 'models')} (name text NOT NULL, version integer NOT NULL, kind text NOT NULL, asset text,
         created_at timestamptz NOT NULL DEFAULT now(), params jsonb NOT NULL, metrics jsonb, PRIMARY KEY (name, version))`,
    ],
  },
  {
    version: 3,
    name: 'rollups',
    statements: (s, mode) => [
      ...ROLLUPS.flatMap((spec) => rollup(s, spec, mode)),
      `CREATE TABLE ${qualified(s, 'rollup_state')} (name text PRIMARY KEY, refreshed_to timestamptz NOT NULL)`,
    ],
  },
  {
    version: 4,
    name: 'alert router state',
    statements: (s) => [
      `ALTER TABLE ${qualified(s, 'alerts')} DROP CONSTRAINT ${quoteIdent('alerts_state_check')}`,
      `ALTER TABLE ${qualified(s, 'alerts')} ADD CONSTRAINT ${quoteIdent('alerts_state_check')} CHECK (state IN (${ALERT_STATES.map((st) => `'${st}'`).join(', ')}))`,
      `ALTER TABLE ${qualified(s, 'alerts')} ADD COLUMN router text, ADD COLUMN name text`,
      `CREATE INDEX ${quoteIdent('alerts_router_open')} ON ${qualified(s, 'alerts')} (router) WHERE state <> 'resolved'`,
      `CREATE TABLE ${qualified(s, 'alert_router_state')} (router text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL)`,
    ],
  },
  {
    version: 5,
    name: 'rollup time indexes',
    // An asset's trend reads every sensor over a time range: (asset, bucket) finds exactly those
    // rows, where the (asset, sensor, bucket) key walks the asset's whole history. Continuous
    // aggregates get such indexes from TimescaleDB itself.
    statements: (s, mode) => (mode === 'plain'
      ? ROLLUPS.map(({ name }) => `CREATE INDEX ${quoteIdent(`${name}_asset_bucket`)} ON ${qualified(s, name)} (asset, bucket)`)
      : []),
  },
  {
    version: 6,
    name: 'real-time rollups',
    // A continuous aggregate then adds the raw rows past its last refresh to what it has
    // materialised, as the plain-mode trend queries do from rollup_state.
    statements: (s, mode) => (mode === 'timescale'
      ? ROLLUPS.map(({ name }) => `ALTER MATERIALIZED VIEW ${qualified(s, name)} SET (timescaledb.materialized_only = false)`)
      : []),
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** TimescaleDB installed in this database, or installable and installed now; false otherwise. */
export async function detectTimescale(db: Queryable): Promise<boolean> {
  const installed = await db.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (installed.length > 0) return true;
  const available = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  if (available.length === 0) return false;
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return true;
  } catch {
    return false;
  }
}

export async function migrate(db: Database, schemaName: string): Promise<SchemaInfo> {
  const schema = assertIdentifier(schemaName, 'schema');
  const detected: StorageMode = (await detectTimescale(db)) ? 'timescale' : 'plain';
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pdm-migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    const ledger = qualified(schema, 'schema_migrations');
    await tx.query(`CREATE TABLE IF NOT EXISTS ${ledger} (version integer PRIMARY KEY, name text NOT NULL,
      mode text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await tx.query<{ version: number; mode: StorageMode }>(`SELECT version, mode FROM ${ledger} ORDER BY version`);
    const mode = done.length > 0 ? done[0].mode : detected;
    const have = new Set(done.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (have.has(migration.version)) continue;
      for (const statement of migration.statements(schema, mode)) await tx.query(statement);
      await tx.query(`INSERT INTO ${ledger} (version, name, mode) VALUES ($1, $2, $3)`, [migration.version, migration.name, mode]);
      applied.push(migration.version);
    }
    const version = Math.max(0, ...done.map((row) => row.version), ...applied);
    return { schema, mode, version, applied };
  });
}
