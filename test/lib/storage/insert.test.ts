import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyBatch, type Batch } from '../../../nodes/lib/storage/batch';
import { encodeArray, encodeCopyRows, pgMicros } from '../../../nodes/lib/storage/binary';
import type { Database } from '../../../nodes/lib/storage/database';
import { BatchInserter, copyStatement, insertStatement, keyOrder } from '../../../nodes/lib/storage/insert';
import { toStorageError } from '../../../nodes/lib/storage/pg-errors';
import { pushReading } from '../../../nodes/lib/storage/records';

function readings(rows: [string, string, number][]): Batch {
  const batch = emptyBatch('readings');
  for (const [asset, sensor, ts] of rows) {
    pushReading(batch, { asset, sensor, value: ts, ts });
    batch.rows++;
  }
  return batch;
}

describe('binary encodings', () => {
  it('turns epoch ms into PostgreSQL microseconds as to_timestamp(ms / 1000.0) does, halves to even', () => {
    assert.equal(pgMicros(Date.UTC(2000, 0, 1)), 0);
    assert.equal(pgMicros(Date.UTC(2000, 0, 1, 0, 0, 1, 5)), 1_005_000);
    assert.equal(pgMicros(0), -946_684_800_000_000);
    // (1717200000123.4565 / 1000 - 946684800) * 1e6 is exactly …456.5 in doubles.
    assert.equal(pgMicros(1_717_200_000_123.4565), 770_515_200_123_456);
  });

  it('writes a float8 array with its header, NULLs as length -1, in the order given', () => {
    const buf = encodeArray([1.5, null, -2], 'float8', [2, 1, 0]);
    assert.deepEqual([0, 4, 8, 12, 16].map((at) => buf.readInt32BE(at)), [1, 1, 701, 3, 1]);
    assert.equal(buf.readInt32BE(20), 8);
    assert.equal(buf.readDoubleBE(24), -2);
    assert.equal(buf.readInt32BE(32), -1);
    assert.equal(buf.readInt32BE(36), 8);
    assert.equal(buf.readDoubleBE(40), 1.5);
    assert.equal(buf.length, 48);
  });

  it('writes text as UTF-8 whatever its characters and length', () => {
    const texts = ['ascii', 'é', '温度', 'x'.repeat(100), ''];
    const buf = encodeArray(texts, 'text', [0, 1, 2, 3, 4]);
    assert.equal(buf.readInt32BE(4), 0, 'no NULL');
    let at = 20;
    for (const text of texts) {
      const length = buf.readInt32BE(at);
      assert.equal(buf.toString('utf8', at + 4, at + 4 + length), text);
      at += 4 + length;
    }
    assert.equal(at, buf.length);
  });

  it('frames COPY rows: signature, one field count per row, the jsonb version byte, the trailer', () => {
    const batch = emptyBatch('features');
    batch.columns.forEach((column, c) => column.push([0, 60_000, 'a', 's', 3, 1, 0, 1, 1, '{"k":1}'][c]));
    batch.rows = 1;
    const buf = encodeCopyRows(batch, [0]);
    assert.equal(buf.toString('latin1', 0, 11), 'PGCOPY\n\xff\r\n\0');
    assert.equal(buf.readInt16BE(19), 10);
    assert.equal(buf.readInt16BE(buf.length - 2), -1);
    const json = buf.indexOf('{"k":1}');
    assert.equal(buf[json - 1], 1, 'jsonb version');
    assert.equal(buf.readInt32BE(json - 5), 8, 'version byte and 7 bytes of text');
  });
});

describe('row order', () => {
  it('groups rows by asset, then sensor, keeping arrival order within a group', () => {
    const batch = readings([['b', 's2', 1], ['a', 's9', 2], ['b', 's1', 3], ['a', 's9', 4], ['b', 's2', 5], ['a', 's10', 6]]);
    assert.deepEqual([...keyOrder(batch)], [5, 1, 3, 2, 0, 4]);
  });
});

type Call = 'copy' | 'insert' | 'insert-skipping';

/** A Database stand-in that records which statement each write took and fails the fast path on demand. */
function fakeDatabase(conflicts: () => boolean, copy: boolean, pglite = false): { db: Database; calls: Call[] } {
  const calls: Call[] = [];
  const conflict = (): never => {
    throw toStorageError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }));
  };
  const db: Database = {
    query: async <R extends object>() => [{ pglite }] as unknown as R[],
    execute: async (text) => {
      const skipping = text.includes('ON CONFLICT');
      calls.push(skipping ? 'insert-skipping' : 'insert');
      if (!skipping && conflicts()) conflict();
      return 1;
    },
    transaction: async (work) => work(db),
    end: async () => undefined,
  };
  if (copy) {
    db.copyFrom = async () => {
      calls.push('copy');
      if (conflicts()) conflict();
      return 1;
    };
  }
  return { db, calls };
}

describe('BatchInserter', () => {
  const batch = readings([['a', 's', 1]]);

  it('copies on a server and inserts plainly on PGlite (embedded or behind a server address), each without conflict handling', async () => {
    const server = fakeDatabase(() => false, true);
    await new BatchInserter(server.db, 'pdm').insert(batch);
    const embedded = fakeDatabase(() => false, false);
    await new BatchInserter(embedded.db, 'pdm').insert(batch);
    const pgliteAsServer = fakeDatabase(() => false, true, true);
    await new BatchInserter(pgliteAsServer.db, 'pdm').insert(batch);
    assert.deepEqual([server.calls, embedded.calls, pgliteAsServer.calls], [['copy'], ['insert'], ['insert']]);
    assert.match(copyStatement('pdm', 'readings'), /^COPY "pdm"\."readings" \("ts", "asset", .*\) FROM STDIN \(FORMAT binary\)$/);
    assert.doesNotMatch(insertStatement('pdm', 'readings', false), /ON CONFLICT/);
    assert.match(insertStatement('pdm', 'readings', true), /ON CONFLICT \("asset", "sensor", "ts"\) DO NOTHING$/);
  });

  it('after a unique violation rewrites the batch skipping conflicts, and so the next 16; a new conflict doubles the run', async () => {
    let conflicting = true;
    const { db, calls } = fakeDatabase(() => conflicting, true);
    const inserter = new BatchInserter(db, 'pdm');
    await inserter.insert(batch);
    assert.deepEqual(calls.splice(0), ['copy', 'insert-skipping']);
    for (let i = 0; i < 16; i++) await inserter.insert(batch);
    assert.deepEqual(calls.splice(0), Array(16).fill('insert-skipping'));
    await inserter.insert(batch);
    assert.deepEqual(calls.splice(0), ['copy', 'insert-skipping']);
    for (let i = 0; i < 32; i++) await inserter.insert(batch);
    assert.equal(calls.splice(0).filter((c) => c === 'insert-skipping').length, 32);
    conflicting = false;
    await inserter.insert(batch);
    await inserter.insert(batch);
    assert.deepEqual(calls.splice(0), ['copy', 'copy']);
  });

  it('passes other failures on untouched', async () => {
    const { db } = fakeDatabase(() => false, true);
    db.copyFrom = async () => {
      throw toStorageError(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
    };
    await assert.rejects(new BatchInserter(db, 'pdm').insert(batch), /connection refused/);
  });
});
