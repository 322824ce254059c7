/**
 * What a notification says: the notification from alert-router (or a single alert) checked and
 * turned into the view that templates render, and the default templates of each channel.
 */
import { PdmError } from '../errors';
import { SEVERITIES } from '../anomaly/events';
import type { LinkAction, LinkIssuer } from './signed-link';
import type { Alert, AlertNotification, Severity } from './types';

export interface AlertView {
  id: string;
  key: string;
  name: string;
  asset: string;
  sensor: string;
  severity: Severity;
  state: string;
  summary: string;
  value?: number;
  valueText: string;
  trend: string;
  score?: number;
  predictedFailure: string;
  openedAt: string;
  labels: Record<string, string>;
  ackUrl?: string;
  resolveUrl?: string;
  shelveUrl?: string;
}

export interface NotificationView {
  receiver: string;
  status: 'firing' | 'resolved';
  statusUpper: string;
  count: number;
  many: boolean;
  groupKey: string;
  commonLabels: Record<string, string>;
  onCall?: { name: string; contact?: string };
  escalationLevel: number;
  time: string;
  /** One line: status, count, the first alert's severity, asset and name. */
  title: string;
  /** A plain-text body, one block per alert, with the links. */
  text: string;
  /** At most 160 characters: status, asset, summary and the acknowledge link. */
  short: string;
  alerts: AlertView[];
  alert: AlertView;
  /** The recipient the links were made for (e-mail address, phone number, channel). */
  to: string;
  /** The notification itself as JSON. */
  payloadJson: string;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

function fail(reason: string): never {
  throw new PdmError('INVALID_PAYLOAD', reason);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkAlert(a: unknown, where: string): Alert {
  if (!isRecord(a)) fail(`${where} must be an alert object, got ${Array.isArray(a) ? 'array' : typeof a}`);
  for (const field of ['id', 'asset', 'summary'] as const) {
    if (typeof a[field] !== 'string' || a[field] === '') fail(`${where}.${field} must be a non-empty string`);
  }
  if (!(SEVERITIES as readonly unknown[]).includes(a.severity)) fail(`${where}.severity must be one of ${SEVERITIES.join(', ')}`);
  if (a.labels !== undefined && !isRecord(a.labels)) fail(`${where}.labels must be an object`);
  return a as unknown as Alert;
}

/** msg.payload as a notification: an AlertNotification from alert-router, or one alert. */
export function toNotification(payload: unknown, receiver: string, now: number): AlertNotification {
  if (!isRecord(payload)) fail(`msg.payload must be an alert notification or an alert, got ${Array.isArray(payload) ? 'array' : typeof payload}`);
  if (Array.isArray(payload.alerts)) {
    if (payload.alerts.length === 0) fail('msg.payload.alerts is empty');
    const alerts = payload.alerts.map((a, i) => checkAlert(a, `msg.payload.alerts[${i}]`));
    const status = payload.status === 'resolved' ? 'resolved' : 'firing';
    return {
      receiver: typeof payload.receiver === 'string' ? payload.receiver : receiver,
      groupKey: typeof payload.groupKey === 'string' ? payload.groupKey : alerts[0].key ?? alerts[0].id,
      status,
      alerts,
      commonLabels: isRecord(payload.commonLabels) ? (payload.commonLabels as Record<string, string>) : {},
      ...(isRecord(payload.onCall) ? { onCall: payload.onCall as AlertNotification['onCall'] } : {}),
      escalationLevel: typeof payload.escalationLevel === 'number' ? payload.escalationLevel : 0,
      ts: typeof payload.ts === 'number' ? payload.ts : now,
    };
  }
  const alert = checkAlert(payload, 'msg.payload');
  return {
    receiver,
    groupKey: alert.key ?? alert.id,
    status: alert.state === 'resolved' ? 'resolved' : 'firing',
    alerts: [alert],
    commonLabels: alert.labels ?? {},
    escalationLevel: alert.escalationLevel ?? 0,
    ts: now,
  };
}

function iso(ms: number | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

function formatValue(value: unknown, unit: string | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  const text = Math.abs(value) >= 1000 || value === Math.round(value) ? String(Math.round(value * 100) / 100) : value.toPrecision(4);
  return unit ? `${text} ${unit}` : text;
}

function alertView(a: Alert, links: LinkIssuer | undefined, recipient: string, active: boolean): AlertView {
  const labels = a.labels ?? {};
  const link = (action: LinkAction): string | undefined => (active ? links?.link(a.id, action, recipient) : undefined);
  const ackUrl = a.state === 'firing' ? link('acknowledge') : undefined;
  const resolveUrl = link('resolve');
  const shelveUrl = a.state === 'firing' ? link('shelve') : undefined;
  return {
    id: a.id,
    key: a.key ?? a.id,
    name: a.name ?? a.summary,
    asset: a.asset,
    sensor: a.sensor ?? '',
    severity: a.severity,
    state: a.state ?? 'firing',
    summary: a.summary,
    ...(typeof a.value === 'number' ? { value: a.value } : {}),
    valueText: formatValue(a.value, labels.unit),
    trend: labels.trend ?? '',
    ...(typeof a.score === 'number' ? { score: a.score } : {}),
    predictedFailure: iso(a.predictedFailure),
    openedAt: iso(a.openedAt),
    labels,
    ...(ackUrl ? { ackUrl } : {}),
    ...(resolveUrl ? { resolveUrl } : {}),
    ...(shelveUrl ? { shelveUrl } : {}),
  };
}

function plainText(n: AlertNotification, alerts: AlertView[]): string {
  const blocks = alerts.map((a) => {
    const lines = [`${a.severity.toUpperCase()} ${a.asset}${a.sensor ? '/' + a.sensor : ''}: ${a.summary}`];
    const facts = [a.valueText && `value ${a.valueText}`, a.trend && `trend ${a.trend}`, a.predictedFailure && `predicted failure ${a.predictedFailure}`].filter(Boolean);
    if (facts.length > 0) lines.push(facts.join(' · '));
    if (a.ackUrl) lines.push(`Acknowledge: ${a.ackUrl}`);
    if (a.resolveUrl) lines.push(`Resolve: ${a.resolveUrl}`);
    return lines.join('\n');
  });
  const header = n.onCall ? `On call: ${n.onCall.name}\n\n` : '';
  return header + blocks.join('\n\n');
}

export function notificationView(n: AlertNotification, links: LinkIssuer | undefined, recipient: string): NotificationView {
  const active = n.status === 'firing';
  // The most severe first, so the title and the first lines name what matters most.
  const sorted = [...n.alerts].sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity]);
  const alerts = sorted.map((a) => alertView(a, links, recipient, active));
  const first = alerts[0];
  const count = alerts.length;
  const statusUpper = n.status.toUpperCase();
  const title = `[${statusUpper}${count > 1 ? ':' + count : ''}] ${first.severity} · ${first.asset} · ${first.name}`;
  const shortBase = `${statusUpper} ${first.asset}: ${first.summary}`;
  const ack = first.ackUrl ? ` Ack: ${first.ackUrl}` : '';
  const short = (ack.length < 120 ? shortBase.slice(0, 160 - ack.length) + ack : shortBase).slice(0, 160);
  return {
    receiver: n.receiver,
    status: n.status,
    statusUpper,
    count,
    many: count > 1,
    groupKey: n.groupKey,
    commonLabels: n.commonLabels,
    ...(n.onCall ? { onCall: n.onCall } : {}),
    escalationLevel: n.escalationLevel,
    time: iso(n.ts),
    title,
    text: plainText(n, alerts),
    short,
    alerts,
    alert: first,
    to: recipient,
    payloadJson: JSON.stringify(n),
  };
}

/** Default templates, by the kind of body. */
export const DEFAULT_TEMPLATES = {
  title: '{{title}}',
  text: '{{text}}',
  html: `<!doctype html>
<html><body style="font-family:sans-serif">
<h2>{{title}}</h2>
{{#onCall}}<p>On call: {{name}}</p>{{/onCall}}
<table cellpadding="6" style="border-collapse:collapse">
<tr style="text-align:left"><th>Asset</th><th>Severity</th><th>Alert</th><th>Value</th><th>Trend</th><th>Predicted failure</th><th></th></tr>
{{#alerts}}<tr style="border-top:1px solid #ccc">
<td>{{asset}}{{#sensor}} / {{sensor}}{{/sensor}}</td><td>{{severity}}</td><td>{{summary}}</td><td>{{valueText}}</td><td>{{trend}}</td><td>{{predictedFailure}}</td>
<td>{{#ackUrl}}<a href="{{ackUrl}}">Acknowledge</a> {{/ackUrl}}{{#resolveUrl}}<a href="{{resolveUrl}}">Resolve</a>{{/resolveUrl}}</td>
</tr>
{{/alerts}}</table>
<p style="color:#666">{{receiver}} · {{time}}</p>
</body></html>`,
  slack: `{"text":"{{title}}","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*{{title}}*"}}{{#alerts}},{"type":"section","text":{"type":"mrkdwn","text":"*{{asset}}* ({{severity}}): {{summary}}{{#valueText}}\\nvalue {{valueText}}{{/valueText}}{{#trend}} · trend {{trend}}{{/trend}}{{#predictedFailure}}\\npredicted failure {{predictedFailure}}{{/predictedFailure}}{{#ackUrl}}\\n<{{ackUrl}}|Acknowledge>{{/ackUrl}}"}}{{/alerts}}]}`,
  teams: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","$schema":"http://adaptivecards.io/schemas/adaptive-card.json","version":"1.4","body":[{"type":"TextBlock","size":"Medium","weight":"Bolder","wrap":true,"text":"{{title}}"}{{#alerts}},{"type":"FactSet","facts":[{"title":"Asset","value":"{{asset}}"},{"title":"Severity","value":"{{severity}}"},{"title":"Alert","value":"{{summary}}"},{"title":"Value","value":"{{valueText}}"},{"title":"Trend","value":"{{trend}}"},{"title":"Predicted failure","value":"{{predictedFailure}}"}]}{{/alerts}}],"actions":[{{#alert.ackUrl}}{"type":"Action.OpenUrl","title":"Acknowledge","url":"{{alert.ackUrl}}"}{{/alert.ackUrl}}]}}]}`,
  sms: 'to={{to}}&message={{short}}',
  json: '{{{payloadJson}}}',
} as const;
