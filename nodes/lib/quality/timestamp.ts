/**
 * Event times as telemetry sends them, turned into epoch milliseconds.
 *
 * Epoch numbers carry no unit, so the unit is decided by magnitude: below 1e11 they are
 * seconds (1e11 s is the year 5138, while 1e11 ms is March 1973, before any plant data),
 * below 1e14 milliseconds, below 1e17 microseconds, and above that nanoseconds.
 */
export function epochToMs(epoch: number): number {
  if (epoch < 1e11) return epoch * 1000;
  if (epoch < 1e14) return epoch;
  if (epoch < 1e17) return epoch / 1000;
  return epoch / 1e6;
}

/** Whether an epoch number is already in milliseconds (the canonical `ts`). */
export function isEpochMs(ts: number): boolean {
  return ts >= 1e11 && ts < 1e14;
}

const ISO_8601 = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const DIGITS = /^\d+(?:\.\d+)?$/;

/**
 * A timestamp field → epoch ms, or NaN when it is not one. Accepts positive epoch numbers
 * (see `epochToMs`), strings of digits (the same), ISO 8601 strings and Date objects. An ISO
 * date-time without an offset is read as UTC: plant clocks in local time are ambiguous.
 */
export function parseTimestamp(value: unknown): number {
  if (typeof value === 'number') return value > 0 && Number.isFinite(value) ? epochToMs(value) : NaN;
  if (typeof value === 'string') return parseTimestampText(value.trim());
  if (value instanceof Date) return value.getTime();
  return NaN;
}

function parseTimestampText(text: string): number {
  if (DIGITS.test(text)) return parseTimestamp(Number(text));
  const parts = ISO_8601.exec(text);
  if (parts === null) return NaN;
  const [, date, time, zone] = parts;
  if (time === undefined) return Date.parse(date);
  let offset = zone === undefined ? 'Z' : zone.toUpperCase();
  if (offset.length === 3) offset += ':00';
  return Date.parse(`${date}T${time.replace(',', '.')}${offset}`);
}
