import { PdmError } from '../errors';
import type { StorageMode } from './schema';
import { qualified, quoteIdent } from './sql';

/**
 * History queries for dashboards and flows, built as SQL text plus $n values: every value a
 * caller supplies travels as a parameter, only checked identifiers reach the text. Bucketed
 * trends read the raw readings for short ranges and the 1-minute or 1-hour rollups for longer
 * ones, so a 30-day chart never scans 30 days of raw rows.
 */
export type QueryMode = 'raw' | 'bucketed' | 'latest' | 'health' | 'alerts' | 'sql';
export type RollupSource = 'readings' | 'readings_1m' | 'readings_1h';

export const QUERY_MODES: readonly QueryMode[] = ['raw', 'bucketed', 'latest', 'health', 'alerts', 'sql'];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS: Record<string, number> = { s: 1000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/;
/** The longest range one query may ask for. */
export const MAX_RANGE_MS = 400 * DAY_MS;
/** Up to this span, bucketed queries read raw readings; up to the next, the 1-minute rollup. */
export const RAW_UP_TO_MS = 2 * HOUR_MS;
export const MINUTE_ROLLUP_UP_TO_MS = 3 * DAY_MS;
/** Buckets per series an automatic bucket width aims at (a chart's useful resolution). */
export const TARGET_POINTS = 300;
const NICE_WIDTHS_MS = [1, 5, 10, 15, 30].map((n) => n * 1000)
  .concat([1, 2, 5, 10, 15, 30].map((n) => n * MINUTE_MS), [1, 2, 3, 6, 12].map((n) => n * HOUR_MS), [1, 7].map((n) => n * DAY_MS));
const MAX_PARAMS = 100;
const MAX_NAME = 200;

export interface QueryInput {
  asset?: unknown;
  sensor?: unknown;
  from?: unknown;
  to?: unknown;
  range?: unknown;
  bucket?: unknown;
  params?: unknown;
}

export interface QueryDefaults {
  asset: string;
  sensor: string;
  range: string;
  bucket: string;
}

export interface QueryRequest {
  mode: QueryMode;
  asset: string | undefined;
  sensor: string | undefined;
  from: number;
  to: number;
  /** Bucket width for bucketed mode; 0 = choose from the span. */
  bucketMs: number;
  params: readonly unknown[];
  limit: number;
}

export interface BuiltQuery {
  text: string;
  values: unknown[];
  /** Table read by raw and bucketed modes. */
  source?: RollupSource;
  bucketMs?: number;
}

function invalid(message: string): PdmError {
  return new PdmError('INVALID_QUERY', message);
}

/** '15m', '1h', '24h', '30d', '2w' → milliseconds. */
export function parseDuration(value: unknown, what: string): number {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]] : typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_RANGE_MS) {
    throw invalid(`${what} ${JSON.stringify(value)} is not a duration such as 15m, 1h, 24h or 30d (at most 400d)`);
  }
  return ms;
}

/** Epoch ms, or a date string Date.parse understands. */
function parseTime(value: unknown, what: string): number {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(ms)) throw invalid(`${what} ${JSON.stringify(value)} is not a time: use epoch ms or an ISO 8601 date`);
  return ms;
}

function name(value: unknown, fallback: string, what: string): string | undefined {
  const chosen = value === undefined || value === null || value === '' ? fallback : value;
  if (chosen === '') return undefined;
  // eslint-disable-next-line no-control-regex
  if (typeof chosen !== 'string' || chosen.length > MAX_NAME || /[\u0000-\u001f]/.test(chosen)) {
    throw invalid(`${what} must be a name of at most ${MAX_NAME} printable characters`);
  }
  return chosen;
}

/**
 * The window asked for: msg.from/msg.to when given, else msg.range (or the default range)
 * back from msg.to (or now).
 */
export function resolveWindow(input: QueryInput, defaultRange: string, now: number): { from: number; to: number } {
  const to = input.to === undefined || input.to === null || input.to === '' ? now : parseTime(input.to, 'to');
  const from = input.from === undefined || input.from === null || input.from === ''
    ? to - parseDuration(input.range ?? defaultRange, 'range')
    : parseTime(input.from, 'from');
  if (from >= to) throw invalid('from must be before to');
  if (to - from > MAX_RANGE_MS) throw invalid('the range is longer than 400 days');
  return { from, to };
}

/** Checks one msg against the node's defaults; throws INVALID_QUERY with the reason. */
export function queryRequest(mode: QueryMode, input: QueryInput, defaults: QueryDefaults, limit: number, now: number): QueryRequest {
  const { from, to } = resolveWindow(input, defaults.range, now);
  const asset = name(input.asset, defaults.asset, 'asset');
  const sensor = name(input.sensor, defaults.sensor, 'sensor');
  if ((mode === 'raw' || mode === 'bucketed' || mode === 'latest') && asset === undefined) {
    throw invalid(`mode ${mode} needs an asset: set msg.asset or the node's asset`);
  }
  const bucketText = input.bucket ?? defaults.bucket;
  const bucketMs = bucketText === undefined || bucketText === '' || bucketText === 'auto' ? 0 : parseDuration(bucketText, 'bucket');
  const params = input.params ?? [];
  if (!Array.isArray(params) || params.length > MAX_PARAMS || !params.every(isParameter)) {
    throw invalid(`msg.params must be an array of at most ${MAX_PARAMS} strings, numbers, booleans or nulls`);
  }
  return { mode, asset, sensor, from, to, bucketMs, params, limit };
}

function isParameter(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Raw readings up to 2 h, the 1-minute rollup up to 3 d, the 1-hour rollup beyond. */
export function chooseSource(spanMs: number): RollupSource {
  if (spanMs <= RAW_UP_TO_MS) return 'readings';
  return spanMs <= MINUTE_ROLLUP_UP_TO_MS ? 'readings_1m' : 'readings_1h';
}

const SOURCE_WIDTH_MS: Record<RollupSource, number> = { readings: 1000, readings_1m: MINUTE_MS, readings_1h: HOUR_MS };

/** The requested width, or a round width giving about TARGET_POINTS buckets; never finer than the source. */
export function bucketWidth(spanMs: number, source: RollupSource, requestedMs: number): number {
  const floor = SOURCE_WIDTH_MS[source];
  if (requestedMs > 0) return Math.max(floor, Math.round(requestedMs / floor) * floor);
  const wanted = spanMs / TARGET_POINTS;
  const nice = NICE_WIDTHS_MS.find((w) => w >= wanted) ?? NICE_WIDTHS_MS[NICE_WIDTHS_MS.length - 1];
  return Math.max(floor, nice);
}

// date_part answers float8; extract(epoch ...) answers numeric, several times slower to compute and sort.
const EPOCH_MS = (column: string): string => `(date_part('epoch', ${column}) * 1000)`;

/**
 * Readings bounds for skip scans over the day partitions the window ($1, $2) touches. The lower
 * bound is the start of $1's day, so that the probes never walk a key's earlier entries of that
 * day; the caller's exact-window probe per key drops a key with nothing in the window itself.
 */
const SKIP_SCAN_RANGE = "ts >= date_bin('1 day', $1::timestamptz, timestamptz '1970-01-01') AND ts < $2";

/**
 * The CTE `name`: the distinct sensors of the `table` rows matching `filter`, found by a skip scan
 * of a key leading with (asset, sensor): one index probe per sensor, then a last row with NULL.
 */
function distinctSensors(name: string, table: string, filter: string): string {
  return `${name} AS (
      (SELECT sensor FROM ${table} WHERE ${filter} ORDER BY sensor LIMIT 1)
      UNION ALL
      SELECT (SELECT sensor FROM ${table} WHERE ${filter} AND sensor > t.sensor ORDER BY sensor LIMIT 1) FROM ${name} t WHERE t.sensor IS NOT NULL)`;
}

/** The sensors of an asset with readings in the window's day partitions (the CTE `s`), or the one asked for. */
function sensorSet(readings: string, asset: string, sensor: string | undefined): { with: string; select: string; asset: string } {
  if (sensor !== undefined) return { with: '', select: `SELECT ${sensor}::text AS sensor`, asset };
  return {
    with: `WITH RECURSIVE ${distinctSensors('s', readings, `asset = ${asset} AND ${SKIP_SCAN_RANGE}`)} `,
    select: 'SELECT sensor FROM s WHERE sensor IS NOT NULL',
    asset,
  };
}

/** Every (asset, sensor) pair with readings in the window's day partitions, as `k`: one index probe per pair. */
function keyPairs(readings: string, assetFilter: string): string {
  const range = `${SKIP_SCAN_RANGE}${assetFilter}`;
  return `WITH RECURSIVE k AS (
      (SELECT asset, sensor FROM ${readings} WHERE ${range} ORDER BY asset, sensor LIMIT 1)
      UNION ALL
      SELECT n.asset, n.sensor FROM k CROSS JOIN LATERAL (SELECT asset, sensor FROM ${readings}
        WHERE (asset, sensor) > (k.asset, k.sensor) AND ${range} ORDER BY asset, sensor LIMIT 1) n)
    `;
}

/** The filter on the asset, and on the sensor when one is asked for. */
function assetKeys(asset: string, sensor: string | undefined): string {
  return `asset = ${asset}${sensor === undefined ? '' : ` AND sensor = ${sensor}`}`;
}

/** Rows of a rollup, or of finer data in the rollup's shape: (b, sensor, count, sum, min, max). */
function rollupRows(table: string, keys: string, from: string, to: string): string {
  return `SELECT bucket AS b, sensor, count, sum, min, max FROM ${table} WHERE ${keys} AND bucket >= ${from} AND bucket < ${to}`;
}

/**
 * The rows of a plain-mode trend past the 1-hour rollup's refresh (`h` of the CTE `cut`) from the
 * 1-minute rollup, and past the 1-minute rollup's (`m`) from the raw readings, in the rollup shape
 * (b, sensor, count, sum, min, max). The raw readings are read by probing the (asset, sensor, ts)
 * key for each sensor with readings from `m`'s day on (the CTE `tail_sensors`, in `ctes`): the
 * tail is short, and the time index alone would read the whole day partition.
 */
function tailRows(schema: string, source: 'readings_1m' | 'readings_1h', asset: string, sensor: string | undefined): { ctes: string[]; rows: string } {
  const readings = qualified(schema, 'readings');
  const keys = assetKeys(asset, sensor);
  const rawFrom = 'greatest($1, (SELECT m FROM cut))';
  const rawSensors = sensor === undefined ? 'sensor = ANY (ARRAY(SELECT sensor FROM tail_sensors WHERE sensor IS NOT NULL))' : `sensor = ${sensor}`;
  const rows = [
    ...(source === 'readings_1h' ? [rollupRows(qualified(schema, 'readings_1m'), keys, 'greatest($1, (SELECT h FROM cut))', 'least($2, (SELECT m FROM cut))')] : []),
    `SELECT ts AS b, sensor, 1::bigint AS count, value AS sum, value AS min, value AS max FROM ${readings}
      WHERE asset = ${asset} AND ${rawSensors} AND ts >= ${rawFrom} AND ts < $2`,
  ].join(' UNION ALL ');
  const ctes = sensor === undefined
    ? [distinctSensors('tail_sensors', readings, `asset = ${asset} AND ts >= date_bin('1 day', ${rawFrom}, timestamptz '1970-01-01') AND ts < $2`)]
    : [];
  return { ctes, rows };
}

/** Rows in the rollup shape, grouped into buckets: (b, sensor, count, sum, min, max). */
function grouped(rows: string, bucket: string): string {
  return `SELECT ${bucket} AS b, sensor, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max FROM (${rows}) p GROUP BY 1, 2`;
}

/** Rollup-shaped rows as trend rows: (b, y, min, max, count). */
const TREND_COLUMNS = 'b, sum / nullif(count, 0) AS y, min, max, count::int AS count';

/**
 * A trend from a rollup ($1, $2: the window). In plain mode the rollup tables hold whole buckets up
 * to their last refresh (rollup_state) and the rest comes from finer data (`tailRows`), so a trend
 * always reaches `to`; TimescaleDB's continuous aggregates add their raw tail themselves
 * (real-time aggregation). With buckets as wide as the rollup's, the trend goes sensor by sensor:
 * for each sensor in order, a LATERAL subquery yields its rollup rows as they are, in bucket order
 * from the (asset, sensor, bucket) key, then its grouped tail (the refresh points are whole
 * buckets, so a bucket is either all rollup or all tail). The rows thus come in (series, x) order
 * and stream out as they are read: the ORDER BY costs an incremental sort of each sensor's rows,
 * already in order, instead of a sort of the whole result. The sensors are those of the rollup
 * (a skip scan of its key) and of the tail; on TimescaleDB those with readings in the window.
 * Wider buckets group every part together, found through the (asset, bucket) index.
 */
function rollupTrend(schema: string, mode: StorageMode, source: 'readings_1m' | 'readings_1h', asset: string, sensor: string | undefined,
  asIs: boolean, bucketOf: (time: string) => string, limit: () => string): string {
  const table = qualified(schema, source);
  const plain = mode === 'plain';
  const ctes: string[] = [];
  if (plain) {
    const refreshed = (name: string): string =>
      `coalesce((SELECT refreshed_to FROM ${qualified(schema, 'rollup_state')} WHERE name = '${name}'), '-infinity'::timestamptz)`;
    ctes.push(source === 'readings_1m'
      ? `cut AS (SELECT ${refreshed('readings_1m')} AS m)`
      : `cut AS (SELECT h, greatest(h, m) AS m FROM (SELECT ${refreshed('readings_1h')} AS h, ${refreshed('readings_1m')} AS m) refreshed)`);
  }
  const headTo = plain ? `least($2, (SELECT ${source === 'readings_1m' ? 'm' : 'h'} FROM cut))` : '$2';
  const tail = plain ? tailRows(schema, source, asset, sensor) : undefined;
  ctes.push(...(tail?.ctes ?? []));
  const withCtes = (): string => (ctes.length > 0 ? `WITH RECURSIVE ${ctes.join(',\n')}\n` : '');
  if (!asIs) {
    const keys = assetKeys(asset, sensor);
    const rows = [rollupRows(table, keys, '$1', headTo), ...(tail ? [tail.rows] : [])].join(' UNION ALL ');
    return `${withCtes()}SELECT ${EPOCH_MS('b')} AS x, y, min, max, count, sensor AS series FROM (SELECT sensor, ${TREND_COLUMNS}
      FROM (${grouped(rows, bucketOf('b'))}) g) t ORDER BY series, b LIMIT ${limit()}`;
  }
  const parts = [`SELECT bucket AS b, count, sum, min, max FROM ${table} WHERE asset = ${asset} AND sensor = k.sensor AND bucket >= $1 AND bucket < ${headTo}`];
  let sensors = sensor === undefined ? 'SELECT sensor FROM head_sensors WHERE sensor IS NOT NULL' : `SELECT ${sensor}::text AS sensor`;
  if (tail) {
    ctes.push(`tail AS MATERIALIZED (${grouped(tail.rows, bucketOf('b'))})`);
    parts.push('SELECT b, count, sum, min, max FROM tail WHERE sensor = k.sensor');
    if (sensor === undefined) sensors += ' UNION SELECT sensor FROM tail';
  }
  if (sensor === undefined) {
    ctes.push(plain
      ? distinctSensors('head_sensors', table, `asset = ${asset}`)
      : distinctSensors('head_sensors', qualified(schema, 'readings'), `asset = ${asset} AND ${SKIP_SCAN_RANGE}`));
  }
  const perSensor = parts.map((rows) => `(SELECT ${TREND_COLUMNS} FROM (${rows}) r ORDER BY b)`).join(' UNION ALL ');
  return `${withCtes()}SELECT ${EPOCH_MS('p.b')} AS x, p.y, p.min, p.max, p.count, k.sensor AS series
    FROM (${sensors} ORDER BY sensor) k CROSS JOIN LATERAL (${perSensor}) p
    ORDER BY k.sensor, p.b LIMIT ${limit()}`;
}

/** Builds the SQL of every mode but `sql` (see `templateQuery`). */
export function buildQuery(request: QueryRequest, schema: string, mode: StorageMode): BuiltQuery {
  const values: unknown[] = [new Date(request.from), new Date(request.to)];
  const bind = (value: unknown): string => `$${values.push(value)}`;
  const readings = qualified(schema, 'readings');
  switch (request.mode) {
    case 'raw': {
      const filter = assetKeys(bind(request.asset), request.sensor === undefined ? undefined : bind(request.sensor));
      return {
        text: `SELECT ${EPOCH_MS('ts')} AS x, value AS y, sensor AS series, unit, quality FROM ${readings}
          WHERE ${filter} AND ts >= $1 AND ts < $2 ORDER BY sensor, ts LIMIT ${bind(request.limit)}`,
        values, source: 'readings',
      };
    }
    case 'bucketed': {
      const source = chooseSource(request.to - request.from);
      const bucketMs = bucketWidth(request.to - request.from, source, request.bucketMs);
      const bucketOf = (time: string): string => {
        const width = `${bind(`${bucketMs / 1000} seconds`)}::interval`;
        return mode === 'timescale' ? `time_bucket(${width}, ${time})` : `date_bin(${width}, ${time}, timestamptz '2000-01-01')`;
      };
      const limit = (): string => bind(request.limit);
      if (source === 'readings') {
        // One index range scan per sensor on the (asset, sensor, ts) key.
        const bucket = bucketOf('ts');
        const sensors = sensorSet(readings, bind(request.asset), request.sensor === undefined ? undefined : bind(request.sensor));
        return {
          text: `${sensors.with}SELECT ${EPOCH_MS('b.b')} AS x, b.y, b.min, b.max, b.count, k.sensor AS series FROM (${sensors.select}) k
            CROSS JOIN LATERAL (SELECT ${bucket} AS b, avg(value) AS y, min(value) AS min, max(value) AS max, count(*)::int AS count
              FROM ${readings} WHERE asset = ${sensors.asset} AND sensor = k.sensor AND ts >= $1 AND ts < $2 GROUP BY 1) b
            ORDER BY series, b.b LIMIT ${limit()}`,
          values, source, bucketMs,
        };
      }
      const asset = bind(request.asset);
      const sensor = request.sensor === undefined ? undefined : bind(request.sensor);
      return {
        text: rollupTrend(schema, mode, source, asset, sensor, bucketMs === SOURCE_WIDTH_MS[source], bucketOf, limit),
        values, source, bucketMs,
      };
    }
    case 'latest': {
      // Each sensor's newest row in the window: one backward probe of the key index per sensor.
      const sensors = sensorSet(readings, bind(request.asset), request.sensor === undefined ? undefined : bind(request.sensor));
      return {
        text: `${sensors.with}SELECT k.sensor, ${EPOCH_MS('r.ts')} AS ts, r.value, r.unit, r.quality FROM (${sensors.select}) k
          CROSS JOIN LATERAL (SELECT ts, value, unit, quality FROM ${readings}
            WHERE asset = ${sensors.asset} AND sensor = k.sensor AND ts >= $1 AND ts < $2 ORDER BY ts DESC LIMIT 1) r
          ORDER BY k.sensor LIMIT ${bind(request.limit)}`,
        values,
      };
    }
    case 'health': {
      // Sensors reporting and the last reading time from one backward key probe per (asset, sensor).
      const assetFilter = request.asset === undefined ? '' : ` AND asset = ${bind(request.asset)}`;
      const anomalies = qualified(schema, 'anomalies');
      return {
        text: `${keyPairs(readings, assetFilter)}SELECT r.asset, r.sensors, r.last_ts, coalesce(a.open, 0)::int AS open_anomalies FROM
          (SELECT k.asset, count(*)::int AS sensors, ${EPOCH_MS('max(l.ts)')} AS last_ts FROM k
            CROSS JOIN LATERAL (SELECT ts FROM ${readings} WHERE asset = k.asset AND sensor = k.sensor AND ts >= $1 AND ts < $2
              ORDER BY ts DESC LIMIT 1) l
            GROUP BY k.asset) r
          LEFT JOIN (SELECT asset, count(*) AS open FROM ${anomalies}
            WHERE ts >= $2::timestamptz - interval '24 hours' AND ts < $2 AND state <> 'resolved'${assetFilter} GROUP BY asset) a
          ON a.asset = r.asset ORDER BY r.asset LIMIT ${bind(request.limit)}`,
        values,
      };
    }
    case 'alerts': {
      values.length = 0;
      const assetFilter = request.asset === undefined ? '' : ` AND asset = ${bind(request.asset)}`;
      return {
        text: `SELECT id, asset, sensor, severity, state, ${EPOCH_MS('opened_at')} AS opened_at, ${EPOCH_MS('updated_at')} AS updated_at,
          ${EPOCH_MS('acknowledged_at')} AS acknowledged_at, acknowledged_by, record FROM ${qualified(schema, 'alerts')}
          WHERE state <> 'resolved'${assetFilter} ORDER BY opened_at DESC LIMIT ${bind(request.limit)}`,
        values,
      };
    }
    case 'sql':
      throw invalid('mode sql is built by templateQuery');
  }
}

const PARAMETER_REFERENCE = /\$(\d+)/g;
const SCHEMA_TOKEN = /\{\{\s*schema\s*\}\}/g;

/**
 * A user's SQL template: `{{schema}}` becomes the checked, quoted schema name; values only as
 * $1..$n from msg.params, never spliced into the text. One statement only.
 */
export function templateQuery(template: string, schema: string, params: readonly unknown[]): BuiltQuery {
  const text = template.trim().replace(/;\s*$/, '');
  if (text === '') throw invalid('the SQL template is empty');
  if (text.includes(';')) throw invalid('the SQL template must be one statement without ";"');
  let highest = 0;
  for (const match of text.matchAll(PARAMETER_REFERENCE)) highest = Math.max(highest, Number(match[1]));
  if (highest !== params.length) {
    throw invalid(`the SQL template uses $1..$${highest} but msg.params has ${params.length} value(s)`);
  }
  return { text: text.replace(SCHEMA_TOKEN, quoteIdent(schema)), values: [...params] };
}

export interface ChartPoint {
  x: number;
  y: number;
  series: string;
}

/** Rows of raw or bucketed mode as Dashboard 2.0 ui-chart points: {x: epoch ms, y, series}. */
export function toChartPoints(rows: readonly Record<string, unknown>[]): ChartPoint[] {
  const points: ChartPoint[] = new Array<ChartPoint>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    points[i] = { x: Number(row.x), y: Number(row.y), series: String(row.series) };
  }
  return points;
}
