import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { DriftDetector, type DriftEvent, type DriftReport } from './lib/ml/drift';
import { driftSettingsFromConfig, type DriftDetectConfig, type DriftSettings } from './lib/ml/drift-config';
import { userDirOf } from './lib/ml/infer-config';
import { FeatureIndex } from './lib/ml/infer-features';
import { ModelRegistry } from './lib/ml/registry';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

interface Watch {
  detector: DriftDetector;
  index: FeatureIndex;
  model?: { name: string; version: number };
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
    const drifted = new Set<string>();
    const counts = { bad: 0, waiting: 0, events: 0 };
    let watch: Watch | undefined;
    let problem: PdmError | undefined;
    let loading = true;
    let ready: Promise<void> = Promise.resolve();
    let unsubscribe: (() => void) | undefined;
    let changed = false;
    const context = node.context();

    const source = settings.baseline;
    if (source.kind === 'learn') {
      const learned: Watch = { detector: new DriftDetector(settings.options, settings.features), index: new FeatureIndex(settings.features) };
      watch = learned;
      ready = new Promise<void>((resolve) => {
        context.get(CONTEXT_KEY, (err: Error | undefined, saved: unknown) => {
          if (err) node.warn(RED._('drift-detect.errors.restore', { reason: describeError(err) }));
          else learned.detector.restore(saved);
          loading = false;
          resolve();
        });
      });
    } else {
      const registry = new ModelRegistry(source.dir);
      const load = async (): Promise<void> => {
        const meta = await registry.live(source.name);
        if (!meta) {
          problem = new PdmError('INVALID_CONFIG', RED._('drift-detect.errors.noLive', { model: source.name, dir: registry.dir }));
          return;
        }
        if (meta.version === watch?.model?.version) return;
        if (!meta.baseline) throw new PdmError('INVALID_CONFIG', RED._('drift-detect.errors.noBaseline', { model: `${meta.name} v${meta.version}` }));
        const features = settings.features.length > 0 ? settings.features : meta.features;
        watch = { detector: new DriftDetector(settings.options, features, meta.baseline), index: new FeatureIndex(features), model: { name: meta.name, version: meta.version } };
        drifted.clear();
        problem = undefined;
        node.log(RED._('drift-detect.log.baseline', { model: `${meta.name} v${meta.version}` }));
      };
      const reload = (): Promise<void> => {
        ready = ready.then(load).catch((err: unknown) => {
          problem = err instanceof PdmError ? err : new PdmError('INVALID_CONFIG', describeError(err), { cause: err });
          node.error(RED._('drift-detect.errors.load', { reason: problem.message }));
        }).finally(() => {
          loading = false;
          refreshStatus();
        });
        return ready;
      };
      void reload();
      unsubscribe = registry.onChange((name) => {
        if (name === source.name) void reload();
      });
    }

    const reportMessage = (r: DriftReport, w: Watch): NodeMessage => {
      const payload: DriftEvent = { asset: r.asset, ts: r.ts, baseline: r.baseline, features: r.features, drifted: r.drifted, model: w.model };
      return { _msgid: RED.util.generateId(), topic: r.asset, payload } as NodeMessage;
    };

    const retrainMessage = (r: DriftReport, w: Watch): NodeMessage => ({
      _msgid: RED.util.generateId(),
      topic: 'retrain',
      payload: { asset: r.asset, ts: r.ts, model: w.model, features: r.features.filter((f) => f.drifted).map((f) => f.feature), reason: 'drift' },
    } as NodeMessage);

    const evaluate = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const w = watch;
      if (!w) {
        counts.bad++;
        done(problem ?? new PdmError('INVALID_CONFIG', RED._('drift-detect.errors.noBaselineYet')));
        return;
      }
      const parsed = w.index.parse(msg.payload, msg.topic, Date.now());
      if (parsed.values.length > 0 || parsed.vectors.length > 0) changed = true;
      for (const v of parsed.values) w.detector.add(v.asset, v.sensor, v.value, v.ts);
      for (const vec of parsed.vectors) {
        vec.values.forEach((value, i) => w.detector.add(vec.asset, w.index.features[i], value, vec.ts));
      }
      const reports = w.detector.takeReports();
      const retrain: NodeMessage[] = [];
      for (const r of reports) {
        if (r.drifted) drifted.add(r.asset);
        else drifted.delete(r.asset);
        if (r.started) {
          counts.events++;
          retrain.push(retrainMessage(r, w));
        }
      }
      if (reports.length > 0) {
        const messages = reports.map((r) => reportMessage(r, w));
        if (messages.length === 1) {
          const out = msg as NodeMessage;
          out.topic = messages[0].topic;
          out.payload = messages[0].payload;
          messages[0] = out;
        }
        send([messages, retrain]);
      }
      if (parsed.error) counts.bad++;
      done(parsed.error);
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      if (!loading) {
        evaluate(msg, send, done);
        return;
      }
      if (counts.waiting >= MAX_WAITING) {
        counts.bad++;
        done(new PdmError('INVALID_CONFIG', RED._('drift-detect.errors.noBaselineYet'), { retriable: true }));
        return;
      }
      counts.waiting++;
      void ready.then(() => {
        counts.waiting--;
        try {
          evaluate(msg, send, done);
        } catch (err) {
          done(err instanceof Error ? err : new Error(describeError(err)));
        }
      });
    };

    function refreshStatus(): void {
      if (!watch) {
        if (loading) status.set(STATUS.connecting(RED._('drift-detect.status.loading')));
        else status.set(STATUS.error(RED._('drift-detect.status.noBaseline')));
        return;
      }
      const bad = counts.bad > 0 ? RED._('drift-detect.status.bad', { count: compactCount(counts.bad) }) : '';
      const base = watch.model ? `${watch.model.name} v${watch.model.version}` : RED._('drift-detect.status.learned');
      const text = RED._('drift-detect.status.running', { assets: compactCount(watch.detector.assetCount), drifted: compactCount(drifted.size), baseline: base }) + bad;
      status.set(watch.detector.assetCount === 0 ? STATUS.idle(text) : STATUS.ok(text));
    }

    /** Saves learned baselines (a model baseline lives in the registry). */
    const save = (then?: () => void): void => {
      if (source.kind !== 'learn' || !watch || !changed) {
        then?.();
        return;
      }
      changed = false;
      context.set(CONTEXT_KEY, watch.detector.persist(), (err?: Error) => {
        if (err) node.warn(RED._('drift-detect.errors.save', { reason: describeError(err) }));
        then?.();
      });
    };

    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);
    const saveTimer = source.kind === 'learn' ? setInterval(() => save(), SAVE_PERIOD_MS) : undefined;
    refreshStatus();
    onGuardedInput(node, handle);

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (saveTimer) clearInterval(saveTimer);
      status.cancel();
      unsubscribe?.();
      if (removed && source.kind === 'learn') context.set(CONTEXT_KEY, undefined, () => done());
      else save(done);
    });
  }

  RED.nodes.registerType('drift-detect', DriftDetectNode);
};
