/**
 * Schema, inserts and maintenance against a real database: PG_URL when set, else embedded PGlite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PdmError } from '../../nodes/lib/errors';
import { emptyBatch } from '../../nodes/lib/storage/batch';
import { DAY_MS, partitionName } from '../../nodes/lib/storage/maintenance';
import { pushAnomaly, pushFeature, pushReading } from '../../nodes/lib/storage/records';
import { detectTimescale, LATEST_VERSION, migrate, MIGRATIONS, type SchemaInfo } from '../../nodes/lib/storage/schema';
import { Store } from '../../nodes/lib/storage/store';
import type { WindowStats } from '../../nodes/lib/stats/types';
import { openFixture, type DbFixture } from '../lib/storage/db-fixture';

const T0 = Date.UTC(2025, 0, 10, 12, 0, 0);
const NO_TIMESCALE = 'needs TimescaleDB: set PG_URL to a server with the timescaledb extension';

function readings(asset: string, count: number, start = T0, stepMs = 1000) {
  const batch = emptyBatch('readings');
  for (let i = 0; i < count; i++) {
    pushReading(batch, { asset, sensor: 'temp', value: i, ts: start + i * stepMs, quality: i % 2 ? 'good' : undefined });
    batch.rows++;
  }
  return batch;
}

async function catalogue(f: DbFixture): Promise<string[]> {
  const rows = await f.db.query<{ item: string }>(
    `SELECT c.relname || ':' || c.relkind::text || ':' || coalesce(string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum), '') AS item
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = $1 GROUP BY c.relname, c.relkind ORDER BY 1`, [f.schema]);
  return rows.map((r) => r.item);
}

describe('storage schema and store', () => {
  let f: DbFixture;
  let info: SchemaInfo;
  let store: Store;

  before(async () => {
    f = await openFixture();
    info = await migrate(f.db, f.schema);
    store = new Store(f.db, info, { retentionDays: 30, daysAhead: 2 });
  });
  after(async () => f?.cleanup());

  it('applies every migration on first run, in the mode the database supports', async () => {
    assert.deepEqual(info.applied, MIGRATIONS.map((m) => m.version));
    assert.equal(info.version, LATEST_VERSION);
    assert.equal(info.mode, (await detectTimescale(f.db)) ? 'timescale' : 'plain');
    const tables = await f.db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT LIKE '%\\_p%' ORDER BY 1", [f.schema]);
    for (const name of ['alerts', 'anomalies', 'features', 'models', 'readings', 'readings_1h', 'readings_1m', 'schema_migrations']) {
      assert.ok(tables.some((t) => t.table_name === name), `table ${name} exists`);
    }
  });

  it('runs migrations a second time without changing anything', async () => {
    const before = await catalogue(f);
    const again = await migrate(f.db, f.schema);
    assert.deepEqual(again.applied, []);
    assert.equal(again.version, info.version);
    assert.deepEqual(await catalogue(f), before);
  });

  it('rejects injection attempts in the schema name with a clear error', async () => {
    for (const bad of ['pdm"; DROP TABLE x; --', 'Pdm', '1pdm', 'pdm.readings', '', 'a'.repeat(49)]) {
      await assert.rejects(migrate(f.db, bad), (err: unknown) => {
        assert.ok(err instanceof PdmError);
        assert.equal(err.code, 'INVALID_CONFIG');
        assert.match(err.message, /not a valid name/);
        return true;
      });
    }
  });

  it('stores a readings batch once: a replay adds nothing', async () => {
    const batch = readings('pump-1', 500);
    assert.equal(await store.insert(batch), 500);
    assert.equal(await store.insert(batch), 0);
    const [row] = await f.db.query<{ n: number; d: number; first: Date; q: string | null }>(
      `SELECT count(*)::int AS n, count(DISTINCT ts)::int AS d, min(ts) AS first,
              (SELECT quality FROM "${f.schema}".readings WHERE asset = 'pump-1' AND ts = to_timestamp($1 / 1000.0)) AS q
       FROM "${f.schema}".readings WHERE asset = 'pump-1'`, [T0 + 1000]);
    assert.equal(row.n, 500);
    assert.equal(row.d, 500);
    assert.equal(row.first.getTime(), T0);
    assert.equal(row.q, 'good');
  });

  it('keeps millisecond timestamps exactly', async () => {
    const batch = emptyBatch('readings');
    const odd = [T0 + 1, T0 + 999, T0 + 123_457];
    for (const ts of odd) {
      pushReading(batch, { asset: 'ms', sensor: 's', value: 1, ts });
      batch.rows++;
    }
    await store.insert(batch);
    const rows = await f.db.query<{ ts: Date }>(`SELECT ts FROM "${f.schema}".readings WHERE asset = 'ms' ORDER BY ts`);
    assert.deepEqual(rows.map((r) => r.ts.getTime()), odd);
  });

  it('stores only the new rows of a batch that partly repeats stored ones, and keeps the fast path afterwards', async () => {
    assert.equal(await store.insert(readings('overlap', 300)), 300);
    assert.equal(await store.insert(readings('overlap', 600)), 300);
    for (let i = 0; i < 20; i++) assert.equal(await store.insert(readings('overlap', 10, T0 + (1000 + i * 10) * 1000)), 10);
    const [row] = await f.db.query<{ n: number; d: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT ts)::int AS d FROM "${f.schema}".readings WHERE asset = 'overlap'`);
    assert.deepEqual(row, { n: 800, d: 800 });
  });

  it('gives sub-millisecond times the key to_timestamp gives them, so every write path meets the same row', async () => {
    const batch = emptyBatch('readings');
    // 1717200000123.4565 ms lands exactly halfway between two microseconds: rounded to the even one.
    const odd = [1_717_200_000_123.4565, T0 + 0.0004, T0 + 0.9996, T0 - 0.5];
    for (const ts of odd) {
      pushReading(batch, { asset: 'sub-ms', sensor: 's', value: 1, ts });
      batch.rows++;
    }
    assert.equal(await store.insert(batch), odd.length);
    const matched = await f.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${f.schema}".readings r JOIN unnest($1::float8[]) AS u(ms) ON r.ts = to_timestamp(u.ms / 1000.0)
       WHERE r.asset = 'sub-ms'`, [odd]);
    assert.equal(matched[0].n, odd.length);
    const mixed = readings('sub-ms', 1, T0 + 5000);
    for (const ts of odd) pushReading(mixed, { asset: 'sub-ms', sensor: 's', value: 2, ts });
    mixed.rows += odd.length;
    assert.equal(await store.insert(mixed), 1, 'a replay through the conflict-skipping path adds only the new row');
  });

  it('stores any text: quotes, backslashes, commas, braces, non-ASCII and long strings', async () => {
    const batch = emptyBatch('readings');
    const names = ['a"b', 'c\\d', 'e,f', '{g}', 'NULL', ' spaced ', 'température', '温度', '🙂'.repeat(20), 'x'.repeat(5000)];
    names.forEach((sensor, i) => {
      pushReading(batch, { asset: 'text', sensor, value: i, ts: T0, unit: i % 2 ? sensor : undefined, quality: i % 3 ? 'good' : undefined });
      batch.rows++;
    });
    assert.equal(await store.insert(batch), names.length);
    assert.equal(await store.insert(batch), 0);
    const rows = await f.db.query<{ sensor: string; unit: string | null; quality: string | null }>(
      `SELECT sensor, unit, quality FROM "${f.schema}".readings WHERE asset = 'text' ORDER BY value`);
    assert.deepEqual(rows, names.map((sensor, i) => ({ sensor, unit: i % 2 ? sensor : null, quality: i % 3 ? 'good' : null })));
  });

  it('stores window statistics and anomaly events with their full record', async () => {
    const stats = { asset: 'fan', sensor: 'vib', start: T0, end: T0 + 60_000, count: 60, mean: 1.5, std: 0.2, min: 1, max: 2 } as WindowStats;
    const features = emptyBatch('features');
    pushFeature(features, stats);
    features.rows++;
    assert.equal(await store.insert(features), 1);
    assert.equal(await store.insert(features), 0);
    const anomalies = emptyBatch('anomalies');
    pushAnomaly(anomalies, { event: { asset: 'fan', sensor: 'vib', ts: T0, value: 9, score: 3.5, severity: 'high', detectors: [] }, state: 'firing' });
    anomalies.rows++;
    pushAnomaly(anomalies, { event: { asset: 'fan', sensor: 'vib', ts: T0, value: 9, score: 3.5, severity: 'high', detectors: [] }, state: 'resolved' });
    anomalies.rows++;
    assert.equal(await store.insert(anomalies), 2);
    const [feature] = await f.db.query<{ record: { count: number }; mean: number }>(`SELECT record, mean FROM "${f.schema}".features`);
    assert.equal(feature.mean, 1.5);
    assert.equal(feature.record.count, 60);
    const states = await f.db.query<{ state: string }>(`SELECT state FROM "${f.schema}".anomalies ORDER BY state`);
    assert.deepEqual(states.map((s) => s.state), ['firing', 'resolved']);
  });

  it('maps database errors by SQLSTATE: integrity and syntax are not retriable', async () => {
    await assert.rejects(f.db.query(`SELECT * FROM "${f.schema}".no_such_table`), (err: unknown) => {
      assert.ok(err instanceof PdmError);
      assert.equal(err.code, 'DB_ERROR');
      assert.equal(err.retriable, false);
      return true;
    });
    await assert.rejects(f.db.query(`INSERT INTO "${f.schema}".models (name, version, kind, params) VALUES ('m', 1, 'k', '{}'), ('m', 1, 'k', '{}')`),
      (err: unknown) => err instanceof PdmError && err.code === 'DB_ERROR' && !err.retriable);
  });

  it('plain mode: creates partitions on demand and ahead, drops them past retention', { skip: false }, async (t) => {
    if (info.mode !== 'plain') return t.skip('TimescaleDB manages chunks itself');
    const now = T0;
    const old = readings('old', 10, now - 40 * DAY_MS);
    assert.equal(await store.insert(old), 10);
    const exists = async (name: string): Promise<boolean> =>
      (await f.db.query('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [f.schema, name])).length > 0;
    assert.ok(await exists(partitionName('readings', Math.floor((now - 40 * DAY_MS) / DAY_MS))));
    const report = await store.maintain(now);
    assert.ok(report.created >= 3, `partitions ahead created (${report.created})`);
    assert.ok(await exists(partitionName('anomalies', Math.floor(now / DAY_MS) + 2)));
    assert.ok(report.dropped >= 1);
    assert.equal(await exists(partitionName('readings', Math.floor((now - 40 * DAY_MS) / DAY_MS))), false);
    const [left] = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".readings WHERE asset = 'old'`);
    assert.equal(left.n, 0);
    assert.equal(await store.insert(old), 10, 'a dropped day is recreated when its data comes again');
  });

  it('plain mode: the rollup job keeps 1-minute and 1-hour tables current', async (t) => {
    if (info.mode !== 'plain') return t.skip('continuous aggregates are refreshed by TimescaleDB');
    const start = T0 + 3 * 3_600_000;
    await store.insert(readings('roll', 180, start, 1000));
    await store.maintain(start + 3 * 60_000 + 5000);
    const minutes = await f.db.query<{ count: string; sum: number; min: number; max: number }>(
      `SELECT count, sum, min, max FROM "${f.schema}".readings_1m WHERE asset = 'roll' ORDER BY bucket`);
    assert.deepEqual(minutes.map((m) => Number(m.count)), [60, 60, 60]);
    assert.deepEqual(minutes.map((m) => [m.min, m.max]), [[0, 59], [60, 119], [120, 179]]);
    await store.maintain(start + 3_600_000 + 1000);
    const [hour] = await f.db.query<{ count: string; sum: number }>(`SELECT count, sum FROM "${f.schema}".readings_1h WHERE asset = 'roll'`);
    assert.equal(Number(hour.count), 180);
    assert.equal(hour.sum, (179 * 180) / 2);
  });

  it('plain mode: rows stored long after their time (a replay, a backfill) still reach the rollups', async (t) => {
    if (info.mode !== 'plain') return t.skip('continuous aggregates are refreshed by TimescaleDB');
    const start = T0 + 6 * 3_600_000;
    const later = start + 5 * 3_600_000;
    await store.maintain(later);
    await store.insert(readings('late', 120, start, 1000));
    await store.maintain(later + 60_000);
    const minutes = await f.db.query<{ count: string }>(`SELECT count FROM "${f.schema}".readings_1m WHERE asset = 'late' ORDER BY bucket`);
    assert.deepEqual(minutes.map((m) => Number(m.count)), [60, 60]);
    const [hour] = await f.db.query<{ count: string }>(`SELECT count FROM "${f.schema}".readings_1h WHERE asset = 'late'`);
    assert.equal(Number(hour.count), 120);
  });

  it('TimescaleDB: hypertables, compression, retention and refresh policies, real-time continuous aggregates', async (t) => {
    if (info.mode !== 'timescale') return t.skip(NO_TIMESCALE);
    await store.maintain(Date.now());
    const hypertables = await f.db.query<{ hypertable_name: string; compression_enabled: boolean }>(
      'SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 ORDER BY 1', [f.schema]);
    assert.deepEqual(hypertables.map((h) => [h.hypertable_name, h.compression_enabled]), [['anomalies', true], ['features', true], ['readings', true]]);
    const caggs = await f.db.query<{ view_name: string; materialized_only: boolean }>(
      'SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 ORDER BY 1', [f.schema]);
    assert.deepEqual(caggs.map((c) => [c.view_name, c.materialized_only]), [['readings_1h', false], ['readings_1m', false]]);
    const jobs = await f.db.query<{ job: string }>(
      `SELECT j.proc_name || ' ' || coalesce(j.hypertable_name, '') AS job FROM timescaledb_information.jobs j
       WHERE j.hypertable_schema IN ($1, '_timescaledb_internal') ORDER BY 1`, [f.schema]);
    const names = jobs.map((j) => j.job.split(' ')[0]);
    assert.equal(names.filter((n) => n === 'policy_compression').length, 3, 'a compression policy per hypertable');
    assert.equal(names.filter((n) => n === 'policy_refresh_continuous_aggregate').length, 2, 'a refresh policy per continuous aggregate');
    assert.equal(names.filter((n) => n === 'policy_retention').length, 5, 'a retention policy per hypertable and continuous aggregate');
  });

  it('TimescaleDB: rows stored after their buckets were materialised (a replay, a backfill) still reach the continuous aggregates', async (t) => {
    if (info.mode !== 'timescale') return t.skip(NO_TIMESCALE);
    const now = Date.now();
    const start = Math.floor((now - 4 * DAY_MS) / 3_600_000) * 3_600_000;
    // Materialised up to two hours ago, so the late rows fall under what is already materialised.
    await store.insert(readings('tsdb-recent', 1, now - 2 * 3_600_000));
    for (const view of ['readings_1m', 'readings_1h']) await f.db.query(`CALL refresh_continuous_aggregate('"${f.schema}".${view}', NULL, NULL)`);
    await store.maintain(now);
    assert.equal(await store.insert(readings('tsdb-late', 120, start, 1000)), 120);
    await store.maintain(now);
    const minutes = await f.db.query<{ count: string }>(`SELECT count FROM "${f.schema}".readings_1m WHERE asset = 'tsdb-late' ORDER BY bucket`);
    assert.deepEqual(minutes.map((m) => Number(m.count)), [60, 60]);
    const hours = await f.db.query<{ count: string; sum: number }>(`SELECT count, sum FROM "${f.schema}".readings_1h WHERE asset = 'tsdb-late'`);
    assert.deepEqual(hours.map((h) => [Number(h.count), h.sum]), [[120, (119 * 120) / 2]]);
  });

  it('TimescaleDB: writes into a compressed chunk store new rows once and skip stored ones', async (t) => {
    if (info.mode !== 'timescale') return t.skip(NO_TIMESCALE);
    const start = Math.floor((Date.now() - 10 * DAY_MS) / DAY_MS) * DAY_MS;
    assert.equal(await store.insert(readings('tsdb-cold', 100, start, 1000)), 100);
    const compressed = await f.db.query<{ chunk: string }>(
      `SELECT compress_chunk(c) AS chunk FROM show_chunks('"${f.schema}".readings', older_than => $1::timestamptz, newer_than => $2::timestamptz) c`,
      [new Date(start + DAY_MS), new Date(start)]);
    assert.equal(compressed.length, 1);
    assert.equal(await store.insert(readings('tsdb-cold', 100, start, 1000)), 0, 'a replay adds nothing');
    assert.equal(await store.insert(readings('tsdb-cold', 150, start, 1000)), 50, 'only the new rows of a partial replay');
    const [row] = await f.db.query<{ n: number; d: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT ts)::int AS d FROM "${f.schema}".readings WHERE asset = 'tsdb-cold'`);
    assert.deepEqual(row, { n: 150, d: 150 });
  });
});
