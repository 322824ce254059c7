/**
 * History queries against a real database (PG_URL when set, else embedded PGlite): raw ranges,
 * trends from raw readings and from both rollups, latest values, asset health, open alerts and
 * read-only SQL templates, through the storage service the query node uses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PdmError } from '../../nodes/lib/errors';
import { emptyBatch } from '../../nodes/lib/storage/batch';
import { buildQuery, parseDuration, queryRequest, templateQuery, type QueryDefaults, type QueryInput, type QueryMode } from '../../nodes/lib/storage/query';
import { pushAnomaly, pushReading } from '../../nodes/lib/storage/records';
import { migrate } from '../../nodes/lib/storage/schema';
import { StorageService } from '../../nodes/lib/storage/service';
import { Store } from '../../nodes/lib/storage/store';
import { openFixture, type DbFixture } from '../lib/storage/db-fixture';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Whole hour, so buckets line up with the data; the last 5 h hold a reading every 10 s per sensor. */
const T = Math.floor(Date.now() / HOUR) * HOUR;
const START = T - 5 * HOUR;
const STEP = 10_000;
const DEFAULTS: QueryDefaults = { asset: 'q1', sensor: '', range: '1h', bucket: 'auto' };

type Row = Record<string, unknown>;

describe('storage queries', () => {
  let f: DbFixture;
  let service: StorageService;

  const run = async (mode: QueryMode, input: QueryInput, defaults = DEFAULTS): Promise<{ rows: Row[]; source?: string; bucketMs?: number }> => {
    const request = queryRequest(mode, input, defaults, 100_000, T);
    const built = buildQuery(request, f.schema, service.mode ?? 'plain');
    return { rows: await service.query<Row>(built.text, built.values), source: built.source, bucketMs: built.bucketMs };
  };

  before(async () => {
    f = await openFixture();
    // Stored before the service starts, so its first maintenance run rolls the last day up.
    const store = new Store(f.db, await migrate(f.db, f.schema));
    const batch = emptyBatch('readings');
    for (let ts = START; ts < T; ts += STEP) {
      pushReading(batch, { asset: 'q1', sensor: 't', value: (ts - START) / STEP, ts, unit: 'C' });
      pushReading(batch, { asset: 'q1', sensor: 'v', value: 1, ts });
      batch.rows += 2;
    }
    pushReading(batch, { asset: 'q2', sensor: 't', value: 5, ts: T - MINUTE });
    batch.rows++;
    await store.insert(batch);
    const anomalies = emptyBatch('anomalies');
    const event = { asset: 'q1', sensor: 't', value: 9, score: 4, severity: 'high', detectors: [] };
    pushAnomaly(anomalies, { event: { ...event, ts: T - HOUR }, state: 'firing' });
    pushAnomaly(anomalies, { event: { ...event, ts: T - 2 * HOUR }, state: 'resolved' });
    pushAnomaly(anomalies, { event: { ...event, ts: T - 30 * HOUR }, state: 'firing' });
    anomalies.rows += 3;
    await store.insert(anomalies);
    await f.db.query(`INSERT INTO "${f.schema}".alerts (id, asset, sensor, severity, state, opened_at, updated_at) VALUES
      ('a1', 'q1', 't', 'high', 'firing', $1, $1), ('a2', 'q1', 'v', 'low', 'resolved', $1, $1), ('a3', 'q2', NULL, 'medium', 'acknowledged', $2, $2)`,
    [new Date(T - HOUR), new Date(T - 2 * HOUR)]);
    if (store.info.mode === 'timescale') {
      for (const view of ['readings_1m', 'readings_1h']) {
        await f.db.query(`CALL refresh_continuous_aggregate('"${f.schema}".${view}', NULL, NULL)`);
      }
    }
    service = new StorageService({
      open: async () => ({ db: f.db, describe: 'test database', close: async () => undefined }),
      schema: f.schema,
    });
    await service.start();
  });

  after(async () => {
    await service?.close(2000);
    await f?.cleanup();
  });

  it('returns raw readings of the range in time order with epoch-ms times', async () => {
    const { rows, source } = await run('raw', { sensor: 't', range: '1h' });
    assert.equal(source, 'readings');
    assert.equal(rows.length, HOUR / STEP);
    assert.deepEqual(rows[0], { x: T - HOUR, y: (4 * HOUR) / STEP, series: 't', unit: 'C', quality: null });
    assert.ok(rows.every((r, i) => i === 0 || (r.x as number) > (rows[i - 1].x as number)));
  });

  it('buckets the last hour from raw readings', async () => {
    const { rows, source, bucketMs } = await run('bucketed', { sensor: 't', range: '1h', bucket: '10m' });
    assert.equal(source, 'readings');
    assert.equal(bucketMs, 10 * MINUTE);
    assert.equal(rows.length, 6);
    const first = (4 * HOUR) / STEP;
    const perBucket = (10 * MINUTE) / STEP;
    assert.deepEqual(rows[0], { x: T - HOUR, y: first + (perBucket - 1) / 2, min: first, max: first + perBucket - 1, count: perBucket, series: 't' });
  });

  it('buckets longer ranges from the 1-minute rollup with the same figures as the raw readings', async () => {
    const { rows, source } = await run('bucketed', { range: '4h', bucket: '1h' });
    assert.equal(source, 'readings_1m');
    assert.deepEqual(rows.map((r) => r.series), ['t', 't', 't', 't', 'v', 'v', 'v', 'v']);
    const raw = await f.db.query<{ x: number; y: number }>(
      `SELECT (extract(epoch from date_trunc('hour', ts)) * 1000)::float8 AS x, avg(value) AS y FROM "${f.schema}".readings
       WHERE asset = 'q1' AND sensor = 't' AND ts >= $1 AND ts < $2 GROUP BY 1 ORDER BY 1`, [new Date(T - 4 * HOUR), new Date(T)]);
    assert.deepEqual(rows.slice(0, 4).map((r) => [r.x, r.y, r.count]), raw.map((r) => [r.x, r.y, HOUR / STEP]));
  });

  it('buckets a month from the 1-hour rollup', async () => {
    const { rows, source, bucketMs } = await run('bucketed', { sensor: 'v', range: '30d' });
    assert.equal(source, 'readings_1h');
    assert.equal(bucketMs, 3 * HOUR);
    assert.equal(rows.reduce((n, r) => n + (r.count as number), 0), (5 * HOUR) / STEP);
    assert.ok(rows.every((r) => r.y === 1 && r.series === 'v'));
  });

  it('gives the latest value of each sensor of an asset', async () => {
    const { rows } = await run('latest', { range: '24h' });
    assert.deepEqual(rows, [
      { sensor: 't', ts: T - STEP, value: (5 * HOUR) / STEP - 1, unit: 'C', quality: null },
      { sensor: 'v', ts: T - STEP, value: 1, unit: null, quality: null },
    ]);
    const one = await run('latest', { sensor: 'v', range: '24h', to: T - HOUR });
    assert.deepEqual(one.rows, [{ sensor: 'v', ts: T - HOUR - STEP, value: 1, unit: null, quality: null }]);
    assert.deepEqual((await run('latest', { sensor: 'none', range: '24h' })).rows, []);
  });

  it('summarises asset health: sensors, last reading, anomalies open in the last 24 h', async () => {
    const { rows } = await run('health', { range: '24h' }, { ...DEFAULTS, asset: '' });
    assert.deepEqual(rows, [
      { asset: 'q1', sensors: 2, last_ts: T - STEP, open_anomalies: 1 },
      { asset: 'q2', sensors: 1, last_ts: T - MINUTE, open_anomalies: 0 },
    ]);
  });

  it('lists open alerts newest first, for all assets or one', async () => {
    const all = await run('alerts', {}, { ...DEFAULTS, asset: '' });
    assert.deepEqual(all.rows.map((r) => [r.id, r.state, r.opened_at]), [['a1', 'firing', T - HOUR], ['a3', 'acknowledged', T - 2 * HOUR]]);
    const one = await run('alerts', { asset: 'q2' });
    assert.deepEqual(one.rows.map((r) => r.id), ['a3']);
  });

  it('adds the readings past the rollups\' last refresh to a trend, sensor by sensor in time order, with the same figures as the raw readings', async () => {
    // Asset 'tail': sensor 'w' reads every 10 s from 3 h before T to 90 min after it, 'm' from
    // T + 10 min and 'n' from T + 50 min. The rollups are refreshed up to T + 47 min (1-minute) and
    // T (1-hour): the rest is read from finer data, and 'n' is found in the raw readings alone.
    const store = new Store(f.db, await migrate(f.db, f.schema));
    const batch = emptyBatch('readings');
    const starts: Record<string, number> = { w: T - 3 * HOUR, m: T + 10 * MINUTE, n: T + 50 * MINUTE };
    for (const [sensor, start] of Object.entries(starts)) {
      for (let ts = start; ts < T + 90 * MINUTE; ts += STEP) {
        pushReading(batch, { asset: 'tail', sensor, value: (ts - T) / STEP, ts });
        batch.rows++;
      }
    }
    await store.insert(batch);
    await store.maintain(T + 47 * MINUTE + 5000);
    const to = T + 2 * HOUR;
    const rawBuckets = async (widthMs: number, from: number): Promise<unknown[][]> => (await f.db.query<{ series: string; x: number; y: number; n: number }>(
      `SELECT sensor AS series, (extract(epoch from date_bin($3::interval, ts, timestamptz '2000-01-01')) * 1000)::float8 AS x, avg(value) AS y, count(*)::int AS n
       FROM "${f.schema}".readings WHERE asset = 'tail' AND ts >= $1 AND ts < $2 GROUP BY 1, 2 ORDER BY 1, 2`,
      [new Date(from), new Date(to), `${widthMs / 1000} seconds`])).map((r) => [r.series, r.x, r.y, r.n]);
    const cases: { range: string; bucket: string; source: string; widthMs: number }[] = [
      { range: '30d', bucket: '1h', source: 'readings_1h', widthMs: HOUR },
      { range: '30d', bucket: '3h', source: 'readings_1h', widthMs: 3 * HOUR },
      { range: '4h', bucket: '1m', source: 'readings_1m', widthMs: MINUTE },
      { range: '4h', bucket: '5m', source: 'readings_1m', widthMs: 5 * MINUTE },
    ];
    for (const c of cases) {
      const { rows, source } = await run('bucketed', { asset: 'tail', range: c.range, bucket: c.bucket, to });
      assert.equal(source, c.source);
      const from = to - parseDuration(c.range, 'range');
      const expected = await rawBuckets(c.widthMs, from);
      assert.deepEqual([...new Set(expected.map((r) => r[0]))], ['m', 'n', 'w']);
      assert.deepEqual(rows.map((r) => [r.series, r.x, r.y, r.count]), expected, `${c.range} in ${c.bucket} buckets`);
      const newest = Math.floor((T + 90 * MINUTE - STEP) / c.widthMs) * c.widthMs;
      assert.deepEqual(rows.filter((r, i) => rows[i + 1]?.series !== r.series).map((r) => r.x), [newest, newest, newest], 'each sensor reaches the newest reading');
      const one = await run('bucketed', { asset: 'tail', sensor: 'n', range: c.range, bucket: c.bucket, to });
      assert.deepEqual(one.rows.map((r) => [r.series, r.x, r.y, r.count]), expected.filter((r) => r[0] === 'n'), `${c.range} in ${c.bucket} buckets, sensor n`);
    }
  });

  it('runs a SQL template with parameters in a read-only transaction', async () => {
    const count = templateQuery('SELECT count(*)::int AS n FROM {{schema}}.readings WHERE asset = $1 AND value >= $2', f.schema, ['q1', 1]);
    assert.deepEqual(await service.query(count.text, count.values, true), [{ n: (5 * HOUR) / STEP * 2 - 1 }]);
    const attack = templateQuery('SELECT count(*)::int AS n FROM {{schema}}.readings WHERE asset = $1', f.schema, ["q1' OR '1'='1"]);
    assert.deepEqual(await service.query(attack.text, attack.values, true), [{ n: 0 }]);
    const write = templateQuery('DELETE FROM {{schema}}.readings WHERE asset = $1', f.schema, ['q1']);
    await assert.rejects(service.query(write.text, write.values, true), (err: unknown) => err instanceof PdmError && err.code === 'DB_ERROR' && /25006/.test(err.message));
    const [{ n }] = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".readings WHERE asset = 'q1'`);
    assert.equal(n, (5 * HOUR) / STEP * 2);
  });
});
