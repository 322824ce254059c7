/**
 * History query latency through the query core (SQL built by nodes/lib/storage/query.ts) against
 * the machine's PostgreSQL (PG_URL) or, when unset, embedded PGlite. Fills `days` of readings for
 * 5 assets × 20 sensors at `perMinute` readings a minute, rolls them up, then times each mode.
 *
 *   node dist/test/bench/storage-query.js [days=10] [perMinute=1]
 *
 * Prints figures only; nothing is asserted. The schema is dropped afterwards.
 */
import { performance } from 'node:perf_hooks';
import { DAY_MS, ensurePartition, maintainPlain } from '../../nodes/lib/storage/maintenance';
import { buildQuery, queryRequest, type QueryInput, type QueryMode } from '../../nodes/lib/storage/query';
import { migrate } from '../../nodes/lib/storage/schema';
import { qualified } from '../../nodes/lib/storage/sql';
import { openFixture } from '../lib/storage/db-fixture';

const DAYS = Number(process.argv[2] ?? 10);
const PER_MINUTE = Number(process.argv[3] ?? 1);
const ASSETS = 5;
const SENSORS = 20;
const RUNS = 15;

const CASES: { label: string; mode: QueryMode; input: QueryInput; allAssets?: boolean }[] = [
  { label: 'raw 1h, one sensor', mode: 'raw', input: { sensor: 's1', range: '1h' } },
  { label: 'trend 1h, 20 sensors', mode: 'bucketed', input: { range: '1h' } },
  { label: 'trend 24h, 20 sensors', mode: 'bucketed', input: { range: '24h' } },
  { label: `trend ${DAYS}d, 20 sensors`, mode: 'bucketed', input: { range: `${DAYS}d` } },
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
           generate_series(1, ${ASSETS}) a, generate_series(1, ${SENSORS}) s`,
        [from, `${60 / PER_MINUTE} seconds`]);
    }
    const rows = DAYS * 1440 * PER_MINUTE * ASSETS * SENSORS;
    console.log(`${f.embedded ? 'pglite' : 'postgres'}: ${rows.toLocaleString('en-US')} readings filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
    if (info.mode === 'plain') {
      await maintainPlain(f.db, info, now, { retentionDays: DAYS + 2, daysAhead: 1 }, start);
    } else {
      for (const view of ['readings_1m', 'readings_1h']) await f.db.query(`CALL refresh_continuous_aggregate('"${f.schema}".${view}', NULL, NULL)`);
    }
    await f.db.query(`ANALYZE ${qualified(f.schema, 'readings')}`);
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
      const label = built.source === undefined ? c.label : `${c.label} from ${built.source}`;
      console.log(`${label.padEnd(48)} ${String(count).padStart(6)} rows  median ${median.toFixed(1).padStart(7)} ms  max ${times[RUNS - 1].toFixed(1).padStart(7)} ms`);
    }
  } finally {
    await f.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
