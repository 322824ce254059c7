/** Alerts and an in-memory alert-router stand-in for the alerting tests. */
import type { Alert, AlertCommand, AlertCommandResult, AlertCommandTarget, AlertNotification } from '../../../nodes/lib/alerting/types';

export const T0 = 1_700_000_000_000;

export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const asset = overrides.asset ?? 'pump-1';
  return {
    id: `${asset}/bearing-temp@${T0}`,
    key: `${asset}/bearing-temp`,
    name: 'bearing-temp',
    asset,
    sensor: 'temperature',
    severity: 'high',
    state: 'firing',
    labels: { severity: overrides.severity ?? 'high', asset, unit: '°C', trend: 'rising' },
    summary: 'Bearing temperature 91.5 °C above its normal band',
    value: 91.5,
    score: 3.4,
    openedAt: T0,
    updatedAt: T0,
    escalationLevel: 0,
    flapping: false,
    history: [],
    ...overrides,
  };
}

export function makeNotification(alerts: Alert[] = [makeAlert()], overrides: Partial<AlertNotification> = {}): AlertNotification {
  return { receiver: 'maintenance', groupKey: alerts[0].key, status: 'firing', alerts, commonLabels: {}, escalationLevel: 0, ts: T0, ...overrides };
}

/** Applies acknowledge, resolve, shelve and unshelve to its alerts, as alert-router does, and records every command. */
export class MemoryAlertTarget implements AlertCommandTarget {
  readonly commands: AlertCommand[] = [];
  readonly alerts = new Map<string, Alert>();

  constructor(alerts: Alert[] = []) {
    for (const a of alerts) this.alerts.set(a.id, a);
  }

  async applyCommand(command: AlertCommand): Promise<AlertCommandResult> {
    this.commands.push(command);
    const alert = command.alertId ? this.alerts.get(command.alertId) : [...this.alerts.values()].find((a) => a.key === command.key);
    if (!alert) return { ok: false, reason: `no alert ${command.alertId ?? command.key}`, alerts: [] };
    if (alert.state === 'resolved') return { ok: false, reason: 'the alert is resolved', alerts: [] };
    const ts = command.ts ?? Date.now();
    const next: Alert = { ...alert, updatedAt: ts, history: [...alert.history, { ts, action: command.action, by: command.by, ...(command.comment ? { comment: command.comment } : {}), ...(command.via ? { via: command.via } : {}) }] };
    if (command.action === 'acknowledge') Object.assign(next, { state: 'acknowledged', acknowledgedAt: ts, acknowledgedBy: command.by });
    else if (command.action === 'resolve') Object.assign(next, { state: 'resolved', resolvedAt: ts });
    else if (command.action === 'shelve') Object.assign(next, { state: 'shelved', shelvedUntil: command.until });
    else if (command.action === 'unshelve' || command.action === 'unacknowledge') Object.assign(next, { state: 'firing' });
    else return { ok: false, reason: `${command.action} is not supported here`, alerts: [] };
    this.alerts.set(next.id, next);
    return { ok: true, alerts: [next] };
  }

  activeAlerts(): Alert[] {
    return [...this.alerts.values()].filter((a) => a.state !== 'resolved').sort((a, b) => b.openedAt - a.openedAt);
  }

  findAlert(id: string): Alert | undefined {
    return this.alerts.get(id);
  }
}
