/**
 * Delivery of notifications through one channel: a FIFO queue drained under a token-bucket rate
 * limit and a concurrency cap, retries with exponential back-off and jitter, and a receipt for
 * every attempt. Time, timers and randomness are injected so tests run without sleeping.
 */
import { describeError } from '../errors';
import type { Clock } from '../status';

/** A failure the channel knows to be permanent (a 4xx answer, a rejected recipient) is not retried. */
export class DeliveryError extends Error {
  readonly retriable: boolean;
  constructor(message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.retriable = retriable;
  }
}

export interface SendResult {
  messageId?: string;
}

export interface Receipt {
  channel: string;
  /** 1 for the first try. */
  attempt: number;
  ok: boolean;
  error?: string;
  /** This receipt is the last for its message: it was delivered, or it will not be tried again. */
  final: boolean;
  /** Duration of this attempt. */
  latencyMs: number;
  /** From the hand-over to the queue to the end of this attempt (queueing, rate limit and back-off included). */
  elapsedMs: number;
  messageId?: string;
  /** When the next attempt starts, for a failed attempt that will be retried. */
  retryInMs?: number;
  ts: number;
}

export interface RetryPolicy {
  /** Attempts in all, ≥ 1. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RateLimit {
  /** Messages that may go at once after a quiet period. */
  burst: number;
  perSecond: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Exponential back-off with "equal jitter": half the step is fixed, half random, so retries of a
 * burst spread out yet never come back at once.
 */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly limit: RateLimit, private readonly now: Clock) {
    this.tokens = limit.burst;
    this.last = now();
  }

  /** Takes a token and returns 0, or returns the ms until one is available. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((t - this.last) / 1000) * this.limit.perSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000));
  }
}

export interface DelivererOptions<T> {
  channel: string;
  send(item: T, attempt: number): Promise<SendResult>;
  retry: RetryPolicy;
  rate?: RateLimit;
  /** Attempts in flight at once. */
  concurrency: number;
  /** Messages waiting (queued or between retries) beyond which new ones are refused. */
  maxQueue: number;
  onReceipt(item: T, receipt: Receipt): void;
  clock: Clock;
  timers?: Timers;
  random?: () => number;
}

interface Job<T> {
  item: T;
  attempt: number;
  enqueuedAt: number;
  finish(receipt: Receipt): void;
}

export class Deliverer<T> {
  private readonly queue: Job<T>[] = [];
  private readonly waiting = new Set<unknown>();
  private readonly unfinished = new Set<Job<T>>();
  private readonly bucket: TokenBucket | undefined;
  private readonly timers: Timers;
  private readonly random: () => number;
  private inFlight = 0;
  private pumpTimer: unknown;
  private closed = false;

  constructor(private readonly options: DelivererOptions<T>) {
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
    this.bucket = options.rate ? new TokenBucket(options.rate, options.clock) : undefined;
  }

  /** Messages not yet delivered or given up. */
  get pending(): number {
    return this.unfinished.size;
  }

  /** Messages waiting out a back-off before their next attempt. */
  get retrying(): number {
    return this.waiting.size;
  }

  /** Resolves with the final receipt of the message. */
  deliver(item: T): Promise<Receipt> {
    return new Promise((resolve) => {
      const now = this.options.clock();
      const job: Job<T> = { item, attempt: 1, enqueuedAt: now, finish: resolve };
      if (this.closed || this.unfinished.size >= this.options.maxQueue) {
        const error = this.closed ? 'the node is closing' : `more than ${this.options.maxQueue} messages are waiting`;
        const receipt: Receipt = { channel: this.options.channel, attempt: 0, ok: false, error, final: true, latencyMs: 0, elapsedMs: 0, ts: now };
        if (!this.closed) this.options.onReceipt(item, receipt);
        resolve(receipt);
        return;
      }
      this.unfinished.add(job);
      this.queue.push(job);
      this.pump();
    });
  }

  /** Stops all timers; messages not yet delivered get a final failed receipt (not sent to onReceipt). */
  close(): void {
    this.closed = true;
    for (const handle of this.waiting) this.timers.clearTimeout(handle);
    this.waiting.clear();
    if (this.pumpTimer !== undefined) this.timers.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.queue.length = 0;
    const now = this.options.clock();
    for (const job of this.unfinished) {
      job.finish({ channel: this.options.channel, attempt: job.attempt, ok: false, error: 'the node closed', final: true, latencyMs: 0, elapsedMs: now - job.enqueuedAt, ts: now });
    }
    this.unfinished.clear();
  }

  private pump(): void {
    if (this.pumpTimer !== undefined || this.closed) return;
    while (this.queue.length > 0 && this.inFlight < this.options.concurrency) {
      const wait = this.bucket?.take() ?? 0;
      if (wait > 0) {
        this.pumpTimer = this.timers.setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.attempt(this.queue.shift() as Job<T>);
    }
  }

  private attempt(job: Job<T>): void {
    this.inFlight++;
    const started = this.options.clock();
    let outcome: Promise<SendResult>;
    try {
      outcome = this.options.send(job.item, job.attempt);
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (result) => this.settle(job, started, undefined, result),
      (err: unknown) => this.settle(job, started, err, undefined),
    );
  }

  private settle(job: Job<T>, started: number, err: unknown, result: SendResult | undefined): void {
    this.inFlight--;
    if (this.closed) return;
    const now = this.options.clock();
    const base = { channel: this.options.channel, attempt: job.attempt, latencyMs: now - started, elapsedMs: now - job.enqueuedAt, ts: now };
    if (err === undefined) {
      this.complete(job, { ...base, ok: true, final: true, ...(result?.messageId ? { messageId: result.messageId } : {}) });
    } else {
      const retriable = !(err instanceof DeliveryError) || err.retriable;
      const error = describeError(err);
      if (retriable && job.attempt < this.options.retry.attempts) {
        const retryInMs = backoffDelay(this.options.retry, job.attempt, this.random);
        this.options.onReceipt(job.item, { ...base, ok: false, error, final: false, retryInMs });
        const handle = this.timers.setTimeout(() => {
          this.waiting.delete(handle);
          job.attempt++;
          this.queue.push(job);
          this.pump();
        }, retryInMs);
        this.waiting.add(handle);
      } else {
        this.complete(job, { ...base, ok: false, error, final: true });
      }
    }
    this.pump();
  }

  private complete(job: Job<T>, receipt: Receipt): void {
    this.unfinished.delete(job);
    this.options.onReceipt(job.item, receipt);
    job.finish(receipt);
  }
}
