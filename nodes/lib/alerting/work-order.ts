/**
 * Maintenance work orders for a CMMS from firing alerts: one per alert, issued once per alert
 * however often the alert is notified again (repeats, escalations).
 */
import type { Template } from './template';
import type { Alert, AlertNotification, Severity } from './types';

export interface WorkOrder {
  /** The alert id: a CMMS can use it as the external reference to avoid duplicates. */
  externalId: string;
  /** Predictive: condition-based, from a detected anomaly or a predicted failure. Preventive: from a schedule or usage rule. */
  type: 'predictive' | 'preventive';
  asset: string;
  sensor?: string;
  severity: Severity;
  /** 1 (most urgent) to 4. */
  priority: number;
  title: string;
  description: string;
  recommendedAction: string;
  /** ISO 8601, or null when no failure was predicted. */
  predictedFailure: string | null;
  /** When the work should be done by (ISO 8601): the predicted failure, or a severity-dependent horizon. */
  dueBy: string;
  /** 0–1, from the alert's `confidence` label, or null when the alert carries none. */
  confidence: number | null;
  labels: Record<string, string>;
  createdAt: string;
}

const PRIORITY: Record<Severity, number> = { critical: 1, high: 2, medium: 3, low: 4 };
const HOUR = 3_600_000;
/** Horizon for alerts without a predicted failure. */
const DUE_IN: Record<Severity, number> = { critical: 24 * HOUR, high: 72 * HOUR, medium: 7 * 24 * HOUR, low: 30 * 24 * HOUR };
const REMEMBERED = 10_000;

function typeOf(a: Alert): WorkOrder['type'] {
  const given = a.labels?.maintenanceType;
  if (given === 'predictive' || given === 'preventive') return given;
  return a.predictedFailure !== undefined || a.score !== undefined ? 'predictive' : 'preventive';
}

function confidenceOf(a: Alert): number | null {
  const c = Number(a.labels?.confidence);
  return a.labels?.confidence !== undefined && Number.isFinite(c) && c >= 0 && c <= 1 ? c : null;
}

export function workOrderFor(a: Alert, action: Template, now: number): WorkOrder {
  const labels = a.labels ?? {};
  const predicted = typeof a.predictedFailure === 'number' && Number.isFinite(a.predictedFailure) ? a.predictedFailure : undefined;
  const recommended = labels.recommendedAction || action.render({ ...a, labels, sensor: a.sensor ?? '' });
  return {
    externalId: a.id,
    type: typeOf(a),
    asset: a.asset,
    ...(a.sensor ? { sensor: a.sensor } : {}),
    severity: a.severity,
    priority: PRIORITY[a.severity],
    title: `${a.asset}: ${a.name ?? a.summary}`,
    description: a.summary,
    recommendedAction: recommended,
    predictedFailure: predicted === undefined ? null : new Date(predicted).toISOString(),
    dueBy: new Date(predicted ?? now + DUE_IN[a.severity]).toISOString(),
    confidence: confidenceOf(a),
    labels,
    createdAt: new Date(now).toISOString(),
  };
}

/** Issues a work order the first time a firing alert is seen, remembering the latest alert ids. */
export class WorkOrderBook {
  private readonly issued = new Set<string>();

  constructor(private readonly action: Template) {}

  take(n: AlertNotification, now: number): WorkOrder[] {
    if (n.status !== 'firing') return [];
    const orders: WorkOrder[] = [];
    for (const a of n.alerts) {
      if (this.issued.has(a.id) || (a.state !== undefined && a.state !== 'firing')) continue;
      this.issued.add(a.id);
      if (this.issued.size > REMEMBERED) this.issued.delete(this.issued.values().next().value as string);
      orders.push(workOrderFor(a, this.action, now));
    }
    return orders;
  }
}
