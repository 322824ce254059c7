/**
 * A worker thread of the analysis pool: one analyzer with the node's options, one waveform
 * per message, the plain result posted back under the message's id. Messages wait for the
 * thread's FFT module to load.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VibrationAnalyzer } from './analyzer';
import { afterFftLoads } from './fft';
import { resultOf } from './result';
import type { PoolReply, PoolRequest, WorkerSetup } from './pool';

const setup = workerData as WorkerSetup;
const analyzer = new VibrationAnalyzer(setup.analyzer);
const port = parentPort;
if (!port) throw new Error('analysis-worker runs only as a worker thread');

port.on('message', afterFftLoads((request: PoolRequest) => {
  const outcome = analyzer.analyze(request.waveform);
  const reply: PoolReply = outcome.ok
    ? { id: request.id, ok: true, result: resultOf(outcome.analysis, setup.chart) }
    : { id: request.id, ok: false, error: outcome.error };
  port.postMessage(reply);
}));
