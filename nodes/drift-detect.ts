import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { DriftDetector, type DriftEvent, type DriftReport } from './lib/ml/drift';
import { LiveBaseline, type BaselineEvents, type DriftWatch } from './lib/ml/drift-baseline';
import { driftSettingsFromConfig, type DriftDetectConfig, type DriftSettings } from './lib/ml/drift-config';
import { AssetPool, payloadByAsset } from './lib/ml/infer-assets';
import { userDirOf } from './lib/ml/infer-config';
import { FeatureIndex } from './lib/ml/infer-features';
import { ModelRegistry } from './lib/ml/registry';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

/** What one message gave: reports with the watch that made each, and parts of assets without a model. */
interface Outcome {
  reports: Array<{ report: DriftReport; watch: DriftWatch }>;
  noModel: Array<{ asset: string; part: unknown }>;
  error?: Error;
}

const STATUS_PERIOD_MS = 1000;
const MAX_WAITING = 10_000;
/** Context key of the learned baselines, as { [asset]: SavedDriftAsset }. */
const CONTEXT_KEY = 'driftAssets';
const SAVE_PERIOD_MS = 60_000;

export = function register(RED: NodeAPI): void {
  function DriftDetectNode(this: Node, config: NodeDef & DriftDetectConfig): void {
    RED.nodes.createNode(this, config);
    let settings: DriftSettings;
    try {
      settings = driftSettingsFromConfig(config, userDirOf(RED.settings as { userDir?: string }));
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('drift-detect.errors.config', { reason }));
      this.status(STATUS.error(RED._('drift-detect.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, settings);
  }

  function start(node: Node, settings: DriftSettings): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const counts = { bad: 0, waiting: 0 };
    const context = node.context();
    const source = settings.baseline;
    let learned: DriftWatch | undefined;
    let single: LiveBaseline | undefined;
    let perAsset: AssetPool<LiveBaseline> | undefined;
    /** Settles when the learned baselines are restored. */
    let restored: Promise<void> = Promise.resolve();
    let restoring = false;
    let changed = false;

    const baselineEvents: BaselineEvents = {
      loaded: (model) => {
        node.log(RED._('drift-detect.log.baseline', { model: `${model.name} v${model.version}` }));
        refreshStatus();
      },
      failed: (err) => {
        node.error(RED._('drift-detect.errors.load', { reason: err.message }));
        refreshStatus();
      },
    };
    const baselineSettings = { features: settings.features, options: settings.options };

    if (source.kind === 'learn') {
      const watch: DriftWatch = { detector: new DriftDetector(settings.options, settings.features), index: new FeatureIndex(settings.features) };
      learned = watch;
      restoring = true;
      restored = new Promise<void>((resolve) => {
        context.get(CONTEXT_KEY, (err: Error | undefined, saved: unknown) => {
          if (err) node.warn(RED._('drift-detect.errors.restore', { reason: describeError(err) }));
          else watch.detector.restore(saved);
          restoring = false;
          resolve();
        });
      });
    } else if (source.kind === 'model') {
      single = new LiveBaseline(new ModelRegistry(source.dir), source.name, baselineSettings, baselineEvents);
    } else {
      const registry = new ModelRegistry(source.dir);
      perAsset = new AssetPool(source, (asset) => new LiveBaseline(registry, asset, baselineSettings, baselineEvents));
    }

    /** Adds a payload's values to a detector and collects the reports that fall due. */
    const feed = (watch: DriftWatch, payload: unknown, topic: unknown, outcome: Outcome): void => {
      const parsed = watch.index.parse(payload, topic, Date.now());
      if (parsed.values.length > 0 || parsed.vectors.length > 0) changed = true;
      for (const v of parsed.values) watch.detector.add(v.asset, v.sensor, v.value, v.ts);
      for (const vec of parsed.vectors) {
        vec.values.forEach((value, i) => watch.detector.add(vec.asset, watch.index.features[i], value, vec.ts));
      }
      for (const report of watch.detector.takeReports()) outcome.reports.push({ report, watch });
      if (parsed.error) outcome.error ??= parsed.error;
    };

    const reportMessage = (r: DriftReport, w: DriftWatch): NodeMessage => {
      const payload: DriftEvent = { asset: r.asset, ts: r.ts, baseline: r.baseline, features: r.features, drifted: r.drifted, model: w.model };
      return { _msgid: RED.util.generateId(), topic: r.asset, payload } as NodeMessage;
    };

    const retrainMessage = (r: DriftReport, w: DriftWatch): NodeMessage => ({
      _msgid: RED.util.generateId(),
      topic: 'retrain',
      payload: { asset: r.asset, ts: r.ts, model: w.model, features: r.features.filter((f) => f.drifted).map((f) => f.feature), reason: 'drift' },
    } as NodeMessage);

    /** Sends the reports (a single one in the input message), retrain events and the parts without a model. */
    const emit = (msg: NodeMessageInFlow, send: Send, done: Done, outcome: Outcome): void => {
      const reports = outcome.reports.map(({ report, watch }) => reportMessage(report, watch));
      const retrain = outcome.reports.filter(({ report }) => report.started).map(({ report, watch }) => retrainMessage(report, watch));
      let inputUsed = false;
      if (reports.length === 1) {
        const out = msg as NodeMessage;
        out.topic = reports[0].topic;
        out.payload = reports[0].payload;
        reports[0] = out;
        inputUsed = true;
      }
      let withoutModel: NodeMessage | null = null;
      if (outcome.noModel.length > 0) {
        const assets = outcome.noModel.map((n) => n.asset);
        withoutModel = inputUsed ? RED.util.cloneMessage(msg) : msg;
        // Several parts only come from an array payload, split into arrays per asset.
        withoutModel.payload = outcome.noModel.length === 1 ? outcome.noModel[0].part : outcome.noModel.flatMap((n) => n.part as unknown[]);
        (withoutModel as NodeMessage & { error?: unknown }).error = { message: RED._('drift-detect.errors.noModel', { assets: assets.join(', ') }), assets };
      }
      if (perAsset) {
        if (reports.length > 0 || withoutModel) send([reports, retrain, withoutModel]);
      } else if (reports.length > 0) {
        send([reports, retrain]);
      }
      if (outcome.error) counts.bad++;
      done(outcome.error);
    };

    const fail = (done: Done, err: unknown): void => {
      counts.bad++;
      done(err instanceof Error ? err : new Error(describeError(err)));
    };

    /** Runs `then` once `pending` settles, unless too many messages wait already. */
    const wait = (pending: Promise<unknown>, done: Done, then: () => void): void => {
      if (counts.waiting >= MAX_WAITING) {
        fail(done, new PdmError('INVALID_CONFIG', RED._('drift-detect.errors.noBaselineYet'), { retriable: true }));
        return;
      }
      counts.waiting++;
      void pending.then(() => {
        counts.waiting--;
        try {
          then();
        } catch (err) {
          fail(done, err);
        }
      });
    };

    /** The whole message against one detector. */
    const evaluate = (watch: DriftWatch, msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const outcome: Outcome = { reports: [], noModel: [] };
      feed(watch, msg.payload, msg.topic, outcome);
      emit(msg, send, done, outcome);
    };

    const handleLearned = (watch: DriftWatch, msg: NodeMessageInFlow, send: Send, done: Done): void => {
      if (restoring) {
        wait(restored, done, () => handleLearned(watch, msg, send, done));
        return;
      }
      evaluate(watch, msg, send, done);
    };

    /** A message that arrives while the registry is read waits for it, as in handlePerAsset. */
    const handleSingle = (baseline: LiveBaseline, msg: NodeMessageInFlow, send: Send, done: Done, waited = false): void => {
      if (baseline.reloading && !waited) {
        wait(baseline.settled(), done, () => handleSingle(baseline, msg, send, done, true));
        return;
      }
      const watch = baseline.current;
      if (!watch) {
        fail(done, baseline.unavailable());
        return;
      }
      evaluate(watch, msg, send, done);
    };

    /**
     * Each asset's part against its own model's baseline. A baseline being read from the registry
     * is waited for, so that what follows a promotion is tested against the new version.
     */
    const handlePerAsset = (pool: AssetPool<LiveBaseline>, msg: NodeMessageInFlow, send: Send, done: Done, waited = false): void => {
      const outcome: Outcome = { reports: [], noModel: [] };
      const parts: Array<{ asset: string; part: unknown; baseline: LiveBaseline }> = [];
      const now = Date.now();
      for (const [asset, part] of payloadByAsset(msg.payload, msg.topic)) {
        try {
          parts.push({ asset, part, baseline: pool.get(asset, now) });
        } catch (err) {
          outcome.error ??= err instanceof Error ? err : new Error(describeError(err));
        }
      }
      const loading = parts.filter((p) => p.baseline.reloading);
      if (loading.length > 0 && !waited) {
        wait(Promise.all(loading.map((p) => p.baseline.settled())), done, () => handlePerAsset(pool, msg, send, done, true));
        return;
      }
      for (const { asset, part, baseline } of parts) {
        if (baseline.current) feed(baseline.current, part, msg.topic, outcome);
        else if (baseline.state === 'waiting') outcome.noModel.push({ asset, part });
        else outcome.error ??= baseline.unavailable();
      }
      emit(msg, send, done, outcome);
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      try {
        if (learned) handleLearned(learned, msg, send, done);
        else if (single) handleSingle(single, msg, send, done);
        else if (perAsset) handlePerAsset(perAsset, msg, send, done);
      } catch (err) {
        fail(done, err);
      }
    };

    function refreshStatus(): void {
      const bad = counts.bad > 0 ? RED._('drift-detect.status.bad', { count: compactCount(counts.bad) }) : '';
      if (perAsset) {
        let assets = 0;
        let drifted = 0;
        let noModel = 0;
        for (const baseline of perAsset.items()) {
          if (baseline.current) {
            assets++;
            drifted += baseline.current.detector.driftedCount;
          } else if (baseline.state === 'waiting') {
            noModel++;
          }
        }
        let text = RED._('drift-detect.status.perAsset', { assets: compactCount(assets), drifted: compactCount(drifted) });
        if (noModel > 0) text += RED._('drift-detect.status.noModel', { count: compactCount(noModel) });
        if (perAsset.evicted > 0) text += RED._('drift-detect.status.evicted', { count: compactCount(perAsset.evicted) });
        if (counts.waiting > 0) status.set(STATUS.buffering(text + bad));
        else status.set(assets === 0 ? STATUS.idle(text + bad) : STATUS.ok(text + bad));
        return;
      }
      const watch = learned ?? single?.current;
      if (!watch) {
        if (single?.state === 'loading') status.set(STATUS.connecting(RED._('drift-detect.status.loading')));
        else status.set(STATUS.error(RED._('drift-detect.status.noBaseline')));
        return;
      }
      const base = watch.model ? `${watch.model.name} v${watch.model.version}` : RED._('drift-detect.status.learned');
      const text = RED._('drift-detect.status.running', { assets: compactCount(watch.detector.assetCount), drifted: compactCount(watch.detector.driftedCount), baseline: base }) + bad;
      status.set(watch.detector.assetCount === 0 ? STATUS.idle(text) : STATUS.ok(text));
    }

    /** Saves learned baselines (a model baseline lives in the registry). */
    const save = (then?: () => void): void => {
      if (!learned || !changed) {
        then?.();
        return;
      }
      changed = false;
      context.set(CONTEXT_KEY, learned.detector.persist(), (err?: Error) => {
        if (err) node.warn(RED._('drift-detect.errors.save', { reason: describeError(err) }));
        then?.();
      });
    };

    const statusTimer = setInterval(() => {
      perAsset?.sweep(Date.now()).catch((err: unknown) => node.warn(describeError(err)));
      refreshStatus();
    }, STATUS_PERIOD_MS);
    const saveTimer = learned ? setInterval(() => save(), SAVE_PERIOD_MS) : undefined;
    refreshStatus();
    onGuardedInput(node, handle);

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (saveTimer) clearInterval(saveTimer);
      status.cancel();
      const closing = perAsset?.close() ?? single?.close() ?? Promise.resolve();
      void closing
        .catch((err: unknown) => node.warn(describeError(err)))
        .finally(() => {
          if (removed && learned) context.set(CONTEXT_KEY, undefined, () => done());
          else save(done);
        });
    });
  }

  RED.nodes.registerType('drift-detect', DriftDetectNode);
};
