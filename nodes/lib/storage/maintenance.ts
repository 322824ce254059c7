import type { Queryable } from './database';
import { sqlState } from './pg-errors';
import { ROLLUPS, type SchemaInfo } from './schema';
import { qualified, quoteIdent, quoteLiteral } from './sql';
import { TABLE_NAMES, type TableName } from './tables';

/**
 * Keeping a schema current over time. Plain PostgreSQL: daily range partitions created ahead
 * and dropped past retention, and the 1-minute and 1-hour rollup tables refreshed from the
 * readings. TimescaleDB does all this itself through its policies; only retention is set here,
 * and rows stored too late for the refresh policies are refreshed into the continuous aggregates.
 */
export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Readings arriving up to this late still reach the rollups. */
export const ROLLUP_LATENESS_MS = 10 * MINUTE_MS;
/** How far back a rollup starts when it has never run. */
const FIRST_ROLLUP_SPAN_MS = DAY_MS;
/** SQLSTATE of a continuous aggregate refresh meeting a concurrent one. */
const LOCK_NOT_AVAILABLE = '55P03';
const PARTITION_SUFFIX = /_p(\d{4})(\d{2})(\d{2})$/;

export interface MaintenanceOptions {
  retentionDays: number;
  /** Partitions kept ready ahead of today. */
  daysAhead: number;
}

export interface MaintenanceReport {
  created: number;
  dropped: number;
  rolledUp: number;
}

export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

export function partitionName(table: TableName, day: number): string {
  const date = new Date(day * DAY_MS).toISOString();
  return `${table}_p${date.slice(0, 4)}${date.slice(5, 7)}${date.slice(8, 10)}`;
}

/** Creates the day's partition of `table` unless it exists; safe against a concurrent creator. */
export async function ensurePartition(db: Queryable, schema: string, table: TableName, day: number): Promise<boolean> {
  const name = partitionName(table, day);
  const exists = await db.query('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [schema, name]);
  if (exists.length > 0) return false;
  const from = new Date(day * DAY_MS).toISOString();
  const to = new Date((day + 1) * DAY_MS).toISOString();
  try {
    await db.query(`CREATE TABLE IF NOT EXISTS ${qualified(schema, name)} PARTITION OF ${qualified(schema, table)}
      FOR VALUES FROM (${quoteLiteral(from)}) TO (${quoteLiteral(to)})`);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === '42P07' || code === '23505') return false;
    throw err;
  }
  return true;
}

async function dropExpired(db: Queryable, schema: string, table: TableName, cutoffDay: number): Promise<number> {
  const parts = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = $2`, [schema, table]);
  let dropped = 0;
  for (const { name } of parts) {
    const match = PARTITION_SUFFIX.exec(name);
    if (!match) continue;
    const day = dayOf(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    if (day >= cutoffDay) continue;
    await db.query(`DROP TABLE IF EXISTS ${qualified(schema, name)}`);
    dropped++;
  }
  return dropped;
}

/**
 * Recomputes rollup buckets from the last refresh (less the lateness allowance), or from
 * `lateFrom` when older rows were stored since (a spool replay, a backfill), to the last whole
 * bucket before `now`.
 */
async function refreshRollup(db: Queryable, schema: string, name: string, source: string, widthMs: number, now: number, lateFrom: number): Promise<number> {
  const state = qualified(schema, 'rollup_state');
  const rows = await db.query<{ refreshed_to: Date }>(`SELECT refreshed_to FROM ${state} WHERE name = $1`, [name]);
  const to = Math.floor(now / widthMs) * widthMs;
  const since = Math.min(lateFrom, rows.length > 0 ? rows[0].refreshed_to.getTime() - ROLLUP_LATENESS_MS : now - FIRST_ROLLUP_SPAN_MS);
  const from = Math.floor(since / widthMs) * widthMs;
  if (from >= to) return 0;
  const fromSource = source === 'readings'
    ? `SELECT date_bin($3::interval, ts, timestamptz '2000-01-01') AS b, asset, sensor, count(*) AS count, sum(value) AS sum, min(value) AS min, max(value) AS max
       FROM ${qualified(schema, 'readings')} WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2, 3`
    : `SELECT date_bin($3::interval, bucket, timestamptz '2000-01-01') AS b, asset, sensor, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max
       FROM ${qualified(schema, source)} WHERE bucket >= $1 AND bucket < $2 GROUP BY 1, 2, 3`;
  const result = await db.query<{ n: string }>(
    `WITH up AS (INSERT INTO ${qualified(schema, name)} (bucket, asset, sensor, count, sum, min, max) ${fromSource}
       ON CONFLICT (asset, sensor, bucket) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max
       RETURNING 1) SELECT count(*) AS n FROM up`,
    [new Date(from), new Date(to), `${widthMs / 1000} seconds`]);
  await db.query(`INSERT INTO ${state} (name, refreshed_to) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET refreshed_to = excluded.refreshed_to`,
    [name, new Date(to)]);
  return Number(result[0].n);
}

async function trimRollup(db: Queryable, schema: string, name: string, cutoff: number): Promise<void> {
  await db.query(`DELETE FROM ${qualified(schema, name)} WHERE bucket < $1`, [new Date(cutoff)]);
}

/** `lateFrom`: the oldest reading time stored since the last run (Infinity when none). */
export async function maintainPlain(db: Queryable, info: SchemaInfo, now: number, options: MaintenanceOptions, lateFrom = Infinity): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { created: 0, dropped: 0, rolledUp: 0 };
  const today = dayOf(now);
  const cutoffDay = today - options.retentionDays;
  const rollFrom = Math.max(lateFrom, cutoffDay * DAY_MS);
  for (const table of TABLE_NAMES) {
    for (let day = today; day <= today + options.daysAhead; day++) {
      if (await ensurePartition(db, info.schema, table, day)) report.created++;
    }
    report.dropped += await dropExpired(db, info.schema, table, cutoffDay);
  }
  report.rolledUp += await refreshRollup(db, info.schema, 'readings_1m', 'readings', MINUTE_MS, now, rollFrom);
  report.rolledUp += await refreshRollup(db, info.schema, 'readings_1h', 'readings_1m', HOUR_MS, now, rollFrom);
  await trimRollup(db, info.schema, 'readings_1m', cutoffDay * DAY_MS);
  await trimRollup(db, info.schema, 'readings_1h', cutoffDay * DAY_MS);
  return report;
}

/**
 * TimescaleDB: real-time aggregation adds raw rows only past what a continuous aggregate has
 * materialised, and its refresh policy runs once per bucket width, reaching back only over its
 * window (ROLLUPS' policyStart). Rows stored after their bucket was materialised (a spool replay,
 * a backfill) would stay out of the aggregate for up to an hour (the 1-hour aggregate), or for
 * good when older than the window. So when the oldest row stored since the last run (`lateFrom`)
 * lies before the bucket preceding the last whole one, which the policy materialises, the
 * buckets from it (within retention) to the last whole bucket are refreshed now. A refresh that
 * meets a running one (the policy's) is left for the next run: resolves with the oldest time
 * still to refresh, Infinity when none.
 */
export async function refreshLateAggregates(db: Queryable, info: SchemaInfo, now: number, retentionDays: number, lateFrom: number): Promise<number> {
  let pending = Infinity;
  for (const rollup of ROLLUPS) {
    const to = Math.floor(now / rollup.widthMs) * rollup.widthMs;
    if (!(lateFrom < to - rollup.widthMs)) continue;
    const from = Math.floor(Math.max(lateFrom, now - retentionDays * DAY_MS) / rollup.widthMs) * rollup.widthMs;
    if (from >= to) continue;
    try {
      await db.query('CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz)',
        [`${quoteIdent(info.schema)}.${quoteIdent(rollup.name)}`, new Date(from), new Date(to)]);
    } catch (err) {
      if (sqlState((err as { cause?: unknown }).cause) !== LOCK_NOT_AVAILABLE) throw err;
      pending = lateFrom;
    }
  }
  return pending;
}

/** TimescaleDB: (re)sets the retention policy of every time table to the configured days. */
export async function applyTimescaleRetention(db: Queryable, info: SchemaInfo, retentionDays: number): Promise<void> {
  for (const table of [...TABLE_NAMES, ...ROLLUPS.map((rollup) => rollup.name)]) {
    const relation = `${quoteIdent(info.schema)}.${quoteIdent(table)}`;
    await db.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [relation]);
    await db.query('SELECT add_retention_policy($1::regclass, $2::interval)', [relation, `${retentionDays} days`]);
  }
}
