/**
 * Producer-side batching: records wait up to `lingerMs` (or until `maxBatch` are waiting) and go
 * to the broker in one request per topic, one request at a time so each topic's order holds.
 * Every caller is settled when the batch holding its records is acknowledged, or failed.
 */
import type { OutRecord } from './client';

export interface LingerOptions {
  lingerMs: number;
  maxBatch: number;
  /** Records that may wait (not yet acknowledged) before add() refuses more. */
  maxBuffered: number;
  now?: () => number;
}

export type Settle = (err?: Error) => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Waiting {
  records: OutRecord[];
  /** Each caller with the count of records it added, in order. */
  callers: Array<{ settle: Settle; count: number; at: number }>;
}

export class LingerQueue {
  private readonly waiting = new Map<string, Waiting>();
  private waitingCount = 0;
  private sendingCount = 0;
  private timer: unknown;
  private sending = false;
  private due = false;
  private held = true;
  private idle: Array<() => void> = [];

  constructor(
    private readonly send: (topic: string, records: readonly OutRecord[]) => Promise<void>,
    private readonly options: LingerOptions,
    private readonly timers: Timers = systemTimers,
  ) {}

  /** Records waiting plus records sent and not yet acknowledged. */
  get buffered(): number {
    return this.waitingCount + this.sendingCount;
  }

  /** Queues records for a topic; false (and nothing queued) when the buffer is full. */
  add(topic: string, records: readonly OutRecord[], settle: Settle): boolean {
    if (records.length === 0) {
      settle();
      return true;
    }
    if (this.buffered + records.length > this.options.maxBuffered && this.buffered > 0) return false;
    let w = this.waiting.get(topic);
    if (w === undefined) {
      w = { records: [], callers: [] };
      this.waiting.set(topic, w);
    }
    for (const r of records) w.records.push(r);
    w.callers.push({ settle, count: records.length, at: (this.options.now ?? Date.now)() });
    this.waitingCount += records.length;
    if (this.waitingCount >= this.options.maxBatch) this.trigger();
    else if (this.timer === undefined) this.timer = this.timers.setTimeout(() => this.trigger(), this.options.lingerMs);
    return true;
  }

  /** Holds sending (while the producer is not connected); records keep queueing up to the limit. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (this.waitingCount > 0) this.trigger();
  }

  /** Sends everything waiting now and resolves once nothing is waiting or in flight. */
  drain(): Promise<void> {
    if (this.buffered === 0) return Promise.resolve();
    const settled = new Promise<void>((resolve) => this.idle.push(resolve));
    if (!this.held) this.trigger();
    return settled;
  }

  /** Fails waiting records added before `before` (epoch ms): a delivery timeout while sending is held. */
  expire(before: number, err: Error): number {
    let expired = 0;
    for (const [topic, w] of this.waiting) {
      let callers = 0;
      let records = 0;
      while (callers < w.callers.length && w.callers[callers].at < before) records += w.callers[callers++].count;
      if (callers === 0) continue;
      const gone = w.callers.splice(0, callers);
      w.records.splice(0, records);
      if (w.records.length === 0) this.waiting.delete(topic);
      this.waitingCount -= records;
      expired += records;
      for (const c of gone) c.settle(err);
    }
    if (this.waitingCount === 0) this.cancelTimer();
    this.notifyIdle();
    return expired;
  }

  /** Drops every waiting record without settling it (the flow is stopping); returns how many. */
  discard(): number {
    this.cancelTimer();
    const dropped = this.waitingCount;
    this.waiting.clear();
    this.waitingCount = 0;
    this.notifyIdle();
    return dropped;
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private trigger(): void {
    this.cancelTimer();
    if (this.held || this.waitingCount === 0) return;
    if (this.sending) {
      this.due = true;
      return;
    }
    void this.sendAll();
  }

  private async sendAll(): Promise<void> {
    this.sending = true;
    this.due = false;
    const all = [...this.waiting.entries()];
    this.waiting.clear();
    this.sendingCount = this.waitingCount;
    this.waitingCount = 0;
    for (const [topic, w] of all) {
      for (let start = 0, caller = 0; start < w.records.length;) {
        // Cut at caller boundaries near maxBatch, so each caller settles with its own batch.
        let end = start;
        const first = caller;
        while (caller < w.callers.length && (end === start || end - start + w.callers[caller].count <= this.options.maxBatch)) {
          end += w.callers[caller].count;
          caller++;
        }
        let error: Error | undefined;
        try {
          await this.send(topic, start === 0 && end === w.records.length ? w.records : w.records.slice(start, end));
        } catch (err) {
          error = err instanceof Error ? err : new Error(String(err));
        }
        this.sendingCount -= end - start;
        for (let i = first; i < caller; i++) w.callers[i].settle(error);
        start = end;
      }
    }
    this.sending = false;
    if (this.waitingCount > 0 && (this.due || this.waitingCount >= this.options.maxBatch || this.idle.length > 0)) this.trigger();
    else if (this.waitingCount > 0 && this.timer === undefined) this.timer = this.timers.setTimeout(() => this.trigger(), this.options.lingerMs);
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.buffered > 0) return;
    const waiters = this.idle;
    this.idle = [];
    for (const resolve of waiters) resolve();
  }
}
