import type { Node, NodeAPI, NodeContext, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { detectPayload, type DetectionResult, type Emission } from './lib/anomaly/batch';
import { settingsFromConfig, type AnomalyDetectConfig, type NodeSettings } from './lib/anomaly/config';
import { AnomalyDetector } from './lib/anomaly/detector';
import { describeError, PdmError } from './lib/errors';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';

type AnomalyDetectDef = NodeDef & AnomalyDetectConfig;
type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

/** Context key under which the baselines of all keys are kept, as { [key]: state }. */
const CONTEXT_KEY = 'anomalyBaselines';
const STATUS_PERIOD_MS = 1000;
const MAX_BATCH = 100_000;

export = function register(RED: NodeAPI): void {
  function AnomalyDetectNode(this: Node, config: AnomalyDetectDef): void {
    RED.nodes.createNode(this, config);
    let settings: NodeSettings;
    let detector: AnomalyDetector;
    try {
      settings = settingsFromConfig(config);
      detector = new AnomalyDetector(settings.detector);
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('anomaly-detect.errors.config', { reason }));
      this.status(STATUS.error(RED._('anomaly-detect.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, settings, detector);
  }

  function start(node: Node, settings: NodeSettings, detector: AnomalyDetector): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const context: NodeContext = node.context();
    const { store } = settings;
    let saved: Record<string, unknown> = {};
    let bad = 0;

    context.get(CONTEXT_KEY, store as string, (err: Error | undefined, value: unknown) => {
      if (err) node.warn(RED._('anomaly-detect.errors.load', { reason: describeError(err) }));
      else if (typeof value === 'object' && value !== null) {
        saved = value as Record<string, unknown>;
        detector.restore(saved);
      }
    });

    const save = (then?: () => void): void => {
      if (detector.persist(saved) === 0) {
        then?.();
        return;
      }
      context.set(CONTEXT_KEY, saved, store as string, (err?: Error) => {
        if (err) node.warn(RED._('anomaly-detect.errors.save', { reason: describeError(err) }));
        then?.();
      });
    };

    const eventMessage = (e: Emission): NodeMessage =>
      ({ _msgid: RED.util.generateId(), topic: e.meta.key, payload: e.event, anomaly: e.meta }) as NodeMessage;

    const eventsOut = (msg: NodeMessageInFlow, result: DetectionResult): NodeMessage | NodeMessage[] | null => {
      const { events } = result;
      if (events.length === 0) return null;
      if (settings.batchEvents && result.batch) {
        return { _msgid: RED.util.generateId(), payload: events.map((e) => e.event), anomaly: { events: events.map((e) => e.meta) } } as NodeMessage;
      }
      if (!result.batch && events.length === 1) {
        const out = msg as NodeMessage & Record<string, unknown>;
        out.topic = events[0].meta.key;
        out.payload = events[0].event;
        out.anomaly = events[0].meta;
        return out;
      }
      return events.map(eventMessage);
    };

    const normalOut = (msg: NodeMessageInFlow, result: DetectionResult): NodeMessage | null => {
      if (!settings.passNormal || result.passed.length === 0) return null;
      const out = msg as NodeMessage & Record<string, unknown>;
      if (result.batch) {
        out.payload = result.passed;
        out.anomaly = { scores: result.scores };
      } else {
        out.anomaly = { key: result.key, score: result.scores[0], firing: result.firing, warmingUp: result.warmingUp };
      }
      return out;
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const total = Array.isArray(msg.payload) ? msg.payload.length : 1;
      const result = detectPayload(detector, msg.payload, msg.topic, { features: settings.features, maxBatch: MAX_BATCH });
      const events = eventsOut(msg, result);
      const normal = normalOut(msg, result);
      if (events !== null || normal !== null) send([events, normal]);
      if (result.rejectedCount === 0) {
        done();
        return;
      }
      bad += result.rejectedCount;
      const first = result.rejected[0];
      if (!result.batch) {
        done(new PdmError(first.code, first.reason));
        return;
      }
      (msg as NodeMessage & { anomaly?: Record<string, unknown> }).anomaly = {
        ...(normal === null ? {} : (normal as NodeMessage & { anomaly?: object }).anomaly),
        rejected: result.rejected,
      };
      done(new PdmError(first.code, RED._('anomaly-detect.errors.batch', {
        count: result.rejectedCount, total, index: first.index, reason: first.reason,
      })));
    };

    const refreshStatus = (): void => {
      const keys = detector.keyCount;
      const badText = bad > 0 ? RED._('anomaly-detect.status.bad', { count: compactCount(bad) }) : '';
      if (detector.keyLimitHits > 0 && keys >= detector.config.maxKeys) {
        status.set(STATUS.error(RED._('anomaly-detect.status.keyLimit', { max: compactCount(detector.config.maxKeys) }) + badText));
      } else if (keys === 0) {
        status.set(STATUS.idle(RED._('anomaly-detect.status.idle') + badText));
      } else if (!detector.anyReady) {
        status.set(STATUS.connecting(RED._('anomaly-detect.status.warming', { keys: compactCount(keys) }) + badText));
      } else {
        let text = RED._('anomaly-detect.status.running', { keys: compactCount(keys), firing: compactCount(detector.firingCount) });
        if (detector.warmingCount > 0) text += RED._('anomaly-detect.status.warmingSome', { count: compactCount(detector.warmingCount) });
        status.set(STATUS.ok(text + badText));
      }
    };

    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);
    const saveTimer = settings.persistIntervalMs > 0 ? setInterval(() => save(), settings.persistIntervalMs) : undefined;
    refreshStatus();

    node.on('input', (msg, send, done) => {
      try {
        handle(msg, send as Send, done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(describeError(err)));
      }
    });

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (saveTimer) clearInterval(saveTimer);
      status.cancel();
      if (removed) context.set(CONTEXT_KEY, undefined, store as string, () => done());
      else save(done);
    });
  }

  RED.nodes.registerType('anomaly-detect', AnomalyDetectNode);
};
