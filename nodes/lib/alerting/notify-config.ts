/**
 * The notify node's editor configuration and credentials, checked and turned into a channel and
 * its delivery policy. Every problem is reported with the field and the reason.
 */
import { PdmError } from '../errors';
import { DEFAULT_TEMPLATES } from './content';
import type { RateLimit, RetryPolicy } from './delivery';
import type { Channel, PushSubscriptionLike, Recipient } from './channels/channel';
import { createEmailChannel } from './channels/email';
import { authHeaders } from './channels/http';
import { createNtfyChannel } from './channels/ntfy';
import { createWebhookChannel, WEBHOOK_KINDS, type WebhookKind } from './channels/webhook';
import { createWebPushChannel } from './channels/web-push';
import { compileTemplate, type Template } from './template';

export const CHANNELS = ['email', 'webhook', 'ntfy', 'webpush'] as const;
export type ChannelKind = (typeof CHANNELS)[number];

/** As the editor saves it: numbers may arrive as strings. */
export interface NotifyConfig {
  channel?: string;
  smtpHost?: string;
  smtpPort?: string | number;
  smtpSecure?: boolean;
  smtpRequireTls?: boolean;
  smtpTlsVerify?: boolean;
  smtpConnections?: string | number;
  from?: string;
  to?: string;
  webhookKind?: string;
  webhookUrl?: string;
  smsTo?: string;
  ntfyUrl?: string;
  ntfyTopic?: string;
  vapidSubject?: string;
  subscriptions?: string;
  pushTtl?: string | number;
  title?: string;
  body?: string;
  html?: string;
  attempts?: string | number;
  retryDelay?: string | number;
  retryMaxDelay?: string | number;
  ratePerMinute?: string | number;
  rateBurst?: string | number;
  timeout?: string | number;
  workOrders?: boolean;
  workOrderAction?: string;
}

export interface NotifyCredentials {
  user?: string;
  password?: string;
  token?: string;
  vapidPublicKey?: string;
  vapidPrivateKey?: string;
}

export interface NotifySettings {
  kind: ChannelKind;
  channel: Channel;
  /** The recipients of a message, from msg.to when given (e-mail), else from the configuration. */
  recipients(msgTo: unknown, msgSubscriptions: unknown): Recipient[];
  retry: RetryPolicy;
  rate?: RateLimit;
  concurrency: number;
  workOrders?: Template;
}

export interface Environment {
  /** Turns a URL starting with "/" into one on this Node-RED's HTTP-in routes. */
  localUrl(path: string): string;
}

export const DEFAULT_WORK_ORDER_ACTION = 'Inspect {{asset}}{{#sensor}} ({{sensor}}){{/sensor}}: {{summary}}';
export const MAX_QUEUE = 10_000;
const EMAIL_CONNECTIONS = 5;
const HTTP_CONCURRENCY = 8;

function invalid(reason: string): never {
  throw new PdmError('INVALID_CONFIG', reason);
}

/** Node-RED leaves a ${VAR} field as it is when VAR is not set: that counts as empty. */
function unset(value: string | number | undefined): boolean {
  return value === undefined || value === '' || (typeof value === 'string' && /^\$\{\S+\}$/.test(value.trim()));
}

function num(value: string | number | undefined, fallback: number, field: string, min: number, max = Infinity): number {
  if (unset(value)) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) invalid(`${field} must be a number from ${min}${max === Infinity ? '' : ' to ' + max}, got "${String(value)}"`);
  return n;
}

function text(value: string | undefined): string {
  return unset(value) ? '' : (value as string).trim();
}

function template(source: string | undefined, fallback: string, escaping: Parameters<typeof compileTemplate>[1], field: string): Template {
  try {
    return compileTemplate(text(source) === '' ? fallback : (source as string), escaping);
  } catch (err) {
    invalid(`${field}: ${(err as Error).message}`);
  }
}

function httpUrl(value: string | undefined, field: string, env: Environment): () => string {
  const url = text(value);
  if (url === '') invalid(`${field} is required`);
  if (url.startsWith('/')) return () => env.localUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    invalid(`${field} is not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') invalid(`${field} must be an http or https URL, got ${parsed.protocol}`);
  return () => url;
}

const EMAIL_RE = /^[^\s@<>,;]+@[^\s@<>,;]+$/;

function addresses(value: unknown, field: string): string[] {
  const list = (Array.isArray(value) ? value : String(value ?? '').split(/[,;]/)).map((a) => String(a).trim()).filter((a) => a !== '');
  const bad = list.find((a) => !EMAIL_RE.test(a.replace(/^.*<(.+)>\s*$/, '$1')));
  if (bad !== undefined) throw new PdmError(field.startsWith('msg') ? 'INVALID_PAYLOAD' : 'INVALID_CONFIG', `${field}: "${bad}" is not an e-mail address`);
  return list;
}

export function parseSubscriptions(value: unknown, field: string): PushSubscriptionLike[] {
  let list = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return [];
    try {
      list = JSON.parse(value);
    } catch (err) {
      throw new PdmError('INVALID_CONFIG', `${field} is not JSON: ${(err as Error).message}`);
    }
  }
  const items = Array.isArray(list) ? list : [list];
  return items.map((s, i) => {
    const sub = s as Partial<PushSubscriptionLike> | null;
    if (!sub || typeof sub.endpoint !== 'string' || !/^https?:\/\//.test(sub.endpoint) || typeof sub.keys?.p256dh !== 'string' || typeof sub.keys?.auth !== 'string') {
      throw new PdmError(field.startsWith('msg') ? 'INVALID_PAYLOAD' : 'INVALID_CONFIG', `${field}[${i}] must be a push subscription {endpoint, keys: {p256dh, auth}}`);
    }
    return { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
  });
}

function vapidKey(value: string | undefined, bytes: number, field: string): string {
  const key = text(value);
  if (key === '') invalid(`${field} is required (generate a pair with: npx web-push generate-vapid-keys)`);
  if (!/^[A-Za-z0-9_-]+=*$/.test(key) || Buffer.from(key, 'base64url').length !== bytes) invalid(`${field} must be ${bytes} bytes in URL-safe base64`);
  return key;
}

function channelFor(kind: ChannelKind, c: NotifyConfig, cred: NotifyCredentials, timeoutMs: number, env: Environment): Pick<NotifySettings, 'channel' | 'recipients' | 'concurrency'> {
  switch (kind) {
    case 'email': {
      const to = addresses(c.to, 'To');
      if (to.length === 0) invalid('To needs at least one e-mail address');
      const from = text(c.from);
      if (addresses(from, 'From').length !== 1) invalid('From needs one e-mail address');
      const secure = c.smtpSecure === true;
      const connections = num(c.smtpConnections, EMAIL_CONNECTIONS, 'Connections', 1, 50);
      if (!Number.isInteger(connections)) invalid(`Connections must be a whole number, got "${String(c.smtpConnections)}"`);
      const channel = createEmailChannel(
        {
          host: text(c.smtpHost) || 'localhost',
          port: num(c.smtpPort, secure ? 465 : 587, 'Port', 1, 65535),
          secure,
          requireTls: c.smtpRequireTls === true,
          tlsVerify: c.smtpTlsVerify !== false,
          ...(cred.user ? { user: cred.user, password: cred.password } : {}),
          from,
          timeoutMs,
          connections,
        },
        {
          subject: template(c.title, DEFAULT_TEMPLATES.title, 'none', 'Subject'),
          text: template(c.body, DEFAULT_TEMPLATES.text, 'none', 'Body'),
          html: template(c.html, DEFAULT_TEMPLATES.html, 'html', 'HTML'),
        },
      );
      return {
        channel,
        concurrency: connections,
        recipients: (msgTo) => [{ label: (msgTo === undefined ? to : addresses(msgTo, 'msg.to')).join(', ') }],
      };
    }
    case 'webhook': {
      const webhookKind = text(c.webhookKind) || 'json';
      if (!(WEBHOOK_KINDS as readonly string[]).includes(webhookKind)) invalid(`Format must be one of ${WEBHOOK_KINDS.join(', ')}, got "${webhookKind}"`);
      const wk = webhookKind as WebhookKind;
      const smsTo = text(c.smsTo);
      if (wk === 'sms' && smsTo === '') invalid('Phone number is required for an SMS gateway');
      const body = template(c.body, DEFAULT_TEMPLATES[wk], wk === 'sms' ? 'url' : 'json', 'Body');
      const channel = createWebhookChannel({ kind: wk, url: httpUrl(c.webhookUrl, 'URL', env), headers: authHeaders(cred.token, cred.user, cred.password), timeoutMs }, body);
      return { channel, concurrency: HTTP_CONCURRENCY, recipients: () => [{ label: wk === 'sms' ? smsTo : wk }] };
    }
    case 'ntfy': {
      const topic = text(c.ntfyTopic);
      if (!/^[\w-]{1,64}$/.test(topic)) invalid(`Topic must be 1 to 64 letters, digits, "-" or "_", got "${topic}"`);
      const channel = createNtfyChannel(
        { url: httpUrl(c.ntfyUrl, 'Server', env), topic, headers: authHeaders(cred.token, cred.user, cred.password), timeoutMs },
        template(c.title, DEFAULT_TEMPLATES.title, 'none', 'Title'),
        template(c.body, DEFAULT_TEMPLATES.text, 'none', 'Body'),
      );
      return { channel, concurrency: HTTP_CONCURRENCY, recipients: () => [{ label: topic }] };
    }
    case 'webpush': {
      const subject = text(c.vapidSubject);
      if (!/^(mailto:\S+@\S+|https:\/\/\S+)$/.test(subject)) invalid(`VAPID subject must be a mailto: or https: URL, got "${subject}"`);
      const vapid = { subject, publicKey: vapidKey(cred.vapidPublicKey, 65, 'VAPID public key'), privateKey: vapidKey(cred.vapidPrivateKey, 32, 'VAPID private key') };
      const configured = parseSubscriptions(c.subscriptions ?? '', 'Subscriptions');
      const channel = createWebPushChannel(
        { vapid, ttl: num(c.pushTtl, 86_400, 'Time to live', 0, 2_419_200), timeoutMs },
        template(c.title, DEFAULT_TEMPLATES.title, 'none', 'Title'),
        template(c.body, DEFAULT_TEMPLATES.text, 'none', 'Body'),
      );
      return {
        channel,
        concurrency: HTTP_CONCURRENCY,
        recipients: (_to, subs) =>
          (subs === undefined ? configured : parseSubscriptions(subs, 'msg.subscriptions')).map((s) => ({ label: new URL(s.endpoint).host, subscription: s })),
      };
    }
  }
}

export function notifySettings(c: NotifyConfig, cred: NotifyCredentials, env: Environment): NotifySettings {
  const kind = text(c.channel) || 'email';
  if (!(CHANNELS as readonly string[]).includes(kind)) invalid(`Channel must be one of ${CHANNELS.join(', ')}, got "${kind}"`);
  const attempts = num(c.attempts, 4, 'Attempts', 1, 20);
  if (!Number.isInteger(attempts)) invalid(`Attempts must be a whole number, got "${String(c.attempts)}"`);
  const baseDelayMs = num(c.retryDelay, 2, 'First retry after', 0.01, 3600) * 1000;
  const maxDelayMs = num(c.retryMaxDelay, 60, 'Longest retry delay', 0.01, 86_400) * 1000;
  if (maxDelayMs < baseDelayMs) invalid('Longest retry delay must not be shorter than the first');
  const perMinute = num(c.ratePerMinute, 0, 'Rate limit', 0);
  const burst = num(c.rateBurst, Math.max(1, Math.ceil(perMinute / 6)), 'Burst', 1);
  const timeoutMs = num(c.timeout, 15, 'Timeout', 0.1, 600) * 1000;
  // Checked before the channel is built, so no transport is left open when the config is invalid.
  const workOrders = c.workOrders === true ? template(c.workOrderAction, DEFAULT_WORK_ORDER_ACTION, 'none', 'Recommended action') : undefined;
  const chosen = channelFor(kind as ChannelKind, c, cred, timeoutMs, env);
  return {
    kind: kind as ChannelKind,
    ...chosen,
    retry: { attempts, baseDelayMs, maxDelayMs },
    ...(perMinute > 0 ? { rate: { perSecond: perMinute / 60, burst } } : {}),
    ...(workOrders ? { workOrders } : {}),
    concurrency: chosen.concurrency,
  };
}

