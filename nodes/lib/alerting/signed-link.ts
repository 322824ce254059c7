/**
 * Signed links for acting on an alert from an e-mail or a chat message without logging in:
 * the token carries the alert id, the action, the expiry and the recipient it was sent to, and an
 * HMAC-SHA256 over them with a secret only Node-RED knows. Whoever holds the link can do that one
 * action on that one alert until it expires; the recipient is recorded as who did it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PdmError } from '../errors';
import type { AlertAction } from './types';

/** The actions a link may carry: the ones that need nothing more than the alert. */
export const LINK_ACTIONS = ['acknowledge', 'resolve', 'shelve'] as const satisfies readonly AlertAction[];
export type LinkAction = (typeof LINK_ACTIONS)[number];

export interface LinkClaims {
  alertId: string;
  action: LinkAction;
  /** Epoch ms after which the link no longer works. */
  expires: number;
  recipient: string;
}

export type VerifyResult = { ok: true; claims: LinkClaims } | { ok: false; reason: string };

/** What notify asks for when it builds a message: a link, or undefined when links are not set up. */
export interface LinkIssuer {
  link(alertId: string, action: LinkAction, recipient: string): string | undefined;
}

/** Shorter secrets make the MAC guessable offline from one captured link. */
export const MIN_SECRET_LENGTH = 16;
const MAX_TOKEN_LENGTH = 2048;

interface WireClaims {
  a: string;
  x: string;
  e: number;
  r: string;
}

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

export function checkSecret(secret: string | undefined): string {
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    throw new PdmError('INVALID_CONFIG', `the link secret must have at least ${MIN_SECRET_LENGTH} characters`);
  }
  return secret;
}

export function signLink(claims: LinkClaims, secret: string): string {
  const wire: WireClaims = { a: claims.alertId, x: claims.action, e: Math.floor(claims.expires / 1000), r: claims.recipient };
  const body = Buffer.from(JSON.stringify(wire)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

function isLinkAction(action: unknown): action is LinkAction {
  return typeof action === 'string' && (LINK_ACTIONS as readonly string[]).includes(action);
}

export function verifyLink(token: unknown, secret: string, now: number): VerifyResult {
  if (typeof token !== 'string' || token.length === 0) return { ok: false, reason: 'the link has no token' };
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'the link token is too long' };
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'the link token is malformed' };
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the link signature is not valid' };
  let wire: Partial<WireClaims>;
  try {
    wire = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<WireClaims>;
  } catch {
    return { ok: false, reason: 'the link token is malformed' };
  }
  if (typeof wire.a !== 'string' || typeof wire.r !== 'string' || typeof wire.e !== 'number' || !isLinkAction(wire.x)) {
    return { ok: false, reason: 'the link token is malformed' };
  }
  const expires = wire.e * 1000;
  if (now > expires) return { ok: false, reason: `the link expired at ${new Date(expires).toISOString()}` };
  return { ok: true, claims: { alertId: wire.a, action: wire.x, expires, recipient: wire.r } };
}

/** The public URL of a link: `base` is where this Node-RED's HTTP-in routes are reached from outside. */
export function linkUrl(base: string, path: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}?t=${encodeURIComponent(token)}`;
}
