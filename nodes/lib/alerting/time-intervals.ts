/**
 * Named time intervals after Alertmanager's `time_intervals` (shifts, weekly maintenance
 * windows): times of day, weekdays, days of the month, months and years, in a time zone; plus
 * `dates`, absolute ranges for one-off maintenance windows.
 */
export interface TimeRangeInput {
  start_time: string;
  end_time: string;
}

export interface TimeSpecInput {
  times?: TimeRangeInput[];
  weekdays?: string[];
  days_of_month?: string[];
  months?: string[];
  years?: string[];
  /** IANA zone, e.g. 'Europe/Berlin'; UTC when absent. */
  location?: string;
  /** Absolute ranges, ISO 8601 start and end. */
  dates?: Array<{ start: string; end: string }>;
}

export interface TimeIntervalInput {
  name: string;
  time_intervals: TimeSpecInput[];
}

type Range = [number, number];

interface TimeSpec {
  times: Range[] | undefined;
  weekdays: Range[] | undefined;
  daysOfMonth: Range[] | undefined;
  months: Range[] | undefined;
  years: Range[] | undefined;
  dates: Range[] | undefined;
  zone: Intl.DateTimeFormat | undefined;
}

export type IntervalSet = (ts: number) => boolean;

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const CLOCK = /^(\d{2}):(\d{2})$/;

function minuteOfDay(text: unknown, what: string): number {
  const m = typeof text === 'string' ? CLOCK.exec(text) : null;
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60) throw new Error(`${what}: "${String(text)}" is not a time HH:MM between 00:00 and 24:00`);
  return minutes;
}

/** "monday:friday", "1:5", "-1", "january" → inclusive ranges; names resolved through `names`. */
function ranges(list: unknown, what: string, parse: (part: string) => number): Range[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new Error(`${what}: expected a list`);
  return list.map((item) => {
    const parts = typeof item === 'string' ? item.split(':') : [];
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`${what}: "${String(item)}" is not a value or a range a:b`);
    const low = parse(parts[0].trim().toLowerCase());
    const high = parts.length === 2 ? parse(parts[1].trim().toLowerCase()) : low;
    if (!(low <= high) && !(low < 0 && high < 0)) throw new Error(`${what}: range "${String(item)}" ends before it starts`);
    return [low, high];
  });
}

function named(names: string[], what: string): (part: string) => number {
  return (part) => {
    const i = names.indexOf(part);
    if (i >= 0) return names === MONTHS ? i + 1 : i;
    const n = Number(part);
    if (names === MONTHS && Number.isInteger(n) && n >= 1 && n <= 12) return n;
    throw new Error(`${what}: unknown name "${part}"`);
  };
}

function integer(min: number, max: number, what: string): (part: string) => number {
  return (part) => {
    const n = Number(part);
    if (!Number.isInteger(n) || n < min || n > max || n === 0) throw new Error(`${what}: "${part}" is out of range`);
    return n;
  };
}

function isoTime(text: unknown, what: string): number {
  const ts = typeof text === 'string' ? Date.parse(text) : NaN;
  if (!Number.isFinite(ts)) throw new Error(`${what}: "${String(text)}" is not an ISO 8601 date-time`);
  return ts;
}

function compileSpec(input: TimeSpecInput, what: string): TimeSpec {
  if (typeof input !== 'object' || input === null) throw new Error(`${what}: expected an object`);
  let zone: Intl.DateTimeFormat | undefined;
  if (input.location !== undefined && input.location !== 'UTC') {
    try {
      zone = new Intl.DateTimeFormat('en-US', {
        timeZone: input.location, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'long',
      });
    } catch {
      throw new Error(`${what}.location: unknown time zone "${String(input.location)}"`);
    }
  }
  const times = input.times === undefined ? undefined : (Array.isArray(input.times) ? input.times : [null]).map((t, i): Range => {
    const start = minuteOfDay(t?.start_time, `${what}.times[${i}].start_time`);
    const end = minuteOfDay(t?.end_time, `${what}.times[${i}].end_time`);
    if (end <= start) throw new Error(`${what}.times[${i}]: end_time must be after start_time`);
    return [start, end];
  });
  const dates = input.dates === undefined ? undefined : (Array.isArray(input.dates) ? input.dates : [null]).map((d, i): Range => {
    const start = isoTime(d?.start, `${what}.dates[${i}].start`);
    const end = isoTime(d?.end, `${what}.dates[${i}].end`);
    if (end <= start) throw new Error(`${what}.dates[${i}]: end must be after start`);
    return [start, end];
  });
  return {
    times,
    dates,
    zone,
    weekdays: ranges(input.weekdays, `${what}.weekdays`, named(WEEKDAYS, `${what}.weekdays`)),
    daysOfMonth: ranges(input.days_of_month, `${what}.days_of_month`, integer(-31, 31, `${what}.days_of_month`)),
    months: ranges(input.months, `${what}.months`, named(MONTHS, `${what}.months`)),
    years: ranges(input.years, `${what}.years`, integer(1, 9999, `${what}.years`)),
  };
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
  daysInMonth: number;
}

function localTime(ts: number, zone: Intl.DateTimeFormat | undefined): LocalTime {
  let year: number, month: number, day: number, weekday: number, minute: number;
  if (zone === undefined) {
    const d = new Date(ts);
    year = d.getUTCFullYear();
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
    weekday = d.getUTCDay();
    minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  } else {
    const parts: Record<string, string> = {};
    for (const p of zone.formatToParts(ts)) parts[p.type] = p.value;
    year = Number(parts.year);
    month = Number(parts.month);
    day = Number(parts.day);
    weekday = WEEKDAYS.indexOf(parts.weekday.toLowerCase());
    minute = Number(parts.hour) * 60 + Number(parts.minute);
  }
  return { year, month, day, weekday, minute, daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate() };
}

const within = (value: number, list: Range[] | undefined): boolean => list === undefined || list.some(([a, b]) => value >= a && value <= b);

function specContains(spec: TimeSpec, ts: number): boolean {
  if (spec.dates && !spec.dates.some(([a, b]) => ts >= a && ts < b)) return false;
  if (!spec.times && !spec.weekdays && !spec.daysOfMonth && !spec.months && !spec.years) return true;
  const t = localTime(ts, spec.zone);
  if (spec.times && !spec.times.some(([a, b]) => t.minute >= a && t.minute < b)) return false;
  if (!within(t.weekday, spec.weekdays) || !within(t.month, spec.months) || !within(t.year, spec.years)) return false;
  if (spec.daysOfMonth) {
    // Negative days count from the end of the month: -1 is its last day.
    const abs = (d: number): number => (d < 0 ? t.daysInMonth + d + 1 : d);
    if (!spec.daysOfMonth.some(([a, b]) => t.day >= abs(a) && t.day <= abs(b))) return false;
  }
  return true;
}

/** Validates the list and returns each named interval as a membership test. */
export function compileTimeIntervals(list: unknown): Map<string, IntervalSet> {
  const out = new Map<string, IntervalSet>();
  if (list === undefined) return out;
  if (!Array.isArray(list)) throw new Error('time intervals: expected a list of {name, time_intervals}');
  list.forEach((entry: TimeIntervalInput, i) => {
    const what = `time_intervals[${i}]`;
    if (typeof entry?.name !== 'string' || entry.name === '') throw new Error(`${what}: a name is required`);
    if (out.has(entry.name)) throw new Error(`${what}: duplicate name "${entry.name}"`);
    if (!Array.isArray(entry.time_intervals)) throw new Error(`${what} (${entry.name}): time_intervals must be a list`);
    const specs = entry.time_intervals.map((s, j) => compileSpec(s, `${what}.time_intervals[${j}]`));
    out.set(entry.name, (ts) => specs.some((s) => specContains(s, ts)));
  });
  return out;
}
