import { PdmError } from './errors';

/**
 * Per-sensor options for nodes that check or score readings: a sensor-type profile gives
 * defaults (the plausible range of a temperature, a vibration velocity...), and an editor
 * rule table overrides them for the sensors a glob matches.
 */
export type SensorType = 'temperature' | 'vibration' | 'pressure' | 'current' | 'speed' | 'flow' | 'default';

export const SENSOR_TYPES: readonly SensorType[] = [
  'temperature', 'vibration', 'pressure', 'current', 'speed', 'flow', 'default',
];

export interface RangeProfile {
  min: number;
  max: number;
  unit?: string;
}

/** Physically plausible ranges; a reading outside is a sensor or wiring fault, not an anomaly. */
export const RANGE_PROFILES: Readonly<Record<SensorType, RangeProfile>> = {
  temperature: { min: -40, max: 200, unit: '°C' },
  vibration: { min: 0, max: 500, unit: 'mm/s' },
  pressure: { min: 0, max: 100, unit: 'bar' },
  current: { min: 0, max: 5000, unit: 'A' },
  speed: { min: 0, max: 100_000, unit: 'rpm' },
  flow: { min: 0, max: 1_000_000 },
  default: { min: -Infinity, max: Infinity },
};

const TYPE_BY_NAME: ReadonlyArray<[RegExp, SensorType]> = [
  [/temp|thermo/i, 'temperature'],
  [/vib|accel|velocity/i, 'vibration'],
  [/press/i, 'pressure'],
  [/current|amp/i, 'current'],
  [/speed|rpm/i, 'speed'],
  [/flow/i, 'flow'],
];

export function inferSensorType(sensor: string): SensorType {
  for (const [pattern, type] of TYPE_BY_NAME) if (pattern.test(sensor)) return type;
  return 'default';
}

export function isSensorType(value: unknown): value is SensorType {
  return SENSOR_TYPES.includes(value as SensorType);
}

export interface SensorRule<T> {
  /** Glob ('*' any run, '?' one character) on "asset/sensor", or on the sensor name when it has no '/'. */
  match: string;
  type?: SensorType;
  options: Partial<T>;
}

export function compileGlob(pattern: string): RegExp {
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw new PdmError('INVALID_CONFIG', 'a rule needs a non-empty match pattern');
  }
  if (pattern.length > 500) throw new PdmError('INVALID_CONFIG', 'a match pattern is longer than 500 characters');
  const body = pattern
    .trim()
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

interface CompiledRule<T> {
  pattern: RegExp;
  onSensorOnly: boolean;
  type?: SensorType;
  options: Partial<T>;
}

export interface ResolvedSensorOptions<T> {
  type: SensorType;
  options: T;
}

/**
 * Effective options for a key: defaults ← the sensor type's defaults ← the first matching
 * rule. Keys that meet the same rule with the same sensor type share one resolved object, so
 * per-key state holds a reference rather than its own copy of every option.
 */
export class SensorRuleTable<T extends object> {
  private readonly rules: CompiledRule<T>[];
  /** By rule index (−1: none) and sensor type; at most (rules + 1) × types entries. */
  private readonly shared = new Map<string, ResolvedSensorOptions<T>>();

  constructor(
    private readonly defaults: T,
    rules: SensorRule<T>[],
    private readonly typeDefaults: Partial<Record<SensorType, Partial<T>>> = {},
  ) {
    this.rules = rules.map((rule) => {
      if (rule.type !== undefined && !isSensorType(rule.type)) {
        throw new PdmError('INVALID_CONFIG', `unknown sensor type "${String(rule.type)}" in rule "${rule.match}"`);
      }
      return {
        pattern: compileGlob(rule.match),
        onSensorOnly: !rule.match.includes('/'),
        type: rule.type,
        options: rule.options,
      };
    });
  }

  /** The options of a key; treat them as read-only, other keys share them. */
  resolve(asset: string, sensor: string): ResolvedSensorOptions<T> {
    const key = `${asset}/${sensor}`;
    const index = this.rules.findIndex((r) => r.pattern.test(r.onSensorOnly ? sensor : key));
    const rule = index >= 0 ? this.rules[index] : undefined;
    const type = rule?.type ?? inferSensorType(sensor);
    const id = `${index}:${type}`;
    const known = this.shared.get(id);
    if (known) return known;
    const options = { ...this.defaults, ...definedOnly(this.typeDefaults[type] ?? {}), ...definedOnly(rule?.options ?? {}) };
    const resolved = { type, options };
    this.shared.set(id, resolved);
    return resolved;
  }
}

/** Drops undefined fields so that an empty editor cell does not override a default. */
function definedOnly<T extends object>(partial: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(partial) as (keyof T)[]) {
    if (partial[key] !== undefined) out[key] = partial[key];
  }
  return out;
}
