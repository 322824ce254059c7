/** Durations in the Alertmanager / Prometheus notation: '30s', '5m', '4h', '1d', '1w', '1h30m'. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const WHOLE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** Milliseconds of a duration string; throws with the offending text when it is not one. */
export function parseDuration(text: unknown, what = 'duration'): number {
  if (typeof text !== 'string' || !WHOLE.test(text.trim())) {
    throw new Error(`${what}: "${String(text)}" is not a duration (e.g. 30s, 5m, 4h, 1d)`);
  }
  let ms = 0;
  for (const [, n, unit] of text.trim().matchAll(PART)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}
