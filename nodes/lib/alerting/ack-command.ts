/**
 * Commands for alert-router from alert-ack's three doors (a message, the admin HTTP API, a signed
 * link), checked the same way, and the audit record of what was done.
 */
import { PdmError } from '../errors';
import { ALERT_ACTIONS, type AlertAction, type AlertCommand, type AlertCommandResult } from './types';

export interface CommandDefaults {
  /** Shelve and silence durations when the command gives no `until`. */
  shelveMs: number;
  silenceMs: number;
}

/** One line of the audit trail alert-ack emits for every command, applied or refused. */
export interface AuditRecord {
  ts: number;
  action: AlertAction;
  by: string;
  via: string;
  comment?: string;
  alertIds: string[];
  target?: { alertId?: string; key?: string; matchers?: string[]; silenceId?: string };
  ok: boolean;
  reason?: string;
}

const MAX_COMMENT = 1000;
const MAX_ID = 256;

function bad(reason: string): never {
  throw new PdmError('INVALID_PAYLOAD', reason);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function optionalId(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > MAX_ID) bad(`${field} must be a string of at most ${MAX_ID} characters`);
  return v;
}

function time(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) bad(`${field} must be epoch ms or an ISO 8601 time, got ${JSON.stringify(v)}`);
  return t;
}

/** The user who sent a message: msg.user as a name or {name | username | email}, or Dashboard 2's msg._client.user. */
export function userOf(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    if (typeof c === 'string' && c.trim() !== '') return c.trim().slice(0, MAX_ID);
    if (isRecord(c)) {
      const name = c.username ?? c.name ?? c.email ?? c.userId;
      if (typeof name === 'string' && name.trim() !== '') return name.trim().slice(0, MAX_ID);
    }
  }
  return undefined;
}

export function parseCommand(input: unknown, by: string, via: string, now: number, defaults: CommandDefaults): AlertCommand {
  if (!isRecord(input)) bad(`the command must be an object {action, alertId | key | matchers}, got ${Array.isArray(input) ? 'array' : typeof input}`);
  const action = input.action;
  if (typeof action !== 'string' || !(ALERT_ACTIONS as readonly string[]).includes(action)) bad(`action must be one of ${ALERT_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`);
  const alertId = optionalId(input.alertId, 'alertId');
  const key = optionalId(input.key, 'key');
  const silenceId = optionalId(input.silenceId, 'silenceId');
  let matchers: string[] | undefined;
  if (input.matchers !== undefined) {
    if (!Array.isArray(input.matchers) || input.matchers.length === 0 || !input.matchers.every((m) => typeof m === 'string' && m.length <= MAX_ID)) {
      bad('matchers must be a non-empty array of strings such as asset="pump-1"');
    }
    matchers = input.matchers as string[];
  }
  if (action === 'expire-silence') {
    if (!silenceId) bad('expire-silence needs a silenceId');
  } else if (action === 'silence') {
    if (!matchers && !alertId && !key) bad('silence needs matchers, an alertId or a key');
  } else if (!alertId && !key) bad(`${action} needs an alertId or a key`);
  let until = time(input.until, 'until');
  if (until === undefined && (action === 'shelve' || action === 'silence')) until = now + (action === 'shelve' ? defaults.shelveMs : defaults.silenceMs);
  if (until !== undefined && until <= now) bad(`until must be in the future, got ${new Date(until).toISOString()}`);
  const comment = input.comment;
  if (comment !== undefined && comment !== null && typeof comment !== 'string') bad('comment must be a string');
  return {
    action: action as AlertAction,
    ...(alertId ? { alertId } : {}),
    ...(key ? { key } : {}),
    ...(matchers ? { matchers } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(silenceId ? { silenceId } : {}),
    by,
    ...(typeof comment === 'string' && comment.trim() !== '' ? { comment: comment.trim().slice(0, MAX_COMMENT) } : {}),
    via,
    ts: now,
  };
}

export function auditRecord(command: AlertCommand, result: AlertCommandResult): AuditRecord {
  const target = {
    ...(command.alertId ? { alertId: command.alertId } : {}),
    ...(command.key ? { key: command.key } : {}),
    ...(command.matchers ? { matchers: command.matchers } : {}),
    ...(command.silenceId ? { silenceId: command.silenceId } : {}),
  };
  return {
    ts: command.ts ?? Date.now(),
    action: command.action,
    by: command.by,
    via: command.via ?? 'message',
    ...(command.comment ? { comment: command.comment } : {}),
    alertIds: result.alerts.map((a) => a.id),
    target,
    ok: result.ok,
    ...(result.reason ? { reason: result.reason } : {}),
  };
}
