import { PdmError } from '../errors';

/** Timers as the batcher needs them, injected so tests decide when a wait ends. */
export interface BatchTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimers: BatchTimers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface BatcherOptions {
  /** Items per batch at most. */
  maxBatch: number;
  /**
   * How long the first queued item may wait for others before its batch runs, ms. 0: a batch
   * starts as soon as no other runs, so batches form only from what queues meanwhile.
   */
  maxWaitMs: number;
}

/**
 * Micro-batching: items queue until `maxBatch` of them are there or the oldest has waited
 * `maxWaitMs`, then one call of `run` takes them all. One batch runs at a time; items that
 * arrive meanwhile form the next batch, which starts as soon as the running one ends (it has
 * waited long enough already). `run` settles every item itself; a rejection is passed to
 * `onError` so nothing escapes.
 */
export class MicroBatcher<T> {
  private queue: T[] = [];
  private timer: unknown;
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly options: BatcherOptions,
    private readonly run: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown, items: T[]) => void,
    private readonly timers: BatchTimers = systemTimers,
  ) {
    checkBatchOptions(options);
  }

  /** Items queued and not yet handed to `run`. */
  get pending(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running;
  }

  add(item: T): void {
    this.queue.push(item);
    if (this.running) return;
    if (this.queue.length >= this.options.maxBatch || this.options.maxWaitMs === 0) this.start();
    else if (this.timer === undefined) this.timer = this.timers.set(() => this.onTimer(), this.options.maxWaitMs);
  }

  /** Resolves once the queue is empty and no batch runs (queued items are run, not dropped). */
  drain(): Promise<void> {
    if (!this.running && this.queue.length > 0) this.start();
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.running && this.queue.length > 0) this.start();
  }

  private start(): void {
    if (this.timer !== undefined) {
      this.timers.clear(this.timer);
      this.timer = undefined;
    }
    const items = this.queue.length <= this.options.maxBatch ? this.queue : this.queue.slice(0, this.options.maxBatch);
    this.queue = items === this.queue ? [] : this.queue.slice(this.options.maxBatch);
    this.running = true;
    let settled: Promise<void>;
    try {
      settled = this.run(items);
    } catch (err) {
      settled = Promise.reject(err);
    }
    settled.catch((err: unknown) => this.onError(err, items)).finally(() => this.finish());
  }

  private finish(): void {
    this.running = false;
    if (this.queue.length > 0) {
      this.start();
      return;
    }
    this.idleWaiters.splice(0).forEach((wake) => wake());
  }
}

export function checkBatchOptions(options: BatcherOptions): void {
  if (!(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) {
    throw new PdmError('INVALID_CONFIG', `max batch size must be a whole number ≥ 1, got ${String(options.maxBatch)}`);
  }
  if (!(Number.isFinite(options.maxWaitMs) && options.maxWaitMs >= 0)) {
    throw new PdmError('INVALID_CONFIG', `max wait must be ≥ 0 ms, got ${String(options.maxWaitMs)}`);
  }
}
