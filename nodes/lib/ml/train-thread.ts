import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PdmError, type ErrorCode } from '../errors';
import type { EpochInfo, TrainHooks } from './autoencoder';
import type { Dataset } from './dataset';
import type { TrainedModel, TrainOptions } from './train';

/**
 * Training in a worker thread, so that a long fit (the autoencoder takes seconds to minutes)
 * never holds the Node-RED event loop. The worker runs the same `trainModel` as the main thread
 * and sends back the model's metadata, its ONNX bytes and the held-back rows.
 */
export interface TrainJob {
  dataset: Dataset;
  options: TrainOptions;
}

export type TrainReply =
  | { type: 'epoch'; info: EpochInfo }
  | { type: 'done'; result: TrainedModel }
  | { type: 'failed'; code: ErrorCode | undefined; message: string };

/** The compiled worker script beside this file (dist/nodes/lib/ml/train-worker.js). */
export const TRAIN_WORKER_FILE = path.join(__dirname, 'train-worker.js');

export function trainInWorker(dataset: Dataset, options: TrainOptions, hooks: Pick<TrainHooks, 'onEpoch' | 'signal'> = {}): Promise<TrainedModel> {
  return new Promise<TrainedModel>((resolve, reject) => {
    if (hooks.signal?.aborted) {
      reject(cancelled());
      return;
    }
    const job: TrainJob = { dataset, options };
    const worker = new Worker(TRAIN_WORKER_FILE, { workerData: job });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = (): void => {
      settle(() => reject(cancelled()));
      void worker.terminate();
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: TrainReply) => {
      if (reply.type === 'epoch') hooks.onEpoch?.(reply.info);
      else if (reply.type === 'done') settle(() => resolve(reply.result));
      else settle(() => reject(reply.code ? new PdmError(reply.code, reply.message) : new Error(reply.message)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the training thread ended (exit code ${code}) without a result`))));
  });
}

function cancelled(): PdmError {
  return new PdmError('INVALID_CONFIG', 'training was cancelled');
}
