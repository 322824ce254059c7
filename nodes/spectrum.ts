import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { compactCount, STATUS, ThrottledStatus, type NodeStatusLike } from './lib/status';
import { VibrationAnalyzer } from './lib/vibration/analyzer';
import { afterFftLoads } from './lib/vibration/fft';
import { settingsFromConfig, type SpectrumConfig, type SpectrumSettings } from './lib/vibration/config';
import { waveformFromMessage, type WaveformMessage } from './lib/vibration/input';
import { AnalysisPool, type PoolOutcome } from './lib/vibration/pool';
import { resultOf, type AnalysisResult } from './lib/vibration/result';
import type { Diagnosis } from './lib/vibration/types';
import { guarded, onGuardedInput } from './shared/guarded-input';

type SpectrumDef = NodeDef & SpectrumConfig;
type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

export = function register(RED: NodeAPI): void {
  function SpectrumNode(this: Node, config: SpectrumDef): void {
    RED.nodes.createNode(this, config);
    let settings: SpectrumSettings;
    try {
      settings = settingsFromConfig(config);
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('spectrum.errors.config', { reason }));
      this.status(STATUS.error(RED._('spectrum.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, settings);
  }

  function start(node: Node, settings: SpectrumSettings): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const analyzer = new VibrationAnalyzer(settings.analyzer);
    const pool = settings.workers > 0 ? new AnalysisPool(settings.workers, { analyzer: settings.analyzer, chart: settings.chart }) : undefined;
    let analysed = 0;
    let rejected = 0;
    let lastDiagnosis: Pick<Diagnosis, 'fault' | 'zone'> | undefined;
    status.force(STATUS.idle(RED._('spectrum.status.idle')));

    const rejectedText = (): string => (rejected > 0 ? RED._('spectrum.status.rejected', { count: compactCount(rejected) }) : '');
    // Built only when the throttled status is shown, not for every waveform.
    const progress = (): NodeStatusLike => STATUS.ok(RED._('spectrum.status.running', {
      count: compactCount(analysed), fault: lastDiagnosis?.fault ?? '', zone: lastDiagnosis?.zone ?? '',
    }) + rejectedText());

    const reject = (code: PdmError['code'], reason: string, done: Done): void => {
      rejected++;
      status.set(STATUS.error(RED._('spectrum.status.failed', { code }) + rejectedText()));
      done(new PdmError(code, reason));
    };

    /** Three sends of one message each: Node-RED clones every message of a send but the first. */
    const emit = (msg: NodeMessageInFlow, result: AnalysisResult, send: Send): void => {
      const { features, diagnosis } = result;
      const topic = `${features.asset}/${features.sensor}`;
      const out = msg as NodeMessage & Record<string, unknown>;
      out.payload = features;
      out.topic = topic;
      out.vibration = { segmentSize: result.segmentSize, binHz: result.binHz, envelopeBand: diagnosis.envelopeBand };
      send([out, null, null]);
      send([null, { _msgid: RED.util.generateId(), topic, payload: diagnosis } as NodeMessage, null]);
      if (!result.chart) return;
      const chart = { _msgid: RED.util.generateId(), topic, payload: result.chart, action: 'replace' };
      send([null, null, chart as NodeMessage]);
    };

    const finish = (msg: NodeMessageInFlow, outcome: PoolOutcome, send: Send, done: Done): void => {
      if (!outcome.ok) {
        reject(outcome.error.code, outcome.error.reason, done);
        return;
      }
      analysed++;
      lastDiagnosis = outcome.result.diagnosis;
      emit(msg, outcome.result, send);
      status.set(progress);
      done();
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const read = waveformFromMessage(msg as WaveformMessage, settings, Date.now);
      if (!read.ok) {
        reject(read.error.code, read.error.reason, done);
        return;
      }
      if (pool) {
        pool.analyze(read.waveform).then((outcome) => finish(msg, outcome, send, done), (err: Error) => {
          rejected++;
          status.set(STATUS.error(RED._('spectrum.status.workerFailed') + rejectedText()));
          done(err);
        });
        return;
      }
      const outcome = analyzer.analyze(read.waveform);
      finish(msg, outcome.ok ? { ok: true, result: resultOf(outcome.analysis, settings.chart) } : outcome, send, done);
    };

    // Worker threads load their own FFT module; only the flow's thread analyses through this one.
    onGuardedInput(node, pool ? handle : afterFftLoads(guarded(handle)));

    node.on('close', (_removed: boolean, done: () => void) => {
      status.cancel();
      if (pool) void pool.close().then(done, done);
      else done();
    });
  }

  RED.nodes.registerType('spectrum', SpectrumNode);
};
