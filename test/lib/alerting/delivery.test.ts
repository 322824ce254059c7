import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, Deliverer, DeliveryError, TokenBucket, type Receipt, type SendResult, type Timers } from '../../../nodes/lib/alerting/delivery';

/** A clock and timers that move only when told. */
class FakeTime implements Timers {
  now = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;
  readonly clock = (): number => this.now;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  get scheduled(): number[] {
    return this.timers.map((t) => t.at - this.now);
  }
  /** Moves time forward, firing due timers in order, and lets settled promises run. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    // A send may have moved the clock past the end.
    this.now = Math.max(this.now, end);
    await flush();
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function deliverer(time: FakeTime, send: (item: string, attempt: number) => Promise<SendResult>, extra: Partial<ConstructorParameters<typeof Deliverer<string>>[0]> = {}) {
  const receipts: Array<{ item: string; receipt: Receipt }> = [];
  const d = new Deliverer<string>({
    channel: 'test',
    send,
    retry: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 },
    concurrency: 2,
    maxQueue: 100,
    onReceipt: (item, receipt) => receipts.push({ item, receipt }),
    clock: time.clock,
    timers: time,
    random: () => 0.5,
    ...extra,
  });
  return { d, receipts };
}

describe('delivery', () => {
  it('backs off exponentially with jitter, capped', () => {
    const policy = { attempts: 10, baseDelayMs: 1000, maxDelayMs: 5000 };
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(policy, n, () => 0)), [500, 1000, 2000, 2500]);
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(policy, n, () => 1)), [1000, 2000, 4000, 5000]);
  });

  it('takes tokens up to the burst and then at the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 2, perSecond: 4 }, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 250]);
    now = 250;
    assert.equal(bucket.take(), 0);
    now = 10_000;
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 250]);
  });

  it('sends a receipt for every attempt and retries retriable failures after the back-off', async () => {
    const time = new FakeTime();
    let calls = 0;
    const { d, receipts } = deliverer(time, async () => {
      calls++;
      time.now += 30;
      if (calls < 3) throw new Error('ECONNREFUSED');
      return { messageId: 'm-1' };
    });
    const final = d.deliver('a');
    await time.advance(0);
    assert.equal(receipts.length, 1);
    assert.deepEqual([d.pending, d.retrying], [1, 1]);
    assert.deepEqual(receipts[0].receipt, { channel: 'test', attempt: 1, ok: false, error: 'ECONNREFUSED', final: false, retryInMs: 750, latencyMs: 30, elapsedMs: 30, ts: 30 });
    await time.advance(749);
    assert.equal(calls, 1);
    await time.advance(1);
    assert.equal(calls, 2);
    assert.equal(receipts[1].receipt.retryInMs, 1500);
    await time.advance(1500);
    const last = await final;
    assert.deepEqual(last, { channel: 'test', attempt: 3, ok: true, final: true, messageId: 'm-1', latencyMs: 30, elapsedMs: 30 + 750 + 30 + 1500 + 30, ts: 2340 });
    assert.equal(receipts.length, 3);
    assert.equal(d.pending, 0);
  });

  it('gives up at once on a permanent failure and after the last attempt on others', async () => {
    const time = new FakeTime();
    const { d, receipts } = deliverer(time, async (item) => {
      throw item === 'permanent' ? new DeliveryError('550 no such user', false) : new DeliveryError('timeout', true);
    });
    const permanent = await d.deliver('permanent');
    assert.deepEqual([permanent.ok, permanent.final, permanent.attempt, permanent.error], [false, true, 1, '550 no such user']);
    const other = d.deliver('other');
    await time.advance(60_000);
    const last = await other;
    assert.deepEqual([last.ok, last.final, last.attempt], [false, true, 3]);
    assert.deepEqual(receipts.filter((r) => r.item === 'other').map((r) => r.receipt.final), [false, false, true]);
  });

  it('holds messages beyond the rate limit and sends them in order as tokens come', async () => {
    const time = new FakeTime();
    const sent: Array<[string, number]> = [];
    const { d } = deliverer(time, async (item) => {
      sent.push([item, time.now]);
      return {};
    }, { rate: { burst: 2, perSecond: 1 }, concurrency: 10 });
    const all = Promise.all(['a', 'b', 'c', 'd'].map((x) => d.deliver(x)));
    await time.advance(0);
    assert.deepEqual(sent, [['a', 0], ['b', 0]]);
    await time.advance(2000);
    await all;
    assert.deepEqual(sent, [['a', 0], ['b', 0], ['c', 1000], ['d', 2000]]);
  });

  it('keeps at most `concurrency` attempts in flight', async () => {
    const time = new FakeTime();
    let inFlight = 0;
    let most = 0;
    const { d } = deliverer(time, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await flush();
      inFlight--;
      return {};
    });
    await Promise.all(Array.from({ length: 7 }, (_, i) => d.deliver(String(i))));
    assert.equal(most, 2);
  });

  it('refuses messages beyond the queue limit with a final receipt', async () => {
    const time = new FakeTime();
    const { d, receipts } = deliverer(time, () => new Promise<SendResult>(() => undefined), { maxQueue: 2 });
    void d.deliver('a');
    void d.deliver('b');
    const refused = await d.deliver('c');
    assert.deepEqual([refused.ok, refused.final, refused.error], [false, true, 'more than 2 messages are waiting']);
    assert.equal(receipts.length, 1);
  });

  it('turns a send that throws synchronously into a failed attempt', async () => {
    const time = new FakeTime();
    const { d } = deliverer(time, () => {
      throw new DeliveryError('bad template', false);
    });
    const r = await d.deliver('a');
    assert.deepEqual([r.ok, r.error], [false, 'bad template']);
  });

  it('on close clears its timers and ends waiting messages without more receipts', async () => {
    const time = new FakeTime();
    const { d, receipts } = deliverer(time, async () => {
      throw new Error('down');
    });
    const waiting = d.deliver('a');
    await time.advance(0);
    assert.equal(time.scheduled.length, 1);
    d.close();
    assert.equal(time.scheduled.length, 0);
    const last = await waiting;
    assert.deepEqual([last.ok, last.final, last.error], [false, true, 'the node closed']);
    assert.equal(receipts.length, 1);
    assert.equal((await d.deliver('b')).error, 'the node is closing');
  });
});
