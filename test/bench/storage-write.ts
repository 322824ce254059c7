/**
 * Sustained write rate through the core writer (BatchWriter → Store, INSERT … unnest, ON CONFLICT
 * DO NOTHING) into the machine's PostgreSQL (PG_URL, skipped when unset), one and four batches in
 * flight, and into embedded PGlite (one session, so one in flight).
 *
 *   node dist/test/bench/storage-write.js [readings=1000000]
 *
 * Prints figures only; nothing is asserted. Each run uses its own schema, dropped afterwards.
 */
import { performance } from 'node:perf_hooks';
import { serverWriteConcurrency } from '../../nodes/lib/storage/config';
import { pushReading } from '../../nodes/lib/storage/records';
import { migrate } from '../../nodes/lib/storage/schema';
import { Store } from '../../nodes/lib/storage/store';
import { BatchWriter } from '../../nodes/lib/storage/writer';
import { openFixture } from '../lib/storage/db-fixture';
import type { Reading } from '../../nodes/lib/reading';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const SENSORS = 1000;
const BATCH_SIZES = [1000, 5000, 20_000];
const T0 = Date.UTC(2025, 5, 1);

async function run(label: string, total: number, maxInFlight: number): Promise<void> {
  const f = await openFixture();
  try {
    const store = new Store(f.db, await migrate(f.db, f.schema));
    let offset = 0;
    for (const batchSize of BATCH_SIZES) {
      const writer = new BatchWriter({ insert: (b) => store.insert(b), batchSize, maxBufferedRows: 10_000_000, maxInFlight });
      const reading: Reading = { asset: 'bench', sensor: '', value: 0, ts: 0 };
      const start = performance.now();
      for (let i = 0; i < total; i++) {
        const n = offset + i;
        reading.sensor = `s${n % SENSORS}`;
        reading.value = n;
        reading.ts = T0 + Math.floor(n / SENSORS) * 10;
        writer.add('readings', pushReading, reading);
        if (i % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await writer.flush();
      while (writer.backlog > 0) await writer.flush();
      const seconds = (performance.now() - start) / 1000;
      offset += total;
      console.log(`${label.padEnd(10)} batch ${String(batchSize).padStart(6)} × ${maxInFlight} in flight: ${total} readings in ${seconds.toFixed(2)} s = ${Math.round(total / seconds).toLocaleString('en-US')} readings/s`);
    }
    const [row] = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".readings`);
    console.log(`${label.padEnd(10)} stored ${row.n} rows (expected ${offset})`);
  } finally {
    await f.cleanup();
  }
}

async function main(): Promise<void> {
  const url = process.env.PG_URL;
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
