/** The messages the router sends: notifications for receivers and copies of alerts. */
import type { Receiver } from './config';
import type { FlushResult } from './group';
import type { Alert, AlertNotification } from './types';

/** A copy that the receiving flow may change without touching the router's alert. */
export function copyAlert(a: Alert): Alert {
  return { ...a, labels: { ...a.labels }, history: a.history.slice() };
}

/** The labels every alert shares. */
export function commonLabels(alerts: readonly Alert[]): Record<string, string> {
  if (alerts.length === 0) return {};
  const common: Record<string, string> = { ...alerts[0].labels };
  for (const a of alerts.slice(1)) for (const k of Object.keys(common)) if (a.labels[k] !== common[k]) delete common[k];
  return common;
}

/** `level` 0 is the route's own receiver; n is the n-th escalation step. */
export function buildNotification(receiver: Receiver, groupKey: string, result: FlushResult, level: number, now: number): AlertNotification {
  const alerts = [...result.firing, ...result.resolved];
  const notification: AlertNotification = {
    receiver: receiver.name,
    groupKey,
    status: result.firing.length > 0 ? 'firing' : 'resolved',
    alerts: alerts.map(copyAlert),
    commonLabels: commonLabels(alerts),
    escalationLevel: level,
    ts: now,
  };
  if (receiver.oncall) notification.onCall = receiver.oncall.at(now);
  return notification;
}
