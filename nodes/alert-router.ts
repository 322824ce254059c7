import type { Node, NodeAPI, NodeContext, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { routerConfigFromEditor, type AlertRouterEditorConfig } from './lib/alerting/editor-config';
import { parseInput } from './lib/alerting/input';
import { SnapshotPersistence, SqlPersistence, type RouterPersistence } from './lib/alerting/persistence';
import { AlertRouter, type RouterSink } from './lib/alerting/router';
import type { Alert, AlertCommand, AlertCommandResult, AlertCommandTarget } from './lib/alerting/types';
import { describeError, PdmError } from './lib/errors';
import type { StorageProvider, StorageService } from './lib/storage/service';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type AlertRouterDef = NodeDef & AlertRouterEditorConfig & { db?: string; store?: string };
type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;
type RouterNode = Node & AlertCommandTarget;

const CONTEXT_KEY = 'alertRouter';
const STATUS_PERIOD_MS = 1000;
/** Changes are written this long after the first one that is not yet saved. */
const SAVE_DELAY_MS = 200;
/** Timed work that failed is tried again after this long. */
const TICK_RETRY_MS = 1000;
/** A failed save is tried again after this long. */
const SAVE_RETRY_MS = 5000;
/** How long a command from alert-ack waits for the saved alerts to load. */
const COMMAND_WAIT_MS = 10_000;
/** Messages held while the saved state loads; beyond this they are refused. */
const MAX_WAITING = 10_000;
const MAX_TIMER_MS = 3_600_000;
const CLOSE_BUDGET_MS = 10_000;

interface Waiting {
  msg: NodeMessageInFlow;
  send: Send;
  done: Done;
}

export = function register(RED: NodeAPI): void {
  function AlertRouterNode(this: RouterNode, config: AlertRouterDef): void {
    RED.nodes.createNode(this, config);
    let router: AlertRouter;
    const outputs: NodeMessage[][] = [];
    const sink: RouterSink = {
      notify: (output, n) => outputs[output].push({ _msgid: RED.util.generateId(), topic: `${n.receiver}/${n.groupKey}`, payload: n } as NodeMessage),
      change: (alert) => outputs[outputs.length - 1].push({ _msgid: RED.util.generateId(), topic: alert.key, payload: alert } as NodeMessage),
    };
    let storage: StorageService | undefined;
    try {
      const compiled = routerConfigFromEditor(config);
      for (let i = 0; i <= compiled.receiverNames.length; i++) outputs.push([]);
      router = new AlertRouter(compiled, sink, Date.now, `${this.id}:`);
      if (config.db) {
        storage = (RED.nodes.getNode(config.db) as (Node & StorageProvider) | null)?.storage;
        if (storage === undefined) throw new Error(RED._('alert-router.errors.noDb'));
      }
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('alert-router.errors.config', { reason }));
      this.status(STATUS.error(RED._('alert-router.status.config', { reason: reason.slice(0, 60) })));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      this.applyCommand = () => Promise.resolve({ ok: false, reason, alerts: [] });
      this.activeAlerts = () => [];
      this.findAlert = () => undefined;
      return;
    }
    start(this, config, router, outputs, storage);
  }

  function start(node: RouterNode, config: AlertRouterDef, router: AlertRouter, outputs: NodeMessage[][], storage: StorageService | undefined): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const context: NodeContext = node.context();
    const store = config.store ? config.store : undefined;
    let persistence: RouterPersistence | undefined;
    let ready = false;
    let closed = false;
    let loadError = '';
    let saveError = '';
    let bad = 0;
    let lastReason = '';
    let timer: NodeJS.Timeout | undefined;
    let armedAt = Infinity;
    const waiting: Waiting[] = [];
    const readyWaiters: Array<() => void> = [];

    /** Sends what the router produced, on the given send function. */
    const emit = (send: Send): void => {
      if (!outputs.some((list) => list.length > 0)) return;
      const msgs = outputs.map((list) => (list.length === 0 ? null : list.length === 1 ? list[0] : list.slice()));
      for (const list of outputs) list.length = 0;
      send(msgs);
    };
    const nodeSend: Send = (msgs) => node.send(msgs);

    // --- timer loop: one timeout, armed for the router's next due time -------------------------
    const arm = (at: number): void => {
      if (closed || !ready || (timer !== undefined && armedAt <= at)) return;
      if (timer !== undefined) clearTimeout(timer);
      armedAt = at;
      if (!Number.isFinite(at)) {
        timer = undefined;
        return;
      }
      timer = setTimeout(run, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    };
    const run = (): void => {
      timer = undefined;
      armedAt = Infinity;
      if (closed) return;
      let next: number;
      try {
        if (router.wakeAt <= Date.now()) router.tick();
        emit(nodeSend);
        if (router.changed) scheduleSave();
        next = router.wakeAt;
      } catch (err) {
        node.error(RED._('alert-router.errors.tick', { reason: describeError(err) }));
        next = Math.max(router.wakeAt, Date.now() + TICK_RETRY_MS);
      }
      arm(next);
    };
    router.onWake = arm;

    // --- persistence ---------------------------------------------------------------------------
    const unsaved = new Map<string, Alert>();
    let saveTimer: NodeJS.Timeout | undefined;
    let saving: Promise<void> | undefined;
    const save = async (): Promise<void> => {
      saveTimer = undefined;
      if (persistence === undefined || !ready) return;
      while (saving) await saving;
      for (const a of router.takeChanges()) unsaved.set(a.id, a);
      const alerts = [...unsaved.values()];
      const target = persistence;
      saving = target.save(alerts, router.state(), () => router.snapshot()).then(() => {
        for (const a of alerts) if (unsaved.get(a.id) === a) unsaved.delete(a.id);
        saveError = '';
      }, (err: unknown) => {
        if (saveError === '') node.warn(RED._('alert-router.errors.save', { reason: describeError(err) }));
        saveError = describeError(err);
        if (!closed) scheduleSave(SAVE_RETRY_MS);
      }).finally(() => {
        saving = undefined;
      });
      await saving;
    };
    const scheduleSave = (delay = SAVE_DELAY_MS): void => {
      if (saveTimer === undefined && !closed) saveTimer = setTimeout(() => void save(), delay);
    };

    const becomeReady = (): void => {
      ready = true;
      for (const w of waiting.splice(0)) handle(w.msg, w.send, w.done);
      for (const wake of readyWaiters.splice(0)) wake();
      arm(router.wakeAt);
      refreshStatus();
    };
    const load = async (p: RouterPersistence): Promise<void> => {
      persistence = p;
      try {
        const saved = await p.load();
        if (closed) return;
        if (saved) router.restore(saved);
        loadError = '';
      } catch (err) {
        loadError = describeError(err);
        node.warn(RED._('alert-router.errors.load', { reason: loadError }));
      }
      if (!closed) becomeReady();
    };

    let unregister: (() => void) | undefined;
    if (storage) {
      const service = storage;
      unregister = service.register((event) => {
        if (event.state === 'connected' && persistence === undefined && service.schema !== undefined) {
          void load(new SqlPersistence((text, values) => service.query(text, values), service.schema, node.id));
        }
        refreshStatus();
      });
    } else {
      void load(new SnapshotPersistence({
        get: () => new Promise((resolve, reject) => context.get(CONTEXT_KEY, store as string, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value)))),
        set: (value) => new Promise((resolve, reject) => context.set(CONTEXT_KEY, value, store as string, (err?: Error) => (err ? reject(err) : resolve()))),
      }));
    }

    // --- input ---------------------------------------------------------------------------------
    function handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
      if (!ready) {
        if (waiting.length >= MAX_WAITING) {
          bad++;
          done(new PdmError('DB_UNAVAILABLE', RED._('alert-router.errors.notReady'), { retriable: true }));
        } else waiting.push({ msg, send, done });
        return;
      }
      const parsed = parseInput(msg.payload, (msg as NodeMessageInFlow & { anomaly?: unknown }).anomaly);
      const reasons = parsed.rejected;
      for (const item of parsed.items) {
        if (item.kind === 'event') router.ingest(item.event);
        else {
          const result = router.applyCommand({ via: 'message', ...item.command });
          if (!result.ok) reasons.push(result.reason ?? item.command.action);
        }
      }
      router.flushChanges();
      emit(send);
      if (router.changed) scheduleSave();
      if (reasons.length > 0) {
        bad += reasons.length;
        lastReason = reasons[0];
        done(new PdmError('INVALID_PAYLOAD', reasons.join('; ')));
      } else done();
    }
    onGuardedInput(node, handle);

    // --- what alert-ack nodes call -------------------------------------------------------------
    node.applyCommand = async (command: AlertCommand): Promise<AlertCommandResult> => {
      if (closed) return { ok: false, reason: RED._('alert-router.errors.closed'), alerts: [] };
      if (!ready) {
        let timeout: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          readyWaiters.push(resolve);
          timeout = setTimeout(resolve, COMMAND_WAIT_MS);
        });
        clearTimeout(timeout);
        if (!ready || closed) return { ok: false, reason: RED._('alert-router.errors.notLoaded'), alerts: [] };
      }
      const result = router.applyCommand(command);
      emit(nodeSend);
      if (router.changed) scheduleSave();
      return result;
    };
    node.activeAlerts = () => router.activeAlerts();
    node.findAlert = (id: string) => router.findAlert(id);

    // --- status --------------------------------------------------------------------------------
    function refreshStatus(): void {
      if (closed) return;
      const badText = bad > 0 ? RED._('alert-router.status.bad', { count: compactCount(bad), reason: lastReason.slice(0, 40) }) : '';
      if (!ready) {
        const detail = storage?.current.detail;
        status.set(STATUS.connecting(RED._('alert-router.status.loading') + (detail ? ` (${detail.slice(0, 40)})` : '')));
        return;
      }
      const problem = saveError || loadError;
      if (problem) {
        status.set(STATUS.error(RED._('alert-router.status.storage', { reason: problem.slice(0, 40) })));
        return;
      }
      const alerts = router.activeAlerts();
      const count = (state: string): string => compactCount(alerts.filter((a) => a.state === state).length);
      const text = RED._('alert-router.status.running', {
        active: compactCount(alerts.length), firing: count('firing'), acknowledged: count('acknowledged'), suppressed: count('suppressed'),
      }) + badText;
      status.set(alerts.length === 0 ? STATUS.idle(text) : STATUS.ok(text));
    }
    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);
    refreshStatus();

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (timer !== undefined) clearTimeout(timer);
      if (saveTimer !== undefined) clearTimeout(saveTimer);
      status.cancel();
      for (const w of waiting.splice(0)) w.done(new PdmError('DB_UNAVAILABLE', RED._('alert-router.errors.closed'), { retriable: true }));
      const finish = (): void => {
        closed = true;
        unregister?.();
        done();
      };
      if (removed && storage === undefined) {
        closed = true;
        context.set(CONTEXT_KEY, undefined, store as string, () => finish());
        return;
      }
      const budget = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_BUDGET_MS).unref());
      void Promise.race([save(), budget]).finally(finish);
    });
  }

  RED.nodes.registerType('alert-router', AlertRouterNode);

  // The editor checks a configuration with the same code as a deploy.
  RED.httpAdmin.post('/alert-router/validate', RED.auth.needsPermission('alert-router.write'), (req, res) => {
    try {
      const compiled = routerConfigFromEditor((req.body ?? {}) as AlertRouterEditorConfig);
      res.json({ ok: true, receivers: compiled.receiverNames });
    } catch (err) {
      res.json({ ok: false, error: describeError(err) });
    }
  });
};
