/** Worker-thread entry of `trainInWorker` (train-thread.ts): trains once and reports back. */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, PdmError } from '../errors';
import type { TrainJob, TrainReply } from './train-thread';
import { trainModel } from './train';

const port = parentPort;
if (!port) throw new Error('train-worker.js runs only as a worker thread');
const reply = (message: TrainReply): void => port.postMessage(message);
const { dataset, options } = workerData as TrainJob;

trainModel(dataset, options, { onEpoch: (info) => reply({ type: 'epoch', info }) }).then(
  ({ meta, onnx, heldBack }) => reply({ type: 'done', result: { meta, onnx, heldBack } }),
  (err: unknown) => reply({ type: 'failed', code: err instanceof PdmError ? err.code : undefined, message: describeError(err) }),
);
