import type { Node, NodeAPI, NodeContext, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { healthOptionsFromConfig, type HealthScoreConfig } from './lib/health/config';
import { feed } from './lib/health/input';
import { HealthTracker, type HealthReport } from './lib/health/tracker';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type HealthScoreDef = NodeDef & HealthScoreConfig;
type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[]>) => void;
type Done = (err?: Error) => void;

/** Context key of the per-asset state, as { [asset]: SavedAsset }. */
const CONTEXT_KEY = 'healthAssets';
const STATUS_PERIOD_MS = 1000;
const DEFAULT_PERSIST_S = 60;

export = function register(RED: NodeAPI): void {
  function HealthScoreNode(this: Node, config: HealthScoreDef): void {
    RED.nodes.createNode(this, config);
    let tracker: HealthTracker;
    let persistMs: number;
    try {
      tracker = new HealthTracker(healthOptionsFromConfig(config));
      const seconds = config.persistInterval === undefined || config.persistInterval === '' ? DEFAULT_PERSIST_S : Number(config.persistInterval);
      if (!Number.isFinite(seconds) || seconds < 0) throw new PdmError('INVALID_CONFIG', `persist interval must be ≥ 0 s, got ${String(config.persistInterval)}`);
      persistMs = seconds * 1000;
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('health-score.errors.config', { reason }));
      this.status(STATUS.error(RED._('health-score.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, tracker, persistMs);
  }

  function start(node: Node, tracker: HealthTracker, persistMs: number): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const context: NodeContext = node.context();
    const latest = new Map<string, HealthReport>();
    let bad = 0;
    let changed = false;

    context.get(CONTEXT_KEY, (err: Error | undefined, saved: unknown) => {
      if (err) node.warn(RED._('health-score.errors.load', { reason: describeError(err) }));
      else tracker.restore(saved);
    });

    const save = (then?: () => void): void => {
      if (!changed) {
        then?.();
        return;
      }
      changed = false;
      context.set(CONTEXT_KEY, tracker.persist(), (err?: Error) => {
        if (err) node.warn(RED._('health-score.errors.save', { reason: describeError(err) }));
        then?.();
      });
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const result = feed(tracker, msg.payload, (msg as NodeMessageInFlow & { anomaly?: unknown }).anomaly);
      if (result.used > 0) changed = true;
      const reports = tracker.reports();
      for (const r of reports) latest.set(r.asset, r);
      if (reports.length === 1) {
        const out = msg as NodeMessage;
        out.topic = reports[0].asset;
        out.payload = reports[0];
        send(out);
      } else if (reports.length > 1) {
        // One output: an array inside the array sends all of them on it.
        send([reports.map((r) => ({ _msgid: RED.util.generateId(), topic: r.asset, payload: r }) as NodeMessage)]);
      }
      if (result.error) {
        bad += result.bad;
        done(result.error);
      } else done();
    };

    const refreshStatus = (): void => {
      const badText = bad > 0 ? RED._('health-score.status.bad', { count: compactCount(bad) }) : '';
      if (tracker.assetCount === 0) {
        status.set(STATUS.idle(RED._('health-score.status.idle') + badText));
        return;
      }
      let attention = 0;
      let critical = 0;
      for (const r of latest.values()) {
        if (r.status === 'attention') attention++;
        else if (r.status === 'critical') critical++;
      }
      const text = RED._('health-score.status.running', {
        assets: compactCount(tracker.assetCount), attention: compactCount(attention), critical: compactCount(critical),
      }) + badText;
      status.set(STATUS.ok(text));
    };

    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);
    const saveTimer = persistMs > 0 ? setInterval(() => save(), persistMs) : undefined;
    refreshStatus();

    onGuardedInput(node, handle);

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (saveTimer) clearInterval(saveTimer);
      status.cancel();
      if (removed) context.set(CONTEXT_KEY, undefined, () => done());
      else save(done);
    });
  }

  RED.nodes.registerType('health-score', HealthScoreNode);
};
