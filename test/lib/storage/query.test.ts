import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import {
  bucketWidth, buildQuery, chooseSource, parseDuration, queryRequest, resolveWindow, templateQuery, toChartPoints,
  type QueryDefaults,
} from '../../../nodes/lib/storage/query';
import { querySettings } from '../../../nodes/lib/storage/query-config';

const NOW = Date.UTC(2025, 5, 1, 12);
const HOUR = 3_600_000;
const DEFAULTS: QueryDefaults = { asset: 'pump-1', sensor: '', range: '1h', bucket: 'auto' };

function invalidQuery(work: () => unknown, message: RegExp): void {
  assert.throws(work, (err: unknown) => err instanceof PdmError && err.code === 'INVALID_QUERY' && message.test(err.message));
}

describe('query building', () => {
  it('parses durations and refuses anything else', () => {
    assert.equal(parseDuration('15m', 'range'), 15 * 60_000);
    assert.equal(parseDuration('24h', 'range'), 24 * HOUR);
    assert.equal(parseDuration('30d', 'range'), 30 * 24 * HOUR);
    assert.equal(parseDuration('2w', 'range'), 14 * 24 * HOUR);
    invalidQuery(() => parseDuration('1 hour', 'range'), /range "1 hour" is not a duration/);
    invalidQuery(() => parseDuration('0h', 'range'), /not a duration/);
    invalidQuery(() => parseDuration('500d', 'range'), /at most 400d/);
  });

  it('takes the window from msg.from/msg.to, else msg.range back from msg.to or now', () => {
    assert.deepEqual(resolveWindow({}, '1h', NOW), { from: NOW - HOUR, to: NOW });
    assert.deepEqual(resolveWindow({ range: '24h', to: NOW - HOUR }, '1h', NOW), { from: NOW - 25 * HOUR, to: NOW - HOUR });
    assert.deepEqual(resolveWindow({ from: '2025-06-01T00:00:00Z', to: '2025-06-01T06:00:00Z' }, '1h', NOW),
      { from: Date.UTC(2025, 5, 1), to: Date.UTC(2025, 5, 1, 6) });
    invalidQuery(() => resolveWindow({ from: NOW, to: NOW - 1 }, '1h', NOW), /from must be before to/);
    invalidQuery(() => resolveWindow({ from: 'yesterday' }, '1h', NOW), /from "yesterday" is not a time/);
  });

  it('checks asset, sensor and params from the msg', () => {
    const request = queryRequest('bucketed', { sensor: 'vibration' }, DEFAULTS, 1000, NOW);
    assert.equal(request.asset, 'pump-1');
    assert.equal(request.sensor, 'vibration');
    assert.equal(queryRequest('raw', {}, DEFAULTS, 1000, NOW).sensor, undefined);
    invalidQuery(() => queryRequest('raw', { asset: 42 }, DEFAULTS, 1000, NOW), /asset must be a name/);
    invalidQuery(() => queryRequest('latest', {}, { ...DEFAULTS, asset: '' }, 1000, NOW), /mode latest needs an asset/);
    invalidQuery(() => queryRequest('sql', { params: [{ a: 1 }] }, DEFAULTS, 1000, NOW), /msg.params must be an array/);
    invalidQuery(() => queryRequest('sql', { params: 'x' }, DEFAULTS, 1000, NOW), /msg.params must be an array/);
    assert.equal(queryRequest('health', {}, { ...DEFAULTS, asset: '' }, 1000, NOW).asset, undefined);
  });

  it('reads raw readings up to 2 h, the 1-minute rollup up to 3 d and the 1-hour rollup beyond', () => {
    assert.equal(chooseSource(2 * HOUR), 'readings');
    assert.equal(chooseSource(2 * HOUR + 1), 'readings_1m');
    assert.equal(chooseSource(72 * HOUR), 'readings_1m');
    assert.equal(chooseSource(72 * HOUR + 1), 'readings_1h');
  });

  it('picks round bucket widths near 300 points, never finer than the source', () => {
    assert.equal(bucketWidth(HOUR, 'readings', 0), 15_000);
    assert.equal(bucketWidth(24 * HOUR, 'readings_1m', 0), 5 * 60_000);
    assert.equal(bucketWidth(30 * 24 * HOUR, 'readings_1h', 0), 3 * HOUR);
    assert.equal(bucketWidth(HOUR, 'readings', 500), 1000);
    assert.equal(bucketWidth(24 * HOUR, 'readings_1m', 90_000), 120_000);
    assert.equal(bucketWidth(10 * 24 * HOUR, 'readings_1h', 60_000), HOUR);
  });

  it('buckets with time_bucket on TimescaleDB and date_bin on plain PostgreSQL, values only as parameters', () => {
    const request = queryRequest('bucketed', { asset: "x'; DROP TABLE readings; --", range: '30d' }, DEFAULTS, 500, NOW);
    const plain = buildQuery(request, 'pdm', 'plain');
    assert.match(plain.text, /date_bin\(\$4::interval, b, timestamptz '2000-01-01'\)/);
    assert.match(plain.text, /FROM "pdm"."readings_1h"/);
    assert.doesNotMatch(plain.text, /DROP/);
    assert.deepEqual(plain.values.slice(2), ["x'; DROP TABLE readings; --", '10800 seconds', 500]);
    assert.equal(plain.source, 'readings_1h');
    assert.equal(plain.bucketMs, 3 * HOUR);
    const aggregate = buildQuery(request, 'pdm', 'timescale');
    assert.match(aggregate.text, /time_bucket\(\$4::interval, b\)/);
    assert.doesNotMatch(aggregate.text, /rollup_state|"readings_1m"|"readings"/, 'continuous aggregates add their raw tail themselves');
    const timescale = buildQuery({ ...request, from: NOW - HOUR }, 'pdm', 'timescale');
    assert.match(timescale.text, /time_bucket\(\$3::interval, ts\)/);
    assert.match(timescale.text, /FROM "pdm"."readings"\s+WHERE/);
    assert.match(timescale.text, /avg\(value\)/);
  });

  it('reads rollup rows as they are, sensor by sensor in key order, when the buckets are as wide as the rollup, grouping only the tail', () => {
    const built = buildQuery(queryRequest('bucketed', { range: '30d', bucket: '1h' }, DEFAULTS, 500, NOW), 'pdm', 'plain');
    assert.equal(built.source, 'readings_1h');
    assert.equal(built.bucketMs, HOUR);
    // The sensors: a skip scan of the rollup's key, and those of the tail.
    assert.match(built.text, /head_sensors AS \(\s*\(SELECT sensor FROM "pdm"."readings_1h" WHERE asset = \$3 ORDER BY sensor LIMIT 1\)/);
    const main = built.text.slice(built.text.indexOf("SELECT (date_part('epoch', p.b)"));
    assert.match(main, /FROM \(SELECT sensor FROM head_sensors WHERE sensor IS NOT NULL UNION SELECT sensor FROM tail ORDER BY sensor\) k CROSS JOIN LATERAL/);
    // Per sensor: its rollup rows in bucket order, as they are, then its tail.
    const [head, tail] = main.slice(main.indexOf('CROSS JOIN LATERAL')).split(/UNION ALL(.*)/s);
    assert.match(head, /SELECT b, sum \/ nullif\(count, 0\) AS y, min, max, count::int AS count FROM \(SELECT bucket AS b, count, sum, min, max FROM "pdm"."readings_1h" WHERE asset = \$3 AND sensor = k.sensor AND bucket >= \$1 AND bucket < least\(\$2, \(SELECT h FROM cut\)\)\) r ORDER BY b/);
    assert.doesNotMatch(head, /GROUP BY|date_bin/);
    assert.match(tail, /FROM tail WHERE sensor = k.sensor\) r ORDER BY b\)\) p\s+ORDER BY k.sensor, p.b LIMIT \$5$/);
    // The tail, grouped once: the 1-minute rollup past the 1-hour refresh, the raw readings past the 1-minute one.
    const tailCte = built.text.slice(built.text.indexOf('tail AS MATERIALIZED'), built.text.indexOf('head_sensors AS'));
    assert.match(tailCte, /^tail AS MATERIALIZED \(SELECT date_bin\(\$4::interval, b, timestamptz '2000-01-01'\) AS b, sensor, sum\(count\) AS count/);
    assert.match(tailCte, /FROM "pdm"."readings_1m" WHERE asset = \$3 AND bucket >= greatest\(\$1, \(SELECT h FROM cut\)\) AND bucket < least\(\$2, \(SELECT m FROM cut\)\)/);
    // The raw tail probes the key of each sensor with readings past the 1-minute rollup's refresh.
    assert.match(built.text, /tail_sensors AS \(\s*\(SELECT sensor FROM "pdm"."readings" WHERE asset = \$3 AND ts >= date_bin\('1 day', greatest\(\$1, \(SELECT m FROM cut\)\)/);
    assert.match(tailCte, /FROM "pdm"."readings"\s+WHERE asset = \$3 AND sensor = ANY \(ARRAY\(SELECT sensor FROM tail_sensors WHERE sensor IS NOT NULL\)\) AND ts >= greatest\(\$1, \(SELECT m FROM cut\)\) AND ts < \$2\) p GROUP BY 1, 2\)/);
    assert.deepEqual(built.values.slice(2), ['pump-1', '3600 seconds', 500]);
  });

  it('reads continuous aggregates sensor by sensor too, without a tail of their own', () => {
    const built = buildQuery(queryRequest('bucketed', { range: '30d', bucket: '1h' }, DEFAULTS, 500, NOW), 'pdm', 'timescale');
    assert.doesNotMatch(built.text, /rollup_state|"readings_1m"|tail/);
    assert.match(built.text, /head_sensors AS \(\s*\(SELECT sensor FROM "pdm"."readings" WHERE asset = \$3 AND ts >= date_bin\('1 day', \$1::timestamptz/);
    assert.match(built.text, /CROSS JOIN LATERAL \(\(SELECT b, sum \/ nullif\(count, 0\) AS y, min, max, count::int AS count FROM \(SELECT bucket AS b, count, sum, min, max FROM "pdm"."readings_1h" WHERE asset = \$3 AND sensor = k.sensor AND bucket >= \$1 AND bucket < \$2\) r ORDER BY b\)\) p\s+ORDER BY k.sensor, p.b LIMIT \$4$/);
    const one = buildQuery(queryRequest('bucketed', { sensor: 'v', range: '30d', bucket: '1h' }, DEFAULTS, 500, NOW), 'pdm', 'timescale');
    assert.match(one.text, /^SELECT .* FROM \(SELECT \$4::text AS sensor ORDER BY sensor\) k CROSS JOIN LATERAL/s);
  });

  it('filters by sensor only when one is asked for', () => {
    const all = buildQuery(queryRequest('raw', {}, DEFAULTS, 10, NOW), 'pdm', 'plain');
    assert.doesNotMatch(all.text, /sensor = \$/);
    assert.equal(all.values.length, 4);
    const one = buildQuery(queryRequest('latest', { sensor: 't' }, DEFAULTS, 10, NOW), 'pdm', 'plain');
    assert.doesNotMatch(one.text, /RECURSIVE/);
    assert.match(one.text, /SELECT \$4::text AS sensor/);
    assert.deepEqual(one.values.slice(2), ['pump-1', 't', 10]);
    const every = buildQuery(queryRequest('latest', {}, DEFAULTS, 10, NOW), 'pdm', 'plain');
    assert.match(every.text, /WITH RECURSIVE/);
    assert.deepEqual(every.values.slice(2), ['pump-1', 10]);
  });

  it('lists open alerts, for one asset or all, without a time window', () => {
    const all = buildQuery(queryRequest('alerts', {}, { ...DEFAULTS, asset: '' }, 50, NOW), 'pdm', 'plain');
    assert.match(all.text, /FROM "pdm"."alerts"\s+WHERE state <> 'resolved' ORDER BY opened_at DESC LIMIT \$1/);
    assert.deepEqual(all.values, [50]);
    const one = buildQuery(queryRequest('alerts', {}, DEFAULTS, 50, NOW), 'pdm', 'plain');
    assert.deepEqual(one.values, ['pump-1', 50]);
  });

  it('refuses an unchecked schema name', () => {
    assert.throws(() => buildQuery(queryRequest('raw', {}, DEFAULTS, 10, NOW), 'pdm"; --', 'plain'), /not a valid name/);
  });

  it('fills a SQL template with the schema and checks its parameters against msg.params', () => {
    const built = templateQuery('SELECT * FROM {{schema}}.readings WHERE asset = $1 AND value > $2;', 'pdm', ['p', 3]);
    assert.equal(built.text, 'SELECT * FROM "pdm".readings WHERE asset = $1 AND value > $2');
    assert.deepEqual(built.values, ['p', 3]);
    invalidQuery(() => templateQuery('SELECT $1, $2', 'pdm', ['a']), /uses \$1..\$2 but msg.params has 1/);
    invalidQuery(() => templateQuery('SELECT 1; DELETE FROM x', 'pdm', []), /one statement/);
    invalidQuery(() => templateQuery('  ', 'pdm', []), /empty/);
  });

  it('shapes rows as chart points', () => {
    assert.deepEqual(toChartPoints([{ x: 1000, y: '2.5', series: 't', unit: 'C' }]), [{ x: 1000, y: 2.5, series: 't' }]);
  });

  it('checks the node settings', () => {
    assert.equal(querySettings({}).mode, 'bucketed');
    assert.equal(querySettings({ output: 'rows', limit: '10' }).limit, 10);
    assert.throws(() => querySettings({ mode: 'drop' }), /unknown mode/);
    assert.throws(() => querySettings({ range: 'forever' }), /not a duration/);
    assert.throws(() => querySettings({ mode: 'sql' }), /needs a SQL template/);
    assert.throws(() => querySettings({ limit: 0 }), /row limit/);
  });
});
