import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Rejection } from '../errors';
import type { ChartMode } from './config';
import type { AnalysisResult } from './result';
import type { AnalyzerOptions, Waveform } from './types';

/** What every worker thread is started with. */
export interface WorkerSetup {
  analyzer: AnalyzerOptions;
  chart: ChartMode;
}

export interface PoolRequest {
  id: number;
  waveform: Waveform & { samples: Float32Array | Float64Array };
}

export type PoolReply = { id: number; ok: true; result: AnalysisResult } | { id: number; ok: false; error: Rejection };

export type PoolOutcome = { ok: true; result: AnalysisResult } | { ok: false; error: Rejection };

export const MAX_WORKERS = 16;
const WORKER_SCRIPT = path.join(__dirname, 'analysis-worker.js');

interface Pending {
  resolve: (outcome: PoolOutcome) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  thread: Worker;
  pending: Map<number, Pending>;
  /** Whether the thread has started; one that fails before it does is not replaced (it would fail again). */
  online: boolean;
}

/**
 * Worker threads that each analyse whole waveforms, so a node keeps more than one core busy.
 * A waveform goes to the worker with the fewest in flight; replies may come back in another
 * order than the waveforms went out.
 */
export class AnalysisPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private closed = false;

  constructor(size: number, private readonly setup: WorkerSetup) {
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_WORKERS)) throw new RangeError(`a pool has 1 to ${MAX_WORKERS} workers, not ${size}`);
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Float samples are posted as they are, and postMessage copies them; other samples become
   * float64 first. Nothing is transferred: once a thread has detached a buffer (moving it does),
   * V8 checks typed-array accesses for detached buffers from then on, and the analysis on a
   * worker that handed its samples back ran about 15 % slower.
   */
  analyze(waveform: Waveform): Promise<PoolOutcome> {
    if (this.closed) return Promise.reject(new Error('the analysis pool is closed'));
    if (this.workers.length === 0) return Promise.reject(new Error('no analysis worker could be started'));
    const worker = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const request: PoolRequest = { id, waveform: { ...waveform, samples: postable(waveform.samples) } };
    return new Promise((resolve, reject) => {
      if (worker.pending.size === 0) worker.thread.ref();
      worker.pending.set(id, { resolve, reject });
      worker.thread.postMessage(request);
    });
  }

  /** Stops every worker; waveforms still in flight fail. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const worker of workers) failPending(worker, new Error('the analysis pool was closed'));
    await Promise.all(workers.map((worker) => worker.thread.terminate()));
  }

  private spawn(): PoolWorker {
    const worker: PoolWorker = { thread: new Worker(WORKER_SCRIPT, { workerData: this.setup }), pending: new Map(), online: false };
    worker.thread.on('online', () => (worker.online = true));
    worker.thread.on('message', (reply: PoolReply) => {
      const pending = worker.pending.get(reply.id);
      if (!pending) return;
      worker.pending.delete(reply.id);
      if (worker.pending.size === 0) worker.thread.unref();
      pending.resolve(reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error });
    });
    worker.thread.on('error', (err) => this.retire(worker, err));
    worker.thread.on('exit', (code) => this.retire(worker, new Error(`an analysis worker stopped (exit code ${code})`)));
    // A thread keeps the process alive only while it has waveforms to answer; the node's close stops it.
    worker.thread.unref();
    return worker;
  }

  /** A failed worker fails its waveforms and, if it had started, a fresh one takes its place. */
  private retire(worker: PoolWorker, err: Error): void {
    failPending(worker, err);
    const slot = this.workers.indexOf(worker);
    if (slot < 0 || this.closed) return;
    if (worker.online) this.workers[slot] = this.spawn();
    else this.workers.splice(slot, 1);
  }
}

/**
 * The samples as a float array that postMessage copies whole: a view into a larger or a shared
 * buffer is sliced first (the clone would take the whole buffer, or share it).
 */
function postable(samples: ArrayLike<number>): Float32Array | Float64Array {
  if (!(samples instanceof Float32Array || samples instanceof Float64Array)) return Float64Array.from(samples);
  const whole = samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength && !(samples.buffer instanceof SharedArrayBuffer);
  return whole ? samples : samples.slice();
}

function failPending(worker: PoolWorker, err: Error): void {
  for (const pending of worker.pending.values()) pending.reject(err);
  worker.pending.clear();
}
