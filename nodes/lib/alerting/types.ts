/**
 * The alert shapes that pass between alert-router, alert-ack, notify, storage and the dashboard.
 * Lifecycle after ISA-18.2: an alert fires, may be acknowledged, shelved (hidden by an operator for
 * a time) or suppressed (by a silence, an inhibition or a maintenance window), and is resolved.
 */
import type { Severity } from '../anomaly/events';

export type { Severity };

export const ALERT_STATES = ['firing', 'acknowledged', 'shelved', 'suppressed', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_ACTIONS = ['acknowledge', 'unacknowledge', 'resolve', 'shelve', 'unshelve', 'silence', 'expire-silence'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** One line of an alert's audit trail: who did what, when, and why. */
export interface AuditEntry {
  ts: number;
  action: AlertAction | 'fire' | 'escalate' | 'notify' | 'auto-resolve' | 'suppress' | 'unsuppress';
  by: string;
  comment?: string;
  /** Where the action came from: 'message', 'http', 'link', 'router'. */
  via?: string;
}

export interface Alert {
  /** Unique per episode: the key and the time it opened. */
  id: string;
  /** asset + '/' + name: at most one active alert per key. */
  key: string;
  name: string;
  asset: string;
  sensor?: string;
  severity: Severity;
  state: AlertState;
  /** Routing labels: severity, asset, sensor, criticality, site, line, and any from the event. */
  labels: Record<string, string>;
  summary: string;
  value?: number;
  score?: number;
  /** Epoch ms of the predicted failure, when a health score gave one. */
  predictedFailure?: number;
  openedAt: number;
  updatedAt: number;
  resolvedAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  shelvedUntil?: number;
  /** 0 = first receiver; raised each time an escalation step passes unacknowledged. */
  escalationLevel: number;
  flapping: boolean;
  history: AuditEntry[];
}

/** msg.payload of a message from alert-router to a receiver output (and so to notify). */
export interface AlertNotification {
  receiver: string;
  /** The group this notification is for (the values of group_by). */
  groupKey: string;
  status: 'firing' | 'resolved';
  alerts: Alert[];
  commonLabels: Record<string, string>;
  /** Who is on call for this receiver at send time, when an on-call rotation is configured. */
  onCall?: { name: string; contact?: string };
  escalationLevel: number;
  ts: number;
}

/** A command for alert-router, from alert-ack, a dashboard button or any message. */
export interface AlertCommand {
  action: AlertAction;
  /** The alert by id, or every active alert under a key. One of alertId, key or matchers. */
  alertId?: string;
  key?: string;
  /** For 'silence': label matchers in Alertmanager syntax, e.g. ['asset="pump-1"', 'severity=~"low|medium"']. */
  matchers?: string[];
  /** For 'silence' and 'shelve': epoch ms when it ends. */
  until?: number;
  /** For 'expire-silence': the silence. */
  silenceId?: string;
  by: string;
  comment?: string;
  via?: string;
  ts?: number;
}

export interface AlertCommandResult {
  ok: boolean;
  /** Why it failed, for the HTTP answer and the node status. */
  reason?: string;
  /** The alerts the command changed. */
  alerts: Alert[];
  silenceId?: string;
}

/** What an alert-router node offers to alert-ack nodes that name it. */
export interface AlertCommandTarget {
  applyCommand(command: AlertCommand): Promise<AlertCommandResult>;
  /** Active (not resolved) alerts, newest first. */
  activeAlerts(): Alert[];
  findAlert(id: string): Alert | undefined;
}
