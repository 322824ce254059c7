import type { Node, NodeAPI, NodeContext, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { detectPayload, type DetectionResult, type Emission } from './lib/anomaly/batch';
import { settingsFromConfig, type AnomalyDetectConfig, type NodeSettings } from './lib/anomaly/config';
import { AnomalyDetector } from './lib/anomaly/detector';
import { assetOf, exportAsset, importSnapshot, isSnapshotPayload, parseSnapshot } from './lib/anomaly/handover';
import { MultivariateDetector } from './lib/anomaly/multivariate-detector';
import { describeError, PdmError } from './lib/errors';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type AnomalyDetectDef = NodeDef & AnomalyDetectConfig;
type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

/** Context key under which the baselines of all keys are kept, as { [key]: state }. */
const CONTEXT_KEY = 'anomalyBaselines';
/** Context key of the multivariate models and learning baselines (a MultivariateStore), in the same store. */
const MV_CONTEXT_KEY = 'anomalyMultivariate';
const CONTEXT_KEYS = [CONTEXT_KEY, MV_CONTEXT_KEY];
const STATUS_PERIOD_MS = 1000;
const MAX_BATCH = 100_000;
/** Baselines written per turn of the event loop while saving (about a millisecond's work). */
const SAVE_SLICE_KEYS = 100;
const SAVE_RETRY_MS = 50;

export = function register(RED: NodeAPI): void {
  function AnomalyDetectNode(this: Node, config: AnomalyDetectDef): void {
    RED.nodes.createNode(this, config);
    let settings: NodeSettings;
    let detector: AnomalyDetector;
    let multivariate: MultivariateDetector | undefined;
    try {
      settings = settingsFromConfig(config);
      detector = new AnomalyDetector(settings.detector);
      multivariate = settings.multivariate && new MultivariateDetector(settings.multivariate);
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('anomaly-detect.errors.config', { reason }));
      this.status(STATUS.error(RED._('anomaly-detect.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, settings, detector, multivariate);
  }

  function start(node: Node, settings: NodeSettings, detector: AnomalyDetector, multivariate: MultivariateDetector | undefined): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const context: NodeContext = node.context();
    const { store } = settings;
    let saved: Record<string, unknown> = {};
    /** `saved` changed other than through the detector (a hand-over or a restored snapshot). */
    let savedChanged = false;
    let bad = 0;

    // With several keys the runtime passes one value per key as separate arguments.
    const loaded = (err: Error | undefined, value: unknown, models: unknown): void => {
      if (err) {
        node.warn(RED._('anomaly-detect.errors.load', { reason: describeError(err) }));
        return;
      }
      if (typeof value === 'object' && value !== null) {
        saved = value as Record<string, unknown>;
        detector.restore(saved);
      }
      multivariate?.restore(models);
      if (multivariate && multivariate.discarded > 0) {
        node.warn(RED._('anomaly-detect.errors.modelsDropped', { count: multivariate.discarded }));
      }
    };
    context.get(CONTEXT_KEYS, store as string, loaded as unknown as (err: Error, values: unknown[]) => void);

    // A save writes the changed baselines a slice at a time, yielding to the readings in between,
    // and hands them to the context store once all are written. One save runs at a time.
    let saving = false;
    let forgotten = false;
    const save = (then?: () => void): void => {
      if (saving) {
        if (then) setTimeout(() => save(then), SAVE_RETRY_MS);
        return;
      }
      saving = true;
      // The keys changed by now; those changed while saving wait for the next save.
      let remaining = detector.dirtyCount;
      let changed = 0;
      const finish = (): void => {
        saving = false;
        then?.();
      };
      const slice = (): void => {
        if (forgotten) {
          finish();
          return;
        }
        const taken = detector.persist(saved, Math.min(SAVE_SLICE_KEYS, remaining));
        changed += taken;
        remaining -= taken;
        if (remaining > 0 && taken > 0) {
          setImmediate(slice);
          return;
        }
        const models = multivariate?.persist();
        if (changed === 0 && models === undefined && !savedChanged) {
          finish();
          return;
        }
        savedChanged = false;
        const keys = models === undefined ? [CONTEXT_KEY] : CONTEXT_KEYS;
        const values = models === undefined ? [saved] : [saved, models];
        context.set(keys, values, store as string, (err?: Error) => {
          if (err) node.warn(RED._('anomaly-detect.errors.save', { reason: describeError(err) }));
          finish();
        });
      };
      slice();
    };

    const eventMessage = (e: Emission): NodeMessage =>
      ({ _msgid: RED.util.generateId(), topic: e.meta.key, payload: e.event, anomaly: e.meta }) as NodeMessage;

    const eventsOut = (msg: NodeMessageInFlow, result: DetectionResult): NodeMessage | NodeMessage[] | null => {
      const { events } = result;
      if (events.length === 0) return null;
      if (settings.batchEvents && result.batch) {
        return { _msgid: RED.util.generateId(), payload: events.map((e) => e.event), anomaly: { events: events.map((e) => e.meta) } } as NodeMessage;
      }
      if (!result.batch && events.length === 1 && result.passed.length === 0) {
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

    /** A rebalance took the key's partition away: its asset's state leaves on output 3, for its new owner. */
    const handOver = (key: string, send: Send, done: Done): void => {
      const asset = assetOf(key);
      const snapshot = exportAsset(detector, asset, node.id, Date.now());
      if (snapshot !== undefined) {
        for (const k of Object.keys(snapshot.keys)) delete saved[k];
        savedChanged = true;
        send([null, null, { _msgid: RED.util.generateId(), topic: asset, payload: snapshot } as NodeMessage]);
      }
      done();
    };

    const restoreSnapshots = (payload: unknown, done: Done): void => {
      let failure: Error | undefined;
      for (const item of Array.isArray(payload) ? payload : [payload]) {
        try {
          const snapshot = parseSnapshot(item);
          for (const key of importSnapshot(detector, snapshot).restored) saved[key] = snapshot.keys[key];
          savedChanged = true;
        } catch (err) {
          bad++;
          failure ??= err instanceof Error ? err : new Error(describeError(err));
        }
      }
      done(failure);
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      if (typeof msg.flush === 'string' && msg.flush !== '') {
        handOver(msg.flush, send, done);
        return;
      }
      if (isSnapshotPayload(msg.payload)) {
        restoreSnapshots(msg.payload, done);
        return;
      }
      const total = Array.isArray(msg.payload) ? msg.payload.length : 1;
      const result = detectPayload(detector, msg.payload, msg.topic, { features: settings.features, maxBatch: MAX_BATCH, multivariate });
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
        const firing = detector.firingCount + (multivariate?.firingCount ?? 0);
        let text = RED._('anomaly-detect.status.running', { keys: compactCount(keys), firing: compactCount(firing) });
        if (detector.warmingCount > 0) text += RED._('anomaly-detect.status.warmingSome', { count: compactCount(detector.warmingCount) });
        if (multivariate && multivariate.learningCount > 0) {
          text += RED._('anomaly-detect.status.learning', { count: compactCount(multivariate.learningCount) });
        }
        status.set(STATUS.ok(text + badText));
      }
    };

    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);
    const saveTimer = settings.persistIntervalMs > 0 ? setInterval(() => save(), settings.persistIntervalMs) : undefined;
    refreshStatus();

    onGuardedInput(node, handle);

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (saveTimer) clearInterval(saveTimer);
      status.cancel();
      forgotten = removed;
      if (removed) context.set(CONTEXT_KEYS, [undefined, undefined], store as string, () => done());
      else save(done);
    });
  }

  RED.nodes.registerType('anomaly-detect', AnomalyDetectNode);
};
