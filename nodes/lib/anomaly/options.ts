import { PdmError } from '../errors';
import type { SensorRule, SensorType } from '../sensor-rules';
import { DEFAULT_SEVERITIES, type SeverityThresholds } from './events';
import { DEFAULT_FATIGUE, type FatigueOptions } from './fatigue';

/** The univariate detectors, in the order their scores are kept. */
export const DETECTOR_NAMES = [
  'zscore', 'ewma', 'robust', 'iqr', 'limits', 'rate', 'cusum', 'ewmaChart', 'nelson', 'shift',
] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** O(1) per reading; robust z and IQR keep a sorted window and are opt-in. */
export const DEFAULT_DETECTORS: readonly DetectorName[] = ['zscore', 'ewma', 'limits', 'cusum'];

/** Options that a rule row may set per sensor (thresholds and which detectors run). */
export interface SensorOptions {
  detectors: DetectorName[];
  /** Rolling baseline length (samples). */
  window: number;
  /** Samples learned before statistical detectors score. */
  warmUp: number;
  /** |z| at which the rolling z-score reaches score 1. */
  zThreshold: number;
  /** EWMA baseline smoothing factor in (0, 1]. */
  ewmaAlpha: number;
  ewmaThreshold: number;
  /** |x − median| / (1.4826·MAD) at score 1. */
  robustThreshold: number;
  /** Tukey fence factor: Q1 − k·IQR, Q3 + k·IQR. */
  iqrK: number;
  /** Hard limits; absent = not checked. */
  min?: number;
  max?: number;
  /** Largest |Δvalue/Δt| per second; absent = not checked. */
  rateLimit?: number;
  /** CUSUM slack and decision interval, in σ of the baseline. */
  cusumK: number;
  cusumH: number;
  /** EWMA control chart smoothing λ and limit width L. */
  chartLambda: number;
  chartL: number;
  /** Level shift: spans (samples) of the short and long EWMA, and |difference − mean| in σ at score 1. */
  shiftShort: number;
  shiftLong: number;
  shiftThreshold: number;
  /** Enabled Nelson rules, 1..8. */
  nelsonRules: number[];
  /** Floor for every σ (the sensor's resolution), so a flat signal does not give infinite scores. */
  minStd: number;
}

export const DEFAULT_SENSOR_OPTIONS: SensorOptions = {
  detectors: [...DEFAULT_DETECTORS],
  window: 100,
  warmUp: 50,
  zThreshold: 3.5,
  ewmaAlpha: 0.02,
  ewmaThreshold: 3.5,
  robustThreshold: 3.5,
  iqrK: 1.5,
  cusumK: 0.5,
  cusumH: 5,
  chartLambda: 0.2,
  chartL: 3,
  shiftShort: 12,
  shiftLong: 288,
  shiftThreshold: 4,
  nelsonRules: [1, 2, 3, 4, 5, 6, 7, 8],
  minStd: 0,
};

/** Sensor-type profiles: the σ floor is the usual resolution of such a sensor; vibration is heavy-tailed. */
export const TYPE_DEFAULTS: Partial<Record<SensorType, Partial<SensorOptions>>> = {
  temperature: { minStd: 0.05 },
  vibration: { zThreshold: 4, ewmaThreshold: 4, minStd: 0.01 },
  pressure: { minStd: 0.001 },
  current: { minStd: 0.01 },
  speed: { minStd: 0.5 },
};

export type BaselineMode = 'learn' | 'freeze';

export interface DetectorConfig {
  sensor: SensorOptions;
  rules: SensorRule<SensorOptions>[];
  /** 'learn': baselines follow the data; 'freeze': they stop learning once warmed up. */
  mode: BaselineMode;
  /** Keep readings scored ≥ 1 out of the baseline, so a long fault does not become normal. */
  excludeAnomalies: boolean;
  fatigue: FatigueOptions;
  severities: SeverityThresholds;
  maxKeys: number;
}

export const DEFAULT_CONFIG: DetectorConfig = {
  sensor: DEFAULT_SENSOR_OPTIONS,
  rules: [],
  mode: 'learn',
  excludeAnomalies: true,
  fatigue: DEFAULT_FATIGUE,
  severities: DEFAULT_SEVERITIES,
  maxKeys: 100_000,
};

/** Largest rolling window: the ring and the sorted copy live in every key. */
export const MAX_WINDOW = 100_000;

function invalid(message: string): never {
  throw new PdmError('INVALID_CONFIG', message);
}

function positive(name: string, value: number, max = Infinity): void {
  if (typeof value !== 'number' || !(value > 0) || value > max) invalid(`${name} must be a number in (0, ${max}]`);
}

function integer(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) invalid(`${name} must be an integer in [${min}, ${max}]`);
}

/** Throws PdmError('INVALID_CONFIG') naming the first bad option. */
export function validateSensorOptions(o: SensorOptions, where = 'options'): void {
  const at = (name: string) => `${where}: ${name}`;
  if (!Array.isArray(o.detectors)) invalid(at('detectors must be a list'));
  for (const d of o.detectors) if (!DETECTOR_NAMES.includes(d)) invalid(at(`unknown detector "${String(d)}"`));
  integer(at('window'), o.window, 2, MAX_WINDOW);
  integer(at('warmUp'), o.warmUp, 2, 10_000_000);
  positive(at('zThreshold'), o.zThreshold);
  positive(at('ewmaAlpha'), o.ewmaAlpha, 1);
  positive(at('ewmaThreshold'), o.ewmaThreshold);
  positive(at('robustThreshold'), o.robustThreshold);
  positive(at('iqrK'), o.iqrK);
  if (typeof o.cusumK !== 'number' || !(o.cusumK >= 0)) invalid(at('cusumK must be ≥ 0'));
  positive(at('cusumH'), o.cusumH);
  positive(at('chartLambda'), o.chartLambda, 1);
  positive(at('chartL'), o.chartL);
  integer(at('shiftShort'), o.shiftShort, 1, MAX_WINDOW);
  integer(at('shiftLong'), o.shiftLong, 2, 10_000_000);
  if (!(o.shiftLong > o.shiftShort)) invalid(at('shiftLong must be longer than shiftShort'));
  positive(at('shiftThreshold'), o.shiftThreshold);
  if (typeof o.minStd !== 'number' || !(o.minStd >= 0)) invalid(at('minStd must be ≥ 0'));
  for (const name of ['min', 'max', 'rateLimit'] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) invalid(at(`${name} must be a finite number`));
  }
  if (o.min !== undefined && o.max !== undefined && !(o.min < o.max)) invalid(at('min must be below max'));
  if (o.rateLimit !== undefined && !(o.rateLimit > 0)) invalid(at('rateLimit must be > 0'));
  if (!Array.isArray(o.nelsonRules)) invalid(at('nelsonRules must be a list'));
  for (const r of o.nelsonRules) integer(at('Nelson rule'), r, 1, 8);
}

export function validateConfig(c: DetectorConfig): void {
  validateSensorOptions(c.sensor, 'defaults');
  for (const rule of c.rules) validateSensorOptions({ ...c.sensor, ...rule.options }, `rule "${rule.match}"`);
  if (c.mode !== 'learn' && c.mode !== 'freeze') invalid(`mode must be 'learn' or 'freeze'`);
  validateFatigue(c.fatigue);
  const s = c.severities;
  if (!(s.low > 0 && s.low <= s.medium && s.medium <= s.high && s.high <= s.critical && Number.isFinite(s.critical))) {
    invalid('severity thresholds must be positive and ascending (low ≤ medium ≤ high ≤ critical)');
  }
  integer('maxKeys', c.maxKeys, 1, 100_000_000);
}

/** Fatigue options of any scorer; `where` prefixes the names in the message. */
export function validateFatigue(f: FatigueOptions, where = ''): void {
  integer(`${where}fatigue n`, f.n, 1, 32);
  integer(`${where}fatigue k`, f.k, 1, f.n);
  positive(`${where}clearRatio`, f.clearRatio, 1);
  integer('clearSamples', f.clearSamples, 1, 1_000_000);
  if (typeof f.cooldownMs !== 'number' || !(f.cooldownMs >= 0)) invalid('cooldown must be ≥ 0');
}

/** Per-key options in the form the hot path reads: detector flags as bits. */
export interface CompiledOptions extends SensorOptions {
  flags: number;
  nelsonMask: number;
  /** Robust z or IQR needs the sorted window. */
  sorted: boolean;
}

export function detectorBit(name: DetectorName): number {
  return 1 << DETECTOR_NAMES.indexOf(name);
}

export function compileOptions(o: SensorOptions): CompiledOptions {
  let flags = 0;
  for (const d of o.detectors) flags |= detectorBit(d);
  if (o.min === undefined && o.max === undefined) flags &= ~detectorBit('limits');
  if (o.rateLimit === undefined) flags &= ~detectorBit('rate');
  let nelsonMask = 0;
  for (const r of o.nelsonRules) nelsonMask |= 1 << (r - 1);
  const sorted = (flags & (detectorBit('robust') | detectorBit('iqr'))) !== 0;
  return { ...o, flags, nelsonMask, sorted };
}
