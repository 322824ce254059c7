/**
 * History query latency through the query core (SQL built by nodes/lib/storage/query.ts) against
 * the machine's PostgreSQL (PG_URL) or, when unset, embedded PGlite. Fills `days` of readings of
 * `assets` assets × 20 sensors, one reading every `everySeconds`, in time order as a plant writes
 * them, rolls them up, then times each query of the asset-detail page. The defaults are the page the goal names: 30 days of 1 Hz data
 * for 20 sensors (about 52 million rows), 1-hour buckets from the rollups.
 *
 *   node dist/test/bench/storage-query.js [days=30] [everySeconds=1] [assets=1]
 *
 * Prints median and p95 of each query and the load average then; nothing is asserted. The schema is dropped afterwards,
 * unless STORAGE_QUERY_SCHEMA names one: then the fixture is filled into that schema and kept, and a later run with the
 * same arguments reuses it (its queries then ask for the windows of the time it was filled) instead of filling again.
 * Drop it when done:
 *
 *   STORAGE_QUERY_SCHEMA=pdm_bench_page node dist/test/bench/storage-query.js
 *   psql … -c 'DROP SCHEMA pdm_bench_page CASCADE'
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Database } from '../../nodes/lib/storage/database';
import { DAY_MS, ensurePartition, maintainPlain } from '../../nodes/lib/storage/maintenance';
import { buildQuery, queryRequest, type QueryInput, type QueryMode } from '../../nodes/lib/storage/query';
import { migrate, type SchemaInfo } from '../../nodes/lib/storage/schema';
import { qualified } from '../../nodes/lib/storage/sql';
import { openFixture } from '../lib/storage/db-fixture';

const DAYS = Number(process.argv[2] ?? 30);
const EVERY_SECONDS = Number(process.argv[3] ?? 1);
const ASSETS = Number(process.argv[4] ?? 1);
const SENSORS = 20;
const RUNS = 40;
const GOAL_P95_MS = 50;
const KEPT_SCHEMA = process.env.STORAGE_QUERY_SCHEMA || undefined;

const CASES: { label: string; mode: QueryMode; input: QueryInput; allAssets?: boolean; goal?: boolean }[] = [
  { label: 'raw 1h, one sensor', mode: 'raw', input: { sensor: 's1', range: '1h' } },
  { label: 'trend 1h, 20 sensors', mode: 'bucketed', input: { range: '1h' } },
  { label: 'trend 24h, 20 sensors', mode: 'bucketed', input: { range: '24h' } },
  { label: `trend ${DAYS}d, 20 sensors, 1h buckets`, mode: 'bucketed', input: { range: `${DAYS}d`, bucket: '1h' }, goal: true },
  { label: 'latest per sensor (24h)', mode: 'latest', input: { range: '24h' } },
  { label: 'health of all assets (24h)', mode: 'health', input: { range: '24h' }, allAssets: true },
];

/** Fills the readings up to `now`, rolls them up and returns the count filled. */
async function fill(db: Database, info: SchemaInfo, now: number): Promise<number> {
  const start = now - DAYS * DAY_MS;
  const fillStarted = performance.now();
  if (info.mode === 'plain') {
    for (let day = Math.floor(start / DAY_MS); day <= Math.floor(now / DAY_MS); day++) await ensurePartition(db, info.schema, 'readings', day);
  }
  for (let day = 0; day < DAYS; day++) {
    const from = new Date(start + day * DAY_MS);
    await db.query(
      `INSERT INTO ${qualified(info.schema, 'readings')} (ts, asset, sensor, value)
       SELECT t, 'a' || a, 's' || s, s + sin(extract(epoch from t) / 3600) FROM generate_series($1::timestamptz, $1::timestamptz + interval '1 day' - $2::interval, $2::interval) t,
         generate_series(1, ${ASSETS}) a, generate_series(1, ${SENSORS}) s ORDER BY t`,
      [from, `${EVERY_SECONDS} seconds`]);
  }
  const rows = Math.round(DAYS * 86_400 / EVERY_SECONDS) * ASSETS * SENSORS;
  console.log(`${rows.toLocaleString('en-US')} readings filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
  if (info.mode === 'plain') {
    await maintainPlain(db, info, now, { retentionDays: DAYS + 2, daysAhead: 1 }, start);
  } else {
    for (const view of ['readings_1m', 'readings_1h']) await db.query(`CALL refresh_continuous_aggregate('"${info.schema}".${view}', NULL, NULL)`);
  }
  for (const table of ['readings', 'readings_1m', 'readings_1h']) await db.query(`ANALYZE ${qualified(info.schema, table)}`);
  return rows;
}

/**
 * The time the kept schema's fixture was filled up to, filling it first when the schema is new.
 * A kept schema remembers the arguments it was filled with and refuses others.
 */
async function keptFixture(db: Database, info: SchemaInfo): Promise<number> {
  const record = qualified(info.schema, 'bench_fixture');
  await db.query(`CREATE TABLE IF NOT EXISTS ${record} (days integer NOT NULL, every_seconds integer NOT NULL, assets integer NOT NULL, filled_to bigint NOT NULL)`);
  const kept = await db.query<{ days: number; every_seconds: number; assets: number; filled_to: string }>(`SELECT * FROM ${record}`);
  if (kept.length > 0) {
    const [k] = kept;
    if (k.days !== DAYS || k.every_seconds !== EVERY_SECONDS || k.assets !== ASSETS) {
      throw new Error(`schema ${info.schema} holds ${k.days} days every ${k.every_seconds} s for ${k.assets} asset(s): drop it or name another`);
    }
    console.log(`reusing the fixture in schema ${info.schema}`);
    return Number(k.filled_to);
  }
  if ((await db.query(`SELECT 1 FROM ${qualified(info.schema, 'readings')} LIMIT 1`)).length > 0) {
    throw new Error(`schema ${info.schema} holds readings but no complete fixture: drop it or name another`);
  }
  const now = Date.now();
  await fill(db, info, now);
  await db.query(`INSERT INTO ${record} VALUES ($1, $2, $3, $4)`, [DAYS, EVERY_SECONDS, ASSETS, now]);
  return now;
}

async function main(): Promise<void> {
  const f = await openFixture({ schema: KEPT_SCHEMA, keepSchema: KEPT_SCHEMA !== undefined });
  try {
    const info = await migrate(f.db, f.schema);
    console.log(`${f.embedded ? 'pglite' : 'postgres'} (${info.mode === 'timescale' ? 'TimescaleDB' : 'plain partitioning'})`);
    let now = Date.now();
    if (KEPT_SCHEMA === undefined) await fill(f.db, info, now);
    else now = await keptFixture(f.db, info);
    for (const c of CASES) {
      const request = queryRequest(c.mode, c.input, { asset: c.allAssets ? '' : 'a1', sensor: '', range: '1h', bucket: 'auto' }, 100_000, now);
      const built = buildQuery(request, f.schema, info.mode);
      const times: number[] = [];
      let count = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        count = (await f.db.query(built.text, built.values)).length;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(RUNS / 2)];
      const p95 = times[Math.ceil(RUNS * 0.95) - 1];
      const label = built.source === undefined ? c.label : `${c.label} from ${built.source}`;
      const goal = c.goal ? `  (goal p95 ≤ ${GOAL_P95_MS} ms: ${p95 <= GOAL_P95_MS ? 'met' : 'missed'})` : '';
      const load = os.loadavg()[0].toFixed(2);
      console.log(`${label.padEnd(56)} ${String(count).padStart(6)} rows  median ${median.toFixed(1).padStart(7)} ms  p95 ${p95.toFixed(1).padStart(7)} ms${goal}  (load ${load})`);
    }
  } finally {
    await f.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
