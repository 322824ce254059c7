/**
 * Sustained write rate through the core writer (BatchWriter → Store: binary COPY on a server,
 * INSERT … unnest on PGlite, both falling back to ON CONFLICT DO NOTHING when a batch meets rows
 * already stored) into the machine's PostgreSQL (PG_URL, skipped when unset), one and four
 * batches in flight, and into embedded PGlite (one session, so one in flight). Each target ends
 * with a replay of readings already stored, which takes the conflict-skipping path.
 *
 *   node dist/test/bench/storage-write.js [readings=1000000]
 *
 * Besides readings/s it prints readings per CPU-second of this process and, when the server runs
 * on this machine, of its backends serving the run (found by application name), the WAL written
 * per reading (server-wide) and the load average, as the machine may be shared. Prints figures
 * only; nothing is asserted. Each run uses its own schema, dropped afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { serverWriteConcurrency } from '../../nodes/lib/storage/config';
import type { Database } from '../../nodes/lib/storage/database';
import { pushReading } from '../../nodes/lib/storage/records';
import { migrate } from '../../nodes/lib/storage/schema';
import { Store } from '../../nodes/lib/storage/store';
import { BatchWriter } from '../../nodes/lib/storage/writer';
import { openFixture } from '../lib/storage/db-fixture';
import type { Reading } from '../../nodes/lib/reading';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const SENSORS = 1000;
const BATCH_SIZES = [1000, 5000, 20_000];
const REPLAYED = 200_000;
const T0 = Date.UTC(2025, 5, 1);
const APPLICATION = `pdm-bench-write-${process.pid}`;
const CLOCK_TICKS = 100;

/** CPU seconds of the server backends serving this process, or undefined when they cannot be read. */
class ServerCpu {
  private readonly start = new Map<number, number>();

  private constructor(private readonly db: Database) {}

  static async begin(db: Database, connections: number): Promise<ServerCpu> {
    const meter = new ServerCpu(db);
    // Concurrent sleeps make the pool open all its connections now, so each is known from the start.
    await Promise.all(Array.from({ length: connections }, () => db.query('SELECT pg_sleep(0.05)')));
    for (const pid of await meter.pids()) meter.start.set(pid, cpuOf(pid) ?? 0);
    return meter;
  }

  async seconds(): Promise<number | undefined> {
    let total = 0;
    for (const pid of await this.pids()) {
      const now = cpuOf(pid);
      if (now === undefined) return undefined;
      total += now - (this.start.get(pid) ?? 0);
    }
    return total;
  }

  private async pids(): Promise<number[]> {
    const rows = await this.db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [APPLICATION]);
    return rows.map((r) => r.pid);
  }
}

/** utime + stime of a local process, in seconds. */
function cpuOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

async function walPosition(db: Database): Promise<string> {
  const [row] = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return row.lsn;
}

function perSecond(readings: number, seconds: number): string {
  return Math.round(readings / seconds).toLocaleString('en-US');
}

function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

interface Measured {
  seconds: number;
  nodeCpu: number;
  serverCpu: number | undefined;
  walBytes: number | undefined;
}

async function measure(db: Database, embedded: boolean, connections: number, work: () => Promise<void>): Promise<Measured> {
  const serverCpu = embedded ? undefined : await ServerCpu.begin(db, connections);
  const wal = embedded ? undefined : await walPosition(db);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  let walBytes: number | undefined;
  if (wal !== undefined) {
    const [row] = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes', [wal]);
    walBytes = Number(row.bytes);
  }
  return { seconds, nodeCpu: (used.user + used.system) / 1e6, serverCpu: await serverCpu?.seconds(), walBytes };
}

function describe(readings: number, m: Measured, embedded: boolean): string {
  const parts = [`${readings} readings in ${m.seconds.toFixed(2)} s = ${perSecond(readings, m.seconds)} readings/s`];
  parts.push(`${embedded ? 'process (client and embedded server)' : 'node'} ${perSecond(readings, m.nodeCpu)}/CPU-s`);
  if (m.serverCpu !== undefined && m.serverCpu > 0) parts.push(`server ${perSecond(readings, m.serverCpu)}/CPU-s`);
  if (m.walBytes !== undefined) parts.push(`WAL ${Math.round(m.walBytes / readings)} B/reading`);
  parts.push(`load ${load()}`);
  return parts.join('; ');
}

async function writeAll(store: Store, batchSize: number, maxInFlight: number, from: number, count: number): Promise<void> {
  const writer = new BatchWriter({ insert: (b) => store.insert(b), batchSize, maxBufferedRows: 10_000_000, maxInFlight });
  const reading: Reading = { asset: 'bench', sensor: '', value: 0, ts: 0 };
  for (let i = 0; i < count; i++) {
    const n = from + i;
    reading.sensor = `s${n % SENSORS}`;
    reading.value = n;
    reading.ts = T0 + Math.floor(n / SENSORS) * 10;
    writer.add('readings', pushReading, reading);
    if (i % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await writer.flush();
  while (writer.backlog > 0) await writer.flush();
}

async function run(label: string, total: number, maxInFlight: number): Promise<void> {
  const f = await openFixture();
  try {
    const store = new Store(f.db, await migrate(f.db, f.schema));
    const connections = f.embedded ? 1 : 4;
    let offset = 0;
    for (const batchSize of BATCH_SIZES) {
      const m = await measure(f.db, f.embedded, connections, () => writeAll(store, batchSize, maxInFlight, offset, total));
      offset += total;
      console.log(`${label.padEnd(10)} batch ${String(batchSize).padStart(6)} × ${maxInFlight} in flight: ${describe(total, m, f.embedded)}`);
    }
    const replayed = Math.min(REPLAYED, offset);
    const replay = await measure(f.db, f.embedded, connections, () => writeAll(store, BATCH_SIZES[BATCH_SIZES.length - 1], maxInFlight, offset - replayed, replayed));
    console.log(`${label.padEnd(10)} replay of stored readings, batch ${BATCH_SIZES[BATCH_SIZES.length - 1]}: ${describe(replayed, replay, f.embedded)}`);
    const [row] = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".readings`);
    console.log(`${label.padEnd(10)} stored ${row.n} rows (expected ${offset})`);
  } finally {
    await f.cleanup();
  }
}

async function main(): Promise<void> {
  const url = process.env.PG_URL;
  process.env.PGAPPNAME = APPLICATION;
  console.log(`${os.cpus().length} cores, load average ${load()} at start`);
  if (url) {
    await run('postgres', TOTAL, 1);
    await run('postgres', TOTAL, serverWriteConcurrency(4 + 1));
  }
  else console.log('postgres   skipped: set PG_URL=postgres://user@host:port/db');
  delete process.env.PG_URL;
  await run('pglite', Math.min(TOTAL, 300_000), 1);
  if (url) process.env.PG_URL = url;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
