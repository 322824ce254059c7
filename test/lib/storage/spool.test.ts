import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { emptyBatch, type Batch } from '../../../nodes/lib/storage/batch';
import { pushReading } from '../../../nodes/lib/storage/records';
import { Spool } from '../../../nodes/lib/storage/spool';

function batchOf(first: number, rows: number): Batch {
  const batch = emptyBatch('readings');
  for (let i = 0; i < rows; i++) {
    pushReading(batch, { asset: 'a', sensor: 's', value: first + i, ts: first + i });
    batch.rows++;
  }
  return batch;
}

function drain(spool: Spool): number[] {
  const firsts: number[] = [];
  for (let b = spool.peek(); b !== undefined; b = spool.peek()) {
    firsts.push(b.columns[0][0] as number);
    spool.ack();
  }
  return firsts;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Spool', () => {
  it('returns batches in append order across segments and deletes drained segments', () => {
    const dir = tempDir();
    const spool = new Spool({ dir, segmentBytes: 200 });
    for (let i = 0; i < 6; i++) spool.append(batchOf(i * 10, 3));
    assert.equal(spool.rows, 18);
    assert.ok(fs.readdirSync(dir).length > 1, 'small segments roll over');
    assert.deepEqual(drain(spool), [0, 10, 20, 30, 40, 50]);
    assert.equal(spool.rows, 0);
    assert.ok(spool.isEmpty);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('survives a restart: a new spool on the same directory replays what was not acknowledged', () => {
    const dir = tempDir();
    const first = new Spool({ dir });
    first.append(batchOf(0, 2));
    first.append(batchOf(100, 2));
    first.sync();
    first.close();
    const second = new Spool({ dir });
    assert.equal(second.rows, 4);
    const replayed = second.peek();
    assert.deepEqual(replayed?.columns[3], [0, 1]);
    assert.deepEqual(drain(second), [0, 100]);
  });

  it('puts prepended batches ahead of what is spooled', () => {
    const spool = new Spool({ dir: tempDir() });
    spool.append(batchOf(50, 1));
    spool.prepend([batchOf(10, 1), batchOf(20, 1)]);
    spool.append(batchOf(60, 1));
    assert.deepEqual(drain(spool), [10, 20, 50, 60]);
  });

  it('skips a torn last line and keeps its count honest', () => {
    const dir = tempDir();
    const spool = new Spool({ dir });
    spool.append(batchOf(0, 2));
    spool.close();
    const [file] = fs.readdirSync(dir);
    fs.appendFileSync(path.join(dir, file), '{"table":"readings","rows":5,"columns":[[1,2');
    const reopened = new Spool({ dir });
    assert.deepEqual(drain(reopened), [0]);
    assert.equal(reopened.rows, 0);
  });
});
