import { PdmError } from '../errors';
import { systemClock, type Clock } from '../status';
import { emptyBatch, type Batch } from './batch';
import { toStorageError } from './pg-errors';
import type { Spool } from './spool';
import { TABLE_NAMES, type TableName } from './tables';

/**
 * Batched, ordered, loss-averse writes. Rows gather per table and are sealed into a batch by
 * size or age; sealed batches are started oldest first, up to `maxInFlight` at a time (only on a
 * server pool: inserts are idempotent, so overlapping them is safe). Ordering means start order:
 * with N in flight, commits of at most N neighbouring batches may land out of order, nothing more.
 * A batch whose write fails keeps its place at the head of the queue; batches written meanwhile
 * leave it, and no newer batch starts until the failed ones are retried in their original order.
 * While the database is unavailable batches wait in memory up to a limit, then in the spool on
 * disk; once anything is on disk, newer batches follow it there, and the spool is replayed one
 * batch at a time, so the replay keeps arrival order.
 */
export type InsertBatch = (batch: Batch) => Promise<number>;
export type PushRow<T> = (batch: Batch, item: T) => void;

export interface WriterOptions {
  insert: InsertBatch;
  /** Rows per INSERT. */
  batchSize?: number;
  /** A partly filled batch is written once its first row is this old. */
  flushIntervalMs?: number;
  /** Sealed rows held in memory while the database is unavailable, before spilling to disk. */
  maxBufferedRows?: number;
  spool?: Spool;
  now?: Clock;
  /** Batches written at the same time; 1 (the default) for a single-session database such as PGlite. */
  maxInFlight?: number;
  /** A batch the database refused for good (not retriable), or that had nowhere to wait. */
  onDrop?: (err: PdmError, batch: Batch) => void;
}

export interface WriterCounts {
  written: number;
  added: number;
  dropped: number;
}

export interface CloseResult {
  written: number;
  spooled: number;
}

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5000;
/** Failed writes at close before the rest goes to the spool without waiting out the budget. */
const CLOSE_ATTEMPTS = 3;

export class BatchWriter {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBufferedRows: number;
  readonly maxInFlight: number;
  readonly counts: WriterCounts = { written: 0, added: 0, dropped: 0 };
  /** The last retriable failure, cleared by the next successful write. */
  lastError: PdmError | undefined;

  private readonly open: Record<TableName, Batch>;
  private readonly openedAt: Record<TableName, number>;
  private openRows = 0;
  private readonly pending: Batch[] = [];
  private pendingRows = 0;
  private failures = 0;
  private retryAt = 0;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly now: Clock;

  constructor(private readonly options: WriterOptions) {
    this.batchSize = options.batchSize ?? 5000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxBufferedRows = options.maxBufferedRows ?? 100_000;
    this.maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 1));
    this.now = options.now ?? systemClock;
    this.open = Object.fromEntries(TABLE_NAMES.map((t) => [t, emptyBatch(t)])) as Record<TableName, Batch>;
    this.openedAt = Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>;
  }

  /** Rows accepted and not yet stored: open, waiting in memory, or spooled on disk. */
  get backlog(): number {
    return this.openRows + this.pendingRows + (this.options.spool?.rows ?? 0);
  }

  get spooledRows(): number {
    return this.options.spool?.rows ?? 0;
  }

  /** True while the last write attempt failed and a retry is scheduled. */
  get retrying(): boolean {
    return this.lastError !== undefined;
  }

  add<T>(table: TableName, push: PushRow<T>, item: T): void {
    const batch = this.open[table];
    if (batch.rows === 0) this.openedAt[table] = this.now();
    push(batch, item);
    batch.rows++;
    this.openRows++;
    this.counts.added++;
    if (batch.rows >= this.batchSize) this.seal(table);
  }

  /** Seals batches past their age, makes spooled rows durable and retries when due. */
  tick(): void {
    const now = this.now();
    for (const table of TABLE_NAMES) {
      if (this.open[table].rows > 0 && now - this.openedAt[table] >= this.flushIntervalMs) this.seal(table);
    }
    this.options.spool?.sync();
    void this.pump();
  }

  /** Seals every open batch and writes what is waiting; resolves when the queue is empty or a write failed. */
  flush(): Promise<void> {
    for (const table of TABLE_NAMES) this.seal(table);
    this.retryAt = 0;
    return this.pump();
  }

  /**
   * Writes what it can within the budget, then persists the rest to the spool (when there is
   * one) ahead of what is already there.
   */
  async close(budgetMs: number): Promise<CloseResult> {
    const deadline = this.now() + budgetMs;
    const before = this.counts.written;
    for (const table of TABLE_NAMES) this.seal(table);
    let failedAttempts = 0;
    while (this.pendingRows > 0 || (this.options.spool !== undefined && !this.options.spool.isEmpty)) {
      const left = deadline - this.now();
      if (left <= 0 || failedAttempts >= CLOSE_ATTEMPTS) break;
      this.retryAt = Math.min(this.retryAt, this.now());
      await withTimeout(this.pump(), left);
      if (this.retrying) {
        failedAttempts++;
        await sleep(Math.min(this.retryDelay(), Math.max(0, deadline - this.now())));
      }
    }
    this.closed = true;
    const spool = this.options.spool;
    if (spool !== undefined) {
      spool.prepend(this.pending);
      spool.close();
    }
    this.pending.length = 0;
    this.pendingRows = 0;
    return { written: this.counts.written - before, spooled: spool?.rows ?? 0 };
  }

  private seal(table: TableName): void {
    const batch = this.open[table];
    if (batch.rows === 0) return;
    this.open[table] = emptyBatch(table);
    this.openRows -= batch.rows;
    this.enqueue(batch);
  }

  private enqueue(batch: Batch): void {
    const spool = this.options.spool;
    const overLimit = this.pendingRows + batch.rows > this.maxBufferedRows;
    if (spool !== undefined && (!spool.isEmpty || overLimit)) {
      try {
        spool.append(batch);
      } catch (err) {
        this.drop(new PdmError('DB_UNAVAILABLE', `cannot spill to ${spool.dir}: ${describe(err)}`, { retriable: true, cause: err }), batch);
      }
    } else if (overLimit) {
      this.drop(new PdmError('DB_UNAVAILABLE', 'write buffer full and no spool to spill to', { retriable: true }), batch);
    } else {
      this.pending.push(batch);
      this.pendingRows += batch.rows;
    }
    void this.pump();
  }

  private pump(): Promise<void> {
    if (this.running !== undefined) return this.running;
    if (this.closed) return Promise.resolve();
    if (this.now() < this.retryAt) return Promise.resolve();
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      if (this.pending.length > 0) {
        if (!(await this.drainMemory())) return;
        continue;
      }
      const batch = this.options.spool?.peek();
      if (batch === undefined) return;
      const failure = await this.write(batch);
      if (this.closed) return;
      if (failure !== undefined) {
        this.scheduleRetry(failure);
        return;
      }
      this.succeeded();
      this.options.spool?.ack();
    }
  }

  /**
   * Writes the in-memory queue with up to `maxInFlight` batches at once, removing each from the
   * head once it and all before it are done. False when a write failed and a retry is scheduled.
   */
  private async drainMemory(): Promise<boolean> {
    const running = new Set<Promise<void>>();
    const settled = new Set<Batch>();
    let failure: PdmError | undefined;
    let next = 0;
    for (;;) {
      while (failure === undefined && next < this.pending.length && running.size < this.maxInFlight) {
        const batch = this.pending[next++];
        const task: Promise<void> = this.write(batch).then((failed) => {
          running.delete(task);
          if (failed !== undefined) {
            failure ??= failed;
            return;
          }
          settled.add(batch);
          if (failure === undefined) this.succeeded();
        });
        running.add(task);
      }
      if (running.size === 0) break;
      await Promise.race(running);
      if (this.closed) return false;
      next -= this.removeSettled(settled, failure === undefined);
    }
    if (failure === undefined) return true;
    this.scheduleRetry(failure);
    return false;
  }

  /** Removes settled batches from the head only, or (after a failure) from anywhere; returns how many. */
  private removeSettled(settled: Set<Batch>, headOnly: boolean): number {
    let removed = 0;
    for (let i = 0; i < this.pending.length; ) {
      const batch = this.pending[i];
      if (settled.has(batch)) {
        this.pending.splice(i, 1);
        this.pendingRows -= batch.rows;
        settled.delete(batch);
        removed++;
      } else if (headOnly) {
        break;
      } else {
        i++;
      }
    }
    return removed;
  }

  /** Inserts one batch; resolves with the failure when it may be retried, otherwise undefined (written or dropped). */
  private async write(batch: Batch): Promise<PdmError | undefined> {
    try {
      await this.options.insert(batch);
      this.counts.written += batch.rows;
      return undefined;
    } catch (err) {
      const failure = toStorageError(err);
      if (failure.retriable) return failure;
      this.drop(failure, batch);
      return undefined;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    this.lastError = undefined;
  }

  private scheduleRetry(failure: PdmError): void {
    this.lastError = failure;
    this.failures++;
    this.retryAt = this.now() + this.retryDelay();
  }

  private retryDelay(): number {
    return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, this.failures - 1));
  }

  private drop(err: PdmError, batch: Batch): void {
    this.counts.dropped += batch.rows;
    this.options.onDrop?.(err, batch);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
