/**
 * An on-call rotation: members take turns for a fixed shift (a week by default) from a start
 * time (the first hand-over), and overrides put someone else on call for a time.
 */
import { parseDuration } from './duration';

export interface OnCallPerson {
  name: string;
  contact?: string;
}

export interface OnCallInput {
  /** ISO 8601 time of a hand-over to the first member, e.g. '2026-01-05T08:00:00Z' (a Monday). */
  start: string;
  /** Length of one turn; '1w' when absent. */
  shift?: string;
  members: OnCallPerson[];
  overrides?: Array<OnCallPerson & { start: string; end: string }>;
}

export interface OnCallRotation {
  at(ts: number): OnCallPerson;
}

function person(value: unknown, what: string): OnCallPerson {
  const p = value as OnCallPerson | null;
  if (typeof p?.name !== 'string' || p.name === '') throw new Error(`${what}: a name is required`);
  if (p.contact !== undefined && typeof p.contact !== 'string') throw new Error(`${what}: contact must be text`);
  return p.contact === undefined ? { name: p.name } : { name: p.name, contact: p.contact };
}

function isoTime(text: unknown, what: string): number {
  const ts = typeof text === 'string' ? Date.parse(text) : NaN;
  if (!Number.isFinite(ts)) throw new Error(`${what}: "${String(text)}" is not an ISO 8601 date-time`);
  return ts;
}

export function compileOnCall(input: OnCallInput, what: string): OnCallRotation {
  if (typeof input !== 'object' || input === null) throw new Error(`${what}: expected an object`);
  const start = isoTime(input.start, `${what}.start`);
  const shift = parseDuration(input.shift ?? '1w', `${what}.shift`);
  if (shift <= 0) throw new Error(`${what}.shift: must be longer than 0`);
  if (!Array.isArray(input.members) || input.members.length === 0) throw new Error(`${what}.members: at least one member is required`);
  const members = input.members.map((m, i) => person(m, `${what}.members[${i}]`));
  if (input.overrides !== undefined && !Array.isArray(input.overrides)) throw new Error(`${what}.overrides: expected a list`);
  const overrides = (input.overrides ?? []).map((o, i) => {
    const from = isoTime(o?.start, `${what}.overrides[${i}].start`);
    const to = isoTime(o?.end, `${what}.overrides[${i}].end`);
    if (to <= from) throw new Error(`${what}.overrides[${i}]: end must be after start`);
    return { from, to, who: person(o, `${what}.overrides[${i}]`) };
  });
  return {
    at(ts: number): OnCallPerson {
      // The latest override wins where several overlap.
      for (let i = overrides.length - 1; i >= 0; i--) if (ts >= overrides[i].from && ts < overrides[i].to) return overrides[i].who;
      const turn = Math.floor((ts - start) / shift);
      const n = members.length;
      return members[((turn % n) + n) % n];
    },
  };
}
