/**
 * History query latency through the query core (SQL built by nodes/lib/storage/query.ts) against
 * the machine's PostgreSQL (PG_URL) or, when unset, embedded PGlite. Fills `days` of readings of
 * `assets` assets × 20 sensors, one reading every `everySeconds`, in time order as a plant writes
 * them, rolls them up, then times each query of the asset-detail page. The defaults are the page the goal names: 30 days of 1 Hz data
 * for 20 sensors (about 52 million rows), 1-hour buckets from the rollups.
 *
 *   node dist/test/bench/storage-query.js [days=30] [everySeconds=1] [assets=1]
 *
 * Prints median and p95 of each query and the load average then; nothing is asserted. The schema is dropped afterwards.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DAY_MS, ensurePartition, maintainPlain } from '../../nodes/lib/storage/maintenance';
import { buildQuery, queryRequest, type QueryInput, type QueryMode } from '../../nodes/lib/storage/query';
import { migrate } from '../../nodes/lib/storage/schema';
import { qualified } from '../../nodes/lib/storage/sql';
import { openFixture } from '../lib/storage/db-fixture';

const DAYS = Number(process.argv[2] ?? 30);
const EVERY_SECONDS = Number(process.argv[3] ?? 1);
const ASSETS = Number(process.argv[4] ?? 1);
const SENSORS = 20;
const RUNS = 40;
const GOAL_P95_MS = 50;

const CASES: { label: string; mode: QueryMode; input: QueryInput; allAssets?: boolean; goal?: boolean }[] = [
  { label: 'raw 1h, one sensor', mode: 'raw', input: { sensor: 's1', range: '1h' } },
  { label: 'trend 1h, 20 sensors', mode: 'bucketed', input: { range: '1h' } },
  { label: 'trend 24h, 20 sensors', mode: 'bucketed', input: { range: '24h' } },
  { label: `trend ${DAYS}d, 20 sensors, 1h buckets`, mode: 'bucketed', input: { range: `${DAYS}d`, bucket: '1h' }, goal: true },
  { label: 'latest per sensor (24h)', mode: 'latest', input: { range: '24h' } },
  { label: 'health of all assets (24h)', mode: 'health', input: { range: '24h' }, allAssets: true },
];

async function main(): Promise<void> {
  const f = await openFixture();
  try {
    const info = await migrate(f.db, f.schema);
    const now = Date.now();
    const start = now - DAYS * DAY_MS;
    const fillStarted = performance.now();
    if (info.mode === 'plain') {
      for (let day = Math.floor(start / DAY_MS); day <= Math.floor(now / DAY_MS); day++) await ensurePartition(f.db, f.schema, 'readings', day);
    }
    for (let day = 0; day < DAYS; day++) {
      const from = new Date(start + day * DAY_MS);
      await f.db.query(
        `INSERT INTO ${qualified(f.schema, 'readings')} (ts, asset, sensor, value)
         SELECT t, 'a' || a, 's' || s, s + sin(extract(epoch from t) / 3600) FROM generate_series($1::timestamptz, $1::timestamptz + interval '1 day' - $2::interval, $2::interval) t,
           generate_series(1, ${ASSETS}) a, generate_series(1, ${SENSORS}) s ORDER BY t`,
        [from, `${EVERY_SECONDS} seconds`]);
    }
    const rows = Math.round(DAYS * 86_400 / EVERY_SECONDS) * ASSETS * SENSORS;
    console.log(`${f.embedded ? 'pglite' : 'postgres'} (${info.mode === 'timescale' ? 'TimescaleDB' : 'plain partitioning'}): ${rows.toLocaleString('en-US')} readings filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
    if (info.mode === 'plain') {
      await maintainPlain(f.db, info, now, { retentionDays: DAYS + 2, daysAhead: 1 }, start);
    } else {
      for (const view of ['readings_1m', 'readings_1h']) await f.db.query(`CALL refresh_continuous_aggregate('"${f.schema}".${view}', NULL, NULL)`);
    }
    for (const table of ['readings', 'readings_1m', 'readings_1h']) await f.db.query(`ANALYZE ${qualified(f.schema, table)}`);
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
