import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutRecord } from '../../../nodes/lib/kafka/client';
import { LingerQueue, type Timers } from '../../../nodes/lib/kafka/linger';

/** Timers run by hand, so lingering needs no sleeping. */
function manualTimers(): Timers & { fire(): void; pending: number } {
  const due: Array<() => void> = [];
  return {
    setTimeout: (fn) => {
      due.push(fn);
      return fn;
    },
    clearTimeout: (handle) => {
      const i = due.indexOf(handle as () => void);
      if (i >= 0) due.splice(i, 1);
    },
    fire: () => due.splice(0).forEach((fn) => fn()),
    get pending() {
      return due.length;
    },
  };
}

const rec = (key: string, n = 1): OutRecord[] => Array.from({ length: n }, (_, i) => ({ key, value: String(i) }));
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LingerQueue', () => {
  it('waits for the linger time, then sends what has gathered in one request per topic', async () => {
    const sent: Array<[string, number]> = [];
    const timers = manualTimers();
    const q = new LingerQueue(async (topic, records) => {
      sent.push([topic, records.length]);
    }, { lingerMs: 20, maxBatch: 100, maxBuffered: 1000 }, timers);
    q.release();
    const settled: string[] = [];
    q.add('raw', rec('a', 3), () => settled.push('m1'));
    q.add('raw', rec('b', 2), () => settled.push('m2'));
    q.add('alerts', rec('a'), () => settled.push('m3'));
    assert.deepEqual(sent, []);
    timers.fire();
    await tick();
    assert.deepEqual(sent, [['raw', 5], ['alerts', 1]]);
    assert.deepEqual(settled, ['m1', 'm2', 'm3']);
    assert.equal(q.buffered, 0);
  });

  it('sends at once when a batch is full, and cuts batches at message boundaries', async () => {
    const sent: number[] = [];
    const q = new LingerQueue(async (_topic, records) => {
      sent.push(records.length);
    }, { lingerMs: 1000, maxBatch: 4, maxBuffered: 1000 }, manualTimers());
    q.hold();
    q.add('raw', rec('a', 3), () => undefined);
    q.add('raw', rec('a', 3), () => undefined);
    q.add('raw', rec('a', 1), () => undefined);
    q.release();
    await q.drain();
    assert.deepEqual(sent, [3, 4]);
  });

  it('fails the messages of a failed request with its error', async () => {
    const q = new LingerQueue(async () => {
      throw new Error('broker said no');
    }, { lingerMs: 0, maxBatch: 1, maxBuffered: 10 }, manualTimers());
    q.release();
    const result = await new Promise<Error | undefined>((resolve) => q.add('raw', rec('a'), resolve));
    assert.equal(result?.message, 'broker said no');
  });

  it('refuses records beyond the buffer, expires old ones while held, and discards on stop', () => {
    let now = 0;
    const q = new LingerQueue(async () => undefined, { lingerMs: 10, maxBatch: 100, maxBuffered: 5, now: () => now }, manualTimers());
    const errors: Array<string | undefined> = [];
    assert.equal(q.add('raw', rec('a', 4), (e) => errors.push(e?.message)), true);
    assert.equal(q.add('raw', rec('a', 2), () => undefined), false, 'over the buffer');
    now = 1000;
    assert.equal(q.add('raw', rec('a', 1), () => undefined), true);
    assert.equal(q.expire(500, new Error('timed out')), 4);
    assert.deepEqual(errors, ['timed out']);
    assert.equal(q.buffered, 1);
    assert.equal(q.discard(), 1);
    assert.equal(q.buffered, 0);
  });
});
