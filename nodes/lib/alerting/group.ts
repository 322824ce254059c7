/**
 * An aggregation group (Alertmanager's term): the alerts one route sends to its receiver under
 * the same values of its group_by labels, and the group's notification log — what it last sent
 * and when — which is what keeps a restart from sending the same notification twice.
 */
import type { EscalationStep, Route } from './config';
import type { Alert } from './types';

export interface GroupEntry {
  alert: Alert;
}

export interface SavedGroup {
  key: string;
  nextFlushAt: number;
  lastSentAt: number;
  lastFiring: string[];
  notified: string[];
  /** [alert id, escalation level reached, time of the last step]. */
  escalation: Array<[string, number, number]>;
}

export interface Escalation {
  level: number;
  at: number;
}

export interface FlushResult {
  firing: Alert[];
  resolved: Alert[];
}

/** `{asset="pump-1",alertname="health"}`: the group_by values as the notification names them. */
export function groupLabels(route: Route, labels: Readonly<Record<string, string>>): Record<string, string> {
  const names = route.groupBy === 'all' ? Object.keys(labels).sort() : route.groupBy;
  const out: Record<string, string> = {};
  for (const name of names) if (labels[name] !== undefined) out[name] = labels[name];
  return out;
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

export class Group<E extends GroupEntry> {
  readonly entries = new Map<string, E>();
  nextFlushAt: number;
  lastSentAt = -Infinity;
  lastFiring = new Set<string>();
  /** Alerts a firing notification has named: only these get a resolved notification. */
  readonly notified = new Set<string>();
  readonly escalation = new Map<string, Escalation>();

  constructor(
    readonly key: string,
    readonly label: string,
    readonly route: Route,
    now: number,
  ) {
    this.nextFlushAt = now + route.groupWaitMs;
  }

  /**
   * What to send at a flush, or undefined for nothing: a firing alert not in the last
   * notification, a notified alert that resolved since, or the repeat interval passed.
   * Acknowledged, shelved and suppressed alerts are not firing here.
   */
  due(now: number): FlushResult | undefined {
    const firing: Alert[] = [];
    const resolved: Alert[] = [];
    let fresh = false;
    for (const [id, { alert }] of this.entries) {
      if (alert.state === 'firing') {
        firing.push(alert);
        if (!this.lastFiring.has(id)) fresh = true;
      } else if (alert.state === 'resolved' && this.notified.has(id)) resolved.push(alert);
    }
    const repeat = firing.length > 0 && now - this.lastSentAt >= this.route.repeatIntervalMs;
    return fresh || resolved.length > 0 || repeat ? { firing, resolved } : undefined;
  }

  /** Records a sent notification. */
  sent(now: number, result: FlushResult, escalates: boolean): void {
    this.lastSentAt = now;
    this.lastFiring = new Set(result.firing.map((a) => a.id));
    for (const a of result.firing) {
      this.notified.add(a.id);
      if (escalates && !this.escalation.has(a.id)) this.escalation.set(a.id, { level: 0, at: now });
    }
  }

  /** Drops resolved alerts after a flush; returns them. */
  dropResolved(): E[] {
    const dropped: E[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.alert.state !== 'resolved') continue;
      this.entries.delete(id);
      this.notified.delete(id);
      this.lastFiring.delete(id);
      this.escalation.delete(id);
      dropped.push(entry);
    }
    return dropped;
  }

  /**
   * Firing alerts whose next escalation step is due, by the level they reach (0 = the first
   * step); their escalation moves on. Alerts that are not firing wait.
   */
  escalationsDue(now: number, steps: readonly EscalationStep[]): Map<number, Alert[]> {
    const due = new Map<number, Alert[]>();
    for (const [id, esc] of this.escalation) {
      const alert = this.entries.get(id)?.alert;
      if (alert?.state !== 'firing' || esc.level >= steps.length || now < esc.at + steps[esc.level].afterMs) continue;
      const list = due.get(esc.level) ?? [];
      list.push(alert);
      due.set(esc.level, list);
      esc.level++;
      esc.at = now;
    }
    return due;
  }

  /** When the next escalation step falls due for a firing alert; Infinity when none. */
  nextEscalation(steps: readonly EscalationStep[]): number {
    let at = Infinity;
    for (const [id, esc] of this.escalation) {
      if (esc.level < steps.length && this.entries.get(id)?.alert.state === 'firing') at = Math.min(at, esc.at + steps[esc.level].afterMs);
    }
    return at;
  }

  save(): SavedGroup {
    return {
      key: this.key,
      nextFlushAt: this.nextFlushAt,
      lastSentAt: Number.isFinite(this.lastSentAt) ? this.lastSentAt : -1,
      lastFiring: [...this.lastFiring],
      notified: [...this.notified],
      escalation: [...this.escalation].map(([id, e]) => [id, e.level, e.at]),
    };
  }

  load(saved: SavedGroup): void {
    this.nextFlushAt = saved.nextFlushAt;
    this.lastSentAt = saved.lastSentAt < 0 ? -Infinity : saved.lastSentAt;
    this.lastFiring = new Set(saved.lastFiring);
    for (const id of saved.notified) this.notified.add(id);
    for (const [id, level, at] of saved.escalation) this.escalation.set(id, { level, at });
  }
}
