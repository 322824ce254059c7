import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import type { Batch } from '../../../nodes/lib/storage/batch';
import { pushReading, storePayload } from '../../../nodes/lib/storage/records';
import { Spool } from '../../../nodes/lib/storage/spool';
import { BatchWriter } from '../../../nodes/lib/storage/writer';

/** A database stand-in: stores rows by key, can be switched down. */
class FakeDb {
  up = true;
  readonly stored = new Map<string, number>();
  readonly tables: string[] = [];
  calls = 0;
  insert = async (batch: Batch): Promise<number> => {
    this.calls++;
    await Promise.resolve();
    if (!this.up) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    let added = 0;
    this.tables.push(batch.table);
    for (let i = 0; i < batch.rows; i++) {
      const key = `${batch.columns[1][i]}/${batch.columns[2][i]}/${batch.columns[0][i]}`;
      if (!this.stored.has(key)) added++;
      this.stored.set(key, (this.stored.get(key) ?? 0) + 1);
    }
    return added;
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function spoolDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-writer-'));
  dirs.push(dir);
  return dir;
}

function add(writer: BatchWriter, from: number, count: number): void {
  for (let i = from; i < from + count; i++) writer.add('readings', pushReading, { asset: 'p', sensor: 's', value: i, ts: i });
}

describe('BatchWriter', () => {
  it('writes a batch when it reaches the batch size', async () => {
    const db = new FakeDb();
    const writer = new BatchWriter({ insert: db.insert, batchSize: 10 });
    add(writer, 0, 25);
    await settle();
    assert.equal(db.stored.size, 20);
    assert.equal(writer.backlog, 5);
  });

  it('writes a partial batch once it is older than the flush interval', async () => {
    let now = 0;
    const db = new FakeDb();
    const writer = new BatchWriter({ insert: db.insert, batchSize: 100, flushIntervalMs: 1000, now: () => now });
    add(writer, 0, 3);
    now = 999;
    writer.tick();
    await settle();
    assert.equal(db.stored.size, 0);
    now = 1000;
    writer.tick();
    await settle();
    assert.equal(db.stored.size, 3);
    assert.equal(writer.backlog, 0);
  });

  it('routes items to their tables by kind', async () => {
    const db = new FakeDb();
    const writer = new BatchWriter({ insert: db.insert, batchSize: 100 });
    const outcome = storePayload(writer, [
      { asset: 'p', sensor: 's', value: 1, ts: 1 },
      { asset: 'p', sensor: 's', start: 0, end: 10, count: 2, mean: 1, std: 0, min: 1, max: 1 },
      { asset: 'p', sensor: 's', ts: 5, value: 3, score: 2, severity: 'medium', detectors: [] },
      { asset: 'p', sensor: 's', value: 'x', ts: 1 },
      { asset: 'p\u0000', sensor: 's', value: 1, ts: 1 },
    ], undefined, undefined);
    assert.equal(outcome.accepted, 3);
    assert.equal(outcome.rejected, 2);
    assert.equal(outcome.firstRejection?.code, 'NOT_A_NUMBER');
    await writer.flush();
    assert.deepEqual([...db.tables].sort(), ['anomalies', 'features', 'readings']);
  });

  it('treats every item as an anomaly event when msg.anomaly is present, taking its state', async () => {
    const db = new FakeDb();
    const seen: Batch[] = [];
    const writer = new BatchWriter({ insert: async (b) => { seen.push(b); return db.insert(b); } });
    const outcome = storePayload(writer, { asset: 'p', sensor: 's', ts: 5, value: 3, score: 0.5, severity: 'low', detectors: [] }, 'p/s', { key: 'p/s', state: 'resolved' });
    assert.equal(outcome.accepted, 1);
    assert.equal(storePayload(writer, { asset: 'p', sensor: 's', value: 1, ts: 1 }, undefined, { state: 'firing' }).rejected, 1);
    await writer.flush();
    assert.equal(seen[0].table, 'anomalies');
    assert.deepEqual(seen[0].columns[4], ['resolved']);
  });

  it('holds batches while the database is down and writes them in order once it is back', async () => {
    let now = 0;
    const db = new FakeDb();
    db.up = false;
    const order: number[] = [];
    const writer = new BatchWriter({
      insert: async (b) => {
        const added = await db.insert(b);
        order.push(b.columns[0][0] as number);
        return added;
      },
      batchSize: 10, now: () => now,
    });
    add(writer, 0, 30);
    await settle();
    assert.ok(writer.retrying);
    assert.ok(writer.lastError instanceof PdmError && writer.lastError.code === 'DB_UNAVAILABLE');
    assert.equal(writer.backlog, 30);
    db.up = true;
    now += 10_000;
    writer.tick();
    await writer.flush();
    assert.deepEqual(order, [0, 10, 20]);
    assert.equal(db.stored.size, 30);
    assert.equal(writer.retrying, false);
    assert.equal(writer.backlog, 0);
  });

  it('spills to disk past the memory limit and replays memory first, then disk, each row once', async () => {
    let now = 0;
    const db = new FakeDb();
    db.up = false;
    const spool = new Spool({ dir: spoolDir() });
    const firsts: number[] = [];
    const writer = new BatchWriter({
      insert: async (b) => {
        const added = await db.insert(b);
        firsts.push(b.columns[0][0] as number);
        return added;
      },
      batchSize: 10, maxBufferedRows: 20, spool, now: () => now,
    });
    add(writer, 0, 60);
    await settle();
    assert.equal(writer.spooledRows, 40);
    assert.equal(writer.backlog, 60);
    db.up = true;
    now += 10_000;
    await writer.flush();
    assert.deepEqual(firsts, [0, 10, 20, 30, 40, 50]);
    assert.equal(db.stored.size, 60);
    assert.ok([...db.stored.values()].every((n) => n === 1));
    assert.equal(writer.backlog, 0);
  });

  it('on close, persists what cannot be written ahead of the spool, and a new writer replays it', async () => {
    const db = new FakeDb();
    db.up = false;
    const dir = spoolDir();
    const writer = new BatchWriter({ insert: db.insert, batchSize: 10, maxBufferedRows: 10, spool: new Spool({ dir }) });
    add(writer, 0, 35);
    await settle();
    const result = await writer.close(2000);
    assert.equal(result.spooled, 35);
    db.up = true;
    const firsts: number[] = [];
    const next = new BatchWriter({
      insert: async (b) => {
        firsts.push(b.columns[0][0] as number);
        return db.insert(b);
      },
      spool: new Spool({ dir }),
    });
    assert.equal(next.backlog, 35);
    await next.flush();
    assert.deepEqual(firsts, [0, 10, 20, 30]);
    assert.equal(db.stored.size, 35);
  });

  it('drops a batch the database refuses for good and reports it', async () => {
    const dropped: PdmError[] = [];
    const writer = new BatchWriter({
      insert: async () => {
        throw Object.assign(new Error('duplicate'), { code: '42601' });
      },
      onDrop: (err) => dropped.push(err),
    });
    add(writer, 0, 3);
    await writer.flush();
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0].code, 'DB_ERROR');
    assert.equal(writer.counts.dropped, 3);
    assert.equal(writer.backlog, 0);
  });

  it('without a spool, refuses batches past the memory limit instead of growing', async () => {
    const db = new FakeDb();
    db.up = false;
    const dropped: number[] = [];
    const writer = new BatchWriter({ insert: db.insert, batchSize: 10, maxBufferedRows: 20, onDrop: (_e, b) => dropped.push(b.rows) });
    add(writer, 0, 50);
    await settle();
    assert.deepEqual(dropped, [10, 10, 10]);
    assert.equal(writer.backlog, 20);
  });

  it('keeps up to maxInFlight batches written at once, never more', async () => {
    const db = new FakeDb();
    let active = 0;
    let peak = 0;
    const writer = new BatchWriter({
      insert: async (b) => {
        active++;
        peak = Math.max(peak, active);
        await settle();
        active--;
        return db.insert(b);
      },
      batchSize: 10, maxInFlight: 3,
    });
    add(writer, 0, 100);
    await writer.flush();
    assert.equal(peak, 3);
    assert.equal(db.stored.size, 100);
    assert.equal(writer.backlog, 0);
  });

  it('with batches in flight, a failed one keeps its place and is retried before anything newer starts', async () => {
    let now = 0;
    const db = new FakeDb();
    const started: number[] = [];
    let failFirstOf10 = true;
    const writer = new BatchWriter({
      insert: async (b) => {
        const first = b.columns[0][0] as number;
        started.push(first);
        await settle();
        if (first === 10 && failFirstOf10) {
          failFirstOf10 = false;
          throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        }
        return db.insert(b);
      },
      batchSize: 10, maxInFlight: 3, now: () => now,
    });
    add(writer, 0, 60);
    await settle();
    await settle();
    await settle();
    assert.ok(writer.retrying);
    const beforeRetry = started.length;
    assert.deepEqual(started.slice(0, 3), [0, 10, 20]);
    assert.equal(writer.backlog, 60 - 10 * (beforeRetry - 1));
    now += 10_000;
    await writer.flush();
    assert.equal(started[beforeRetry], 10);
    assert.deepEqual(started.slice(beforeRetry + 1).sort((a, b) => a - b), [30, 40, 50].slice(beforeRetry - 3));
    assert.equal(db.stored.size, 60);
    assert.ok([...db.stored.values()].every((n) => n === 1));
    assert.equal(writer.retrying, false);
  });

  it('with batches in flight, a database outage spills to disk and replays every row once', async () => {
    let now = 0;
    const db = new FakeDb();
    db.up = false;
    const spool = new Spool({ dir: spoolDir() });
    const writer = new BatchWriter({ insert: db.insert, batchSize: 10, maxBufferedRows: 20, spool, maxInFlight: 4, now: () => now });
    add(writer, 0, 70);
    await settle();
    assert.equal(writer.spooledRows, 50);
    db.up = true;
    now += 10_000;
    await writer.flush();
    assert.equal(db.stored.size, 70);
    assert.ok([...db.stored.values()].every((n) => n === 1));
    assert.equal(writer.backlog, 0);
  });
});
