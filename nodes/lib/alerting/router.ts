/**
 * The alert router's core: one active alert per key (asset + name) with the ISA-18.2 lifecycle
 * (firing, acknowledged, shelved, suppressed, resolved), flapping detection, Alertmanager-style
 * routing, grouping, inhibition, silences and time intervals, escalation chains and on-call.
 * Pure: time comes from the injected clock, and all timed work happens in `tick()`, which the
 * host calls at `wakeAt` (it hears of an earlier one through `onWake`).
 */
import type { Clock } from '../status';
import { matchRoutes, routeMuted, type Receiver, type RouterConfig } from './config';
import { formatLabels, Group, groupLabels, type FlushResult, type SavedGroup } from './group';
import type { AlertEvent } from './input';
import { Inhibitor } from './inhibition';
import { buildNotification, copyAlert } from './notification';
import { matchesAll, parseMatchers, type Matcher } from './matchers';
import { Silences, type Silence } from './silences';
import type { Alert, AlertCommand, AlertCommandResult, AlertNotification, AlertState, AuditEntry } from './types';

export interface RouterSink {
  /** A notification for the receiver at this output. */
  notify(output: number, notification: AlertNotification): void;
  /** An alert changed state (or severity, acknowledgement, escalation, flapping). */
  change(alert: Alert): void;
}

export type { Silence };

/** Everything but the alerts: persisted as one document. */
export interface RouterState {
  version: 1;
  groups: SavedGroup[];
  silences: Silence[];
  /** Per key, the times it opened within the flapping window. */
  opens: Array<[string, number[]]>;
  /** Flapping alerts whose resolve is held: [alert id, clear since]. */
  clearing: Array<[string, number]>;
  /** Ids of resolved alerts that still owe a resolved notification. */
  pending: string[];
}

export interface RouterSnapshot extends RouterState {
  alerts: Alert[];
}

interface Entry {
  alert: Alert;
  groups: Group<Entry>[];
  silencedBy: string[];
  inhibited: boolean;
  muted: boolean;
  clearSince: number | undefined;
}

const HISTORY_LIMIT = 50;
const MINUTE = 60_000;

export class AlertRouter {
  private readonly active = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();
  private readonly groups = new Map<string, Group<Entry>>();
  private readonly silences = new Silences();
  private readonly opens = new Map<string, number[]>();
  private readonly lastOpen = new Map<string, { at: number; n: number }>();
  private readonly dirty = new Set<Entry>();
  /** Alerts changed since the last `flushChanges()`. */
  private readonly pendingChanges = new Set<Entry>();
  private readonly inhibitor: Inhibitor<Entry>;
  private stateDirty = false;
  private nextMinute = 0;
  /** Earliest time `tick()` has work; Infinity when none. */
  wakeAt = Infinity;
  /** Called when `wakeAt` moves earlier. */
  onWake: ((at: number) => void) | undefined;

  constructor(
    readonly config: RouterConfig,
    private readonly sink: RouterSink,
    private readonly now: Clock,
    /** Put before every alert id, so that routers sharing one database never reuse an id. */
    private readonly idPrefix = '',
  ) {
    this.inhibitor = new Inhibitor<Entry>(config.inhibitRules);
    if (config.timed) this.schedule(this.nextMinute = nextMinuteAfter(now()));
  }

  get size(): number {
    return this.active.size;
  }

  /** Whether anything changed since the last `takeChanges()`. */
  get changed(): boolean {
    return this.dirty.size > 0 || this.stateDirty;
  }

  activeAlerts(): Alert[] {
    return [...this.active.values()].map((e) => e.alert).sort((a, b) => b.openedAt - a.openedAt);
  }

  findAlert(id: string): Alert | undefined {
    return this.byId.get(id)?.alert;
  }

  ingest(event: AlertEvent): void {
    const key = `${event.asset}/${event.name}`;
    const entry = this.active.get(key);
    if (event.state === 'resolved') {
      if (entry === undefined) return;
      if (entry.alert.flapping) {
        // A flapping alert resolves only after it has stayed clear for the flapping window.
        if (entry.clearSince === undefined) {
          entry.clearSince = this.now();
          this.stateDirty = true;
          this.schedule(entry.clearSince + this.config.flapWindowMs);
        }
        return;
      }
      this.resolve(entry, { action: 'auto-resolve', by: 'router', via: 'router' });
      return;
    }
    if (entry === undefined) {
      this.open(key, event);
      return;
    }
    const a = entry.alert;
    if (entry.clearSince !== undefined) {
      entry.clearSince = undefined;
      this.stateDirty = true;
    }
    if (event.value !== undefined) a.value = event.value;
    if (event.score !== undefined) a.score = event.score;
    if (event.predictedFailure !== undefined) a.predictedFailure = event.predictedFailure;
    if (event.summary !== undefined) a.summary = event.summary;
    if (event.severity !== a.severity) {
      const before = this.inhibitor.remove(entry);
      a.severity = event.severity;
      a.labels = { ...a.labels, severity: event.severity };
      a.updatedAt = this.now();
      this.reroute(entry);
      this.inhibitor.reevaluate([before, this.inhibitor.add(entry)], this.refreshSuppressionOf);
      this.refreshSuppression(entry);
      this.touch(entry);
    }
  }

  private open(key: string, event: AlertEvent): void {
    const now = this.now();
    const flapping = this.countOpen(key, now);
    const labels: Record<string, string> = { ...this.config.assets.get(event.asset), ...event.labels, alertname: event.name, asset: event.asset, severity: event.severity };
    if (event.sensor !== undefined) labels.sensor = event.sensor;
    // Unique per episode, even when a key reopens within the same millisecond.
    const last = this.lastOpen.get(key);
    const n = last !== undefined && last.at === now ? last.n + 1 : 0;
    this.lastOpen.set(key, { at: now, n });
    const id = `${this.idPrefix}${key}@${now}${n === 0 ? '' : `.${n}`}`;
    const alert: Alert = {
      id, key, name: event.name, asset: event.asset, severity: event.severity, state: 'firing', labels,
      summary: event.summary ?? `${event.name} on ${event.asset}`,
      openedAt: now, updatedAt: now, escalationLevel: 0, flapping, history: [{ ts: now, action: 'fire', by: 'router', via: 'router' }],
    };
    if (event.sensor !== undefined) alert.sensor = event.sensor;
    if (event.value !== undefined) alert.value = event.value;
    if (event.score !== undefined) alert.score = event.score;
    if (event.predictedFailure !== undefined) alert.predictedFailure = event.predictedFailure;
    const entry: Entry = { alert, groups: [], silencedBy: [], inhibited: false, muted: false, clearSince: undefined };
    this.active.set(key, entry);
    this.byId.set(id, entry);
    this.reroute(entry);
    this.inhibitor.reevaluate([this.inhibitor.add(entry)], this.refreshSuppressionOf);
    this.refreshSuppression(entry);
    this.touch(entry);
  }

  /** Records an opening of `key`; true when it makes the key flapping. */
  private countOpen(key: string, now: number): boolean {
    const { flapThreshold, flapWindowMs } = this.config;
    if (flapThreshold === 0) return false;
    const times = (this.opens.get(key) ?? []).filter((t) => t > now - flapWindowMs);
    times.push(now);
    this.opens.set(key, times.slice(-flapThreshold));
    this.stateDirty = true;
    return times.length >= flapThreshold;
  }

  /** Puts the alert into the groups of the routes its labels match, leaving the others. */
  private reroute(entry: Entry): void {
    const now = this.now();
    const next: Group<Entry>[] = [];
    for (const route of matchRoutes(this.config.route, entry.alert.labels)) {
      const labels = groupLabels(route, entry.alert.labels);
      const label = formatLabels(labels);
      const key = `${route.id}:${route.receiver}:${label}`;
      let group = this.groups.get(key);
      if (group === undefined) {
        group = new Group<Entry>(key, label, route, now);
        this.groups.set(key, group);
        this.schedule(group.nextFlushAt);
      }
      next.push(group);
    }
    for (const g of entry.groups) if (!next.includes(g)) g.entries.delete(entry.alert.id);
    for (const g of next) g.entries.set(entry.alert.id, entry);
    entry.groups = next;
    this.stateDirty = true;
  }

  private resolve(entry: Entry, audit: Omit<AuditEntry, 'ts'>): void {
    const now = this.now();
    const a = entry.alert;
    a.resolvedAt = now;
    a.updatedAt = now;
    a.shelvedUntil = undefined;
    a.flapping = false;
    entry.clearSince = undefined;
    this.audit(a, audit);
    this.active.delete(a.key);
    this.setState(entry, 'resolved');
    if (entry.groups.every((g) => !g.notified.has(a.id))) this.forget(entry);
    entry.inhibited = false;
    this.inhibitor.reevaluate([this.inhibitor.remove(entry)], this.refreshSuppressionOf);
    this.touch(entry);
  }

  private forget(entry: Entry): void {
    for (const g of entry.groups) g.entries.delete(entry.alert.id);
    this.byId.delete(entry.alert.id);
    this.stateDirty = true;
  }

  // --- suppression: silences, inhibition, time intervals -------------------------------------

  private readonly refreshSuppressionOf = (entry: Entry): void => this.refreshSuppression(entry);

  private refreshSuppression(entry: Entry): void {
    const now = this.now();
    entry.silencedBy = this.silences.matching(entry.alert.labels, now);
    entry.muted = this.config.timed && entry.groups.length > 0 && entry.groups.every((g) => routeMuted(g.route, now));
    const state = stateOf(entry, now);
    const was = entry.alert.state;
    if (state === was) return;
    if (state === 'suppressed') this.audit(entry.alert, { action: 'suppress', by: 'router', via: 'router', comment: this.suppressionReason(entry) });
    else if (was === 'suppressed') this.audit(entry.alert, { action: 'unsuppress', by: 'router', via: 'router' });
    this.setState(entry, state);
  }

  private suppressionReason(entry: Entry): string {
    const reasons: string[] = [];
    if (entry.silencedBy.length > 0) reasons.push(`silence ${entry.silencedBy.join(', ')}`);
    if (entry.inhibited) reasons.push('inhibited');
    if (entry.muted) reasons.push('time interval');
    return reasons.join('; ');
  }

  private refreshAll(): void {
    for (const e of this.active.values()) this.refreshSuppression(e);
  }

  // --- state changes --------------------------------------------------------------------------

  private setState(entry: Entry, state: AlertState): void {
    if (entry.alert.state === state) return;
    entry.alert.state = state;
    entry.alert.updatedAt = this.now();
    this.touch(entry);
    // Escalation steps wait while an alert is not firing; look at them again now.
    if (state === 'firing') this.schedule(this.now());
  }

  /** The alert changed: persist it and tell the changes output (once per change batch). */
  private touch(entry: Entry): void {
    this.dirty.add(entry);
    this.pendingChanges.add(entry);
  }

  /** Sends the accumulated changes; the host calls it after each message or command. */
  flushChanges(): void {
    for (const e of this.pendingChanges) this.sink.change(copyAlert(e.alert));
    this.pendingChanges.clear();
  }

  private audit(alert: Alert, entry: Omit<AuditEntry, 'ts'>): void {
    alert.history.push({ ts: this.now(), ...entry });
    if (alert.history.length > HISTORY_LIMIT) alert.history.splice(0, alert.history.length - HISTORY_LIMIT);
  }

  private schedule(at: number): void {
    if (at < this.wakeAt) {
      this.wakeAt = at;
      this.onWake?.(at);
    }
  }

  // --- commands ---------------------------------------------------------------------------------

  applyCommand(command: AlertCommand): AlertCommandResult {
    const result = this.command(command);
    this.flushChanges();
    return result;
  }

  private command(c: AlertCommand): AlertCommandResult {
    const now = this.now();
    const audit: Omit<AuditEntry, 'ts'> = { action: c.action, by: typeof c.by === 'string' && c.by !== '' ? c.by : 'anonymous' };
    if (typeof c.comment === 'string') audit.comment = c.comment;
    if (typeof c.via === 'string') audit.via = c.via;
    if (c.action === 'silence') return this.silence(c, audit.by, now);
    if (c.action === 'expire-silence') return this.expireSilence(c.silenceId);
    if (c.action === 'shelve' && (typeof c.until !== 'number' || !(c.until > now))) return fail('shelve needs `until`, a time in the future (epoch ms)');
    const found = this.targets(c);
    if (typeof found === 'string') return fail(found);
    const changed: Entry[] = [];
    for (const entry of found) {
      const a = entry.alert;
      switch (c.action) {
        case 'acknowledge':
          if (a.acknowledgedAt !== undefined) continue;
          a.acknowledgedAt = now;
          a.acknowledgedBy = audit.by;
          for (const g of entry.groups) g.escalation.delete(a.id);
          break;
        case 'unacknowledge':
          if (a.acknowledgedAt === undefined) continue;
          a.acknowledgedAt = undefined;
          a.acknowledgedBy = undefined;
          for (const g of entry.groups) if (g.notified.has(a.id) && this.receiver(g).escalation.length > 0) g.escalation.set(a.id, { level: 0, at: now });
          break;
        case 'shelve':
          a.shelvedUntil = c.until;
          this.schedule(c.until as number);
          break;
        case 'unshelve':
          if (a.shelvedUntil === undefined) continue;
          a.shelvedUntil = undefined;
          break;
        case 'resolve':
          this.resolve(entry, audit);
          changed.push(entry);
          continue;
      }
      this.audit(a, audit);
      a.updatedAt = now;
      this.touch(entry);
      this.setState(entry, stateOf(entry, now));
      changed.push(entry);
    }
    this.stateDirty = true;
    return { ok: true, alerts: changed.map((e) => copyAlert(e.alert)) };
  }

  private targets(c: AlertCommand): Entry[] | string {
    if (typeof c.alertId === 'string') {
      const entry = this.byId.get(c.alertId);
      return entry && entry.alert.state !== 'resolved' ? [entry] : `no active alert with id "${c.alertId}"`;
    }
    if (typeof c.key === 'string') {
      const entry = this.active.get(c.key);
      return entry ? [entry] : `no active alert with key "${c.key}"`;
    }
    if (Array.isArray(c.matchers)) {
      let matchers: Matcher[];
      try {
        matchers = parseMatchers(c.matchers, 'matchers');
      } catch (err) {
        return (err as Error).message;
      }
      if (matchers.length === 0) return 'matchers: at least one matcher is required';
      const found = [...this.active.values()].filter((e) => matchesAll(matchers, e.alert.labels));
      return found.length > 0 ? found : `no active alert matches ${c.matchers.join(', ')}`;
    }
    return `${c.action} needs alertId, key or matchers`;
  }

  private silence(c: AlertCommand, by: string, now: number): AlertCommandResult {
    if (typeof c.until !== 'number' || !(c.until > now)) return fail('a silence needs `until`, a time in the future (epoch ms)');
    let texts = c.matchers;
    if (texts === undefined) {
      // A silence made from an alert covers that alert's asset and name.
      const found = this.targets(c);
      if (typeof found === 'string') return fail(found);
      const a = found[0].alert;
      texts = [`asset=${JSON.stringify(a.asset)}`, `alertname=${JSON.stringify(a.name)}`];
    }
    let silence: Silence;
    try {
      silence = this.silences.create(texts, now, c.until, by, c.comment);
    } catch (err) {
      return fail((err as Error).message);
    }
    this.stateDirty = true;
    this.schedule(c.until);
    const before = this.suppressedIds();
    this.refreshAll();
    return { ok: true, alerts: this.collectChanged(before, true), silenceId: silence.id };
  }

  private expireSilence(id: string | undefined): AlertCommandResult {
    if (id === undefined || !this.silences.expire(id)) return fail(`no silence with id "${String(id)}"`);
    this.stateDirty = true;
    const before = this.suppressedIds();
    this.refreshAll();
    return { ok: true, alerts: this.collectChanged(before, false), silenceId: id };
  }

  private suppressedIds(): Set<string> {
    return new Set([...this.active.values()].filter((e) => e.alert.state === 'suppressed').map((e) => e.alert.id));
  }

  private collectChanged(before: Set<string>, nowSuppressed: boolean): Alert[] {
    return [...this.active.values()]
      .filter((e) => (e.alert.state === 'suppressed') === nowSuppressed && before.has(e.alert.id) !== nowSuppressed)
      .map((e) => copyAlert(e.alert));
  }

  /** The silences in force, for the dashboard. */
  activeSilences(): Silence[] {
    return this.silences.list();
  }

  // --- timed work -------------------------------------------------------------------------------

  /** Does everything due by now: silence and shelve expiry, held resolves, time intervals, flushes and escalations. */
  tick(): void {
    const now = this.now();
    let refresh = this.silences.expireDue(now);
    if (refresh) this.stateDirty = true;
    if (this.config.timed && now >= this.nextMinute) {
      this.nextMinute = nextMinuteAfter(now);
      refresh = true;
    }
    for (const e of [...this.active.values()]) {
      const a = e.alert;
      if (a.shelvedUntil !== undefined && a.shelvedUntil <= now) {
        a.shelvedUntil = undefined;
        this.audit(a, { action: 'unshelve', by: 'router', via: 'router', comment: 'shelving time ended' });
        this.touch(e);
        if (!refresh) this.setState(e, stateOf(e, now));
      }
      if (e.clearSince !== undefined && e.clearSince + this.config.flapWindowMs <= now) {
        this.resolve(e, { action: 'auto-resolve', by: 'router', via: 'router', comment: 'stayed clear for the flapping window' });
      }
    }
    if (refresh) this.refreshAll();
    for (const group of [...this.groups.values()]) {
      if (group.nextFlushAt <= now) this.flush(group, now);
      this.escalate(group, now);
    }
    this.flushChanges();
    this.wakeAt = this.computeWake();
  }

  private flush(group: Group<Entry>, now: number): void {
    group.nextFlushAt = now + group.route.groupIntervalMs;
    this.stateDirty = true;
    const result = routeMuted(group.route, now) ? undefined : group.due(now);
    if (result !== undefined) {
      const receiver = this.receiver(group);
      this.send(group, receiver, result, 0, now);
      group.sent(now, result, receiver.escalation.length > 0);
      for (const a of result.firing) {
        const entry = this.byId.get(a.id);
        if (entry) {
          this.audit(a, { action: 'notify', by: 'router', via: 'router', comment: receiver.name });
          this.dirty.add(entry);
        }
      }
    }
    for (const entry of group.dropResolved()) {
      entry.groups = entry.groups.filter((g) => g !== group);
      if (entry.groups.length === 0) this.forget(entry);
    }
    if (group.entries.size === 0) this.groups.delete(group.key);
  }

  private escalate(group: Group<Entry>, now: number): void {
    if (routeMuted(group.route, now)) return;
    const steps = this.receiver(group).escalation;
    for (const [level, alerts] of group.escalationsDue(now, steps)) {
      const step = steps[level];
      for (const a of alerts) {
        a.escalationLevel = Math.max(a.escalationLevel, level + 1);
        a.updatedAt = now;
        this.audit(a, { action: 'escalate', by: 'router', via: 'router', comment: step.receiver });
        const entry = this.byId.get(a.id);
        if (entry) this.touch(entry);
      }
      const receiver = this.config.receivers.get(step.receiver) as Receiver;
      this.send(group, receiver, { firing: alerts, resolved: [] }, level + 1, now);
      this.stateDirty = true;
    }
  }

  private send(group: Group<Entry>, receiver: Receiver, result: FlushResult, level: number, now: number): void {
    this.sink.notify(receiver.output, buildNotification(receiver, group.label, result, level, now));
  }

  private receiver(group: Group<Entry>): Receiver {
    return this.config.receivers.get(group.route.receiver) as Receiver;
  }

  private computeWake(): number {
    let at = this.config.timed ? this.nextMinute : Infinity;
    at = Math.min(at, this.silences.nextEnd());
    for (const e of this.active.values()) {
      if (e.alert.shelvedUntil !== undefined) at = Math.min(at, e.alert.shelvedUntil);
      if (e.clearSince !== undefined) at = Math.min(at, e.clearSince + this.config.flapWindowMs);
    }
    for (const g of this.groups.values()) {
      at = Math.min(at, g.nextFlushAt);
      at = Math.min(at, g.nextEscalation(this.receiver(g).escalation));
    }
    return at;
  }

  // --- persistence ------------------------------------------------------------------------------

  /** The alerts changed since the last call (for an incremental store), and clears the mark. */
  takeChanges(): Alert[] {
    const alerts = [...this.dirty].map((e) => e.alert);
    this.dirty.clear();
    this.stateDirty = false;
    return alerts;
  }

  state(): RouterState {
    return {
      version: 1,
      groups: [...this.groups.values()].map((g) => g.save()),
      silences: this.silences.list(),
      opens: [...this.opens],
      clearing: [...this.active.values()].filter((e) => e.clearSince !== undefined).map((e) => [e.alert.id, e.clearSince as number]),
      pending: [...this.byId.values()].filter((e) => e.alert.state === 'resolved').map((e) => e.alert.id),
    };
  }

  snapshot(): RouterSnapshot {
    return { ...this.state(), alerts: [...this.byId.values()].map((e) => e.alert) };
  }

  /**
   * Restores alerts and state saved by an earlier run (possibly with another configuration:
   * alerts are routed afresh, and groups that still exist keep their notification log).
   * Unreadable parts are skipped; returns how many alerts came back.
   */
  restore(snapshot: Partial<RouterSnapshot>): number {
    const now = this.now();
    const savedGroups = new Map((snapshot.groups ?? []).map((g) => [g.key, g]));
    const pending = new Set(snapshot.pending ?? []);
    this.silences.load(snapshot.silences ?? [], now);
    for (const [key, times] of snapshot.opens ?? []) this.opens.set(key, times);
    let restored = 0;
    for (const alert of snapshot.alerts ?? []) {
      if (!isSavedAlert(alert) || this.byId.has(alert.id)) continue;
      const resolved = alert.state === 'resolved';
      if (resolved && !pending.has(alert.id)) continue;
      if (!resolved && this.active.has(alert.key)) continue;
      const entry: Entry = { alert, groups: [], silencedBy: [], inhibited: false, muted: false, clearSince: undefined };
      this.byId.set(alert.id, entry);
      if (!resolved) this.active.set(alert.key, entry);
      this.reroute(entry);
      restored++;
    }
    for (const group of this.groups.values()) {
      const saved = savedGroups.get(group.key);
      if (saved) group.load(saved);
      this.schedule(group.nextFlushAt);
    }
    for (const [id, since] of snapshot.clearing ?? []) {
      const entry = this.byId.get(id);
      if (entry && entry.alert.state !== 'resolved') {
        entry.clearSince = since;
        this.schedule(since + this.config.flapWindowMs);
      }
    }
    for (const e of this.active.values()) this.inhibitor.add(e);
    for (const e of this.active.values()) {
      e.inhibited = this.inhibitor.isInhibited(e);
      // A silence or shelving that ended while the router was down shows here as a change.
      this.refreshSuppression(e);
    }
    this.wakeAt = Infinity;
    this.schedule(this.computeWake());
    return restored;
  }
}

function stateOf(entry: Entry, now: number): AlertState {
  const a = entry.alert;
  if (a.resolvedAt !== undefined) return 'resolved';
  if (a.shelvedUntil !== undefined && a.shelvedUntil > now) return 'shelved';
  if (entry.silencedBy.length > 0 || entry.inhibited || entry.muted) return 'suppressed';
  return a.acknowledgedAt !== undefined ? 'acknowledged' : 'firing';
}

function nextMinuteAfter(ts: number): number {
  return (Math.floor(ts / MINUTE) + 1) * MINUTE;
}

function fail(reason: string): AlertCommandResult {
  return { ok: false, reason, alerts: [] };
}

function isSavedAlert(v: unknown): v is Alert {
  const a = v as Alert | null;
  return typeof a?.id === 'string' && typeof a.key === 'string' && typeof a.asset === 'string' && typeof a.name === 'string'
    && typeof a.labels === 'object' && a.labels !== null && Array.isArray(a.history) && typeof a.openedAt === 'number';
}
