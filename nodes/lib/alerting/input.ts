/**
 * What the router accepts, turned into alert events: anomaly-detect events (payload + msg.anomaly),
 * health-score reports, and a generic {asset, name, severity, state?, labels?, summary?, value?};
 * or commands ({action, ...}). Payloads may be arrays of these.
 */
import { SEVERITIES, type AnomalyEvent, type AnomalyMeta, type Severity } from '../anomaly/events';
import type { HealthReport } from '../health/tracker';
import { ALERT_ACTIONS, type AlertCommand } from './types';

export interface AlertEvent {
  asset: string;
  name: string;
  severity: Severity;
  state: 'firing' | 'resolved';
  ts?: number;
  sensor?: string;
  summary?: string;
  value?: number;
  score?: number;
  predictedFailure?: number;
  labels?: Record<string, string>;
}

export type RouterInput = { kind: 'event'; event: AlertEvent } | { kind: 'command'; command: AlertCommand };

export interface ParsedInput {
  items: RouterInput[];
  /** Reasons for the elements that were neither an event nor a command. */
  rejected: string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): v is string => typeof v === 'string' && v !== '';
const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);

export function isCommand(v: unknown): v is AlertCommand {
  return isObj(v) && typeof v.action === 'string' && (ALERT_ACTIONS as readonly string[]).includes(v.action);
}

function stringLabels(v: unknown): Record<string, string> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[k] = String(value);
  return out;
}

function fromAnomaly(p: AnomalyEvent, meta: AnomalyMeta): AlertEvent | string {
  if (!isSeverity(p.severity)) return `anomaly event for ${p.asset}: unknown severity ${JSON.stringify(p.severity)}`;
  const target = p.feature === undefined ? p.sensor : `${p.sensor}.${p.feature}`;
  const value = finite(p.value);
  const range = p.expected ? ` (expected ${p.expected.low}–${p.expected.high})` : '';
  const detectors = p.detectors.map((d) => d.name).join(', ');
  return {
    asset: p.asset,
    name: `anomaly:${target}`,
    sensor: p.sensor,
    severity: p.severity,
    state: meta.state,
    ts: finite(p.ts),
    value,
    score: finite(p.score),
    summary: meta.state === 'firing'
      ? `${target} on ${p.asset} is anomalous${value === undefined ? '' : `: ${value}${range}`}, score ${p.score}${detectors ? ` (${detectors})` : ''}`
      : `${target} on ${p.asset} is back to normal`,
    labels: p.feature === undefined ? undefined : { feature: p.feature },
  };
}

const HEALTH_SEVERITY: Record<string, Severity | undefined> = { attention: 'medium', critical: 'critical' };

function fromHealth(p: HealthReport): AlertEvent {
  const severity = HEALTH_SEVERITY[p.status];
  const event: AlertEvent = {
    asset: p.asset,
    name: 'health',
    severity: severity ?? 'low',
    state: severity === undefined ? 'resolved' : 'firing',
    ts: finite(p.ts),
    value: finite(p.health),
    summary: `${p.asset} health ${Math.round(p.health)}/100 (${p.status})${p.predictedFailure ? `, failure predicted ${new Date(p.predictedFailure.ts).toISOString()}` : ''}`,
  };
  if (p.predictedFailure) event.predictedFailure = p.predictedFailure.ts;
  return event;
}

function fromGeneric(p: Obj): AlertEvent | string {
  if (!text(p.name)) return `alert for ${String(p.asset)}: a name is required`;
  if (!isSeverity(p.severity)) return `alert ${p.name} on ${String(p.asset)}: severity must be one of ${SEVERITIES.join(', ')}`;
  if (p.state !== undefined && p.state !== 'firing' && p.state !== 'resolved') return `alert ${p.name} on ${String(p.asset)}: state must be firing or resolved`;
  if (p.labels !== undefined && !isObj(p.labels)) return `alert ${p.name} on ${String(p.asset)}: labels must be an object`;
  const event: AlertEvent = { asset: p.asset as string, name: p.name, severity: p.severity, state: p.state ?? 'firing' };
  if (text(p.sensor)) event.sensor = p.sensor;
  if (typeof p.summary === 'string') event.summary = p.summary;
  const value = finite(p.value);
  if (value !== undefined) event.value = value;
  const ts = finite(p.ts);
  if (ts !== undefined) event.ts = ts;
  const labels = stringLabels(p.labels);
  if (labels) event.labels = labels;
  return event;
}

function parseOne(p: unknown, anomaly: unknown): RouterInput | string {
  if (isCommand(p)) return { kind: 'command', command: p };
  if (!isObj(p)) return `expected an alert event, a health report or a command, got ${p === null ? 'null' : typeof p}`;
  if (!text(p.asset)) return 'the event has no asset';
  let event: AlertEvent | string;
  if (isObj(anomaly) && (anomaly.state === 'firing' || anomaly.state === 'resolved') && text(p.sensor) && Array.isArray(p.detectors)) {
    event = fromAnomaly(p as unknown as AnomalyEvent, anomaly as unknown as AnomalyMeta);
  } else if (typeof p.status === 'string' && typeof p.health === 'number' && !('name' in p)) {
    event = fromHealth(p as unknown as HealthReport);
  } else {
    event = fromGeneric(p);
  }
  return typeof event === 'string' ? event : { kind: 'event', event };
}

const MAX_ITEMS = 100_000;

/** `anomaly` is msg.anomaly: {key, state} for one event, {events: [...]} beside an array of them. */
export function parseInput(payload: unknown, anomaly: unknown): ParsedInput {
  const items: RouterInput[] = [];
  const rejected: string[] = [];
  const list = Array.isArray(payload) ? payload : [payload];
  if (list.length > MAX_ITEMS) return { items, rejected: [`${list.length} elements in one message, at most ${MAX_ITEMS}`] };
  const metas = isObj(anomaly) && Array.isArray(anomaly.events) ? (anomaly.events as unknown[]) : undefined;
  list.forEach((p, i) => {
    const parsed = parseOne(p, metas ? metas[i] : anomaly);
    if (typeof parsed === 'string') rejected.push(parsed);
    else items.push(parsed);
  });
  return { items, rejected };
}
