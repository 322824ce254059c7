import { PdmError } from '../errors';
import { list, num, optional, type Field } from './fields';
import type { MultivariateConfig } from './multivariate-detector';
import { multivariateFromConfig, type MultivariateFields } from './multivariate-config';
import { isSensorType, type SensorRule } from '../sensor-rules';
import {
  DEFAULT_CONFIG, DEFAULT_SENSOR_OPTIONS, type BaselineMode, type DetectorConfig, type DetectorName,
  type SensorOptions,
} from './options';

/** A feature is any numeric field of a feature record, named plainly. */
const FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The anomaly-detect editor fields as saved in a flow (numbers may arrive as strings). */
export interface AnomalyDetectConfig extends MultivariateFields {
  detectors?: string[];
  window?: Field;
  warmUp?: Field;
  mode?: string;
  excludeAnomalies?: boolean;
  zThreshold?: Field;
  ewmaAlpha?: Field;
  ewmaThreshold?: Field;
  robustThreshold?: Field;
  iqrK?: Field;
  min?: Field;
  max?: Field;
  rateLimit?: Field;
  cusumK?: Field;
  cusumH?: Field;
  chartLambda?: Field;
  chartL?: Field;
  shiftShort?: Field;
  shiftLong?: Field;
  shiftThreshold?: Field;
  /** "1,2,5" */
  nelsonRules?: string;
  minStd?: Field;
  rules?: { match: string; type?: string; options?: string | Record<string, unknown> }[];
  k?: Field;
  n?: Field;
  clearRatio?: Field;
  clearSamples?: Field;
  /** Seconds. */
  cooldown?: Field;
  sevLow?: Field;
  sevMedium?: Field;
  sevHigh?: Field;
  sevCritical?: Field;
  maxKeys?: Field;
  /** "mean,std" */
  features?: string;
  passNormal?: boolean;
  batchEvents?: boolean;
  store?: string;
  /** Seconds; 0 saves on close only. */
  persistInterval?: Field;
}

export interface NodeSettings {
  detector: DetectorConfig;
  /** Absent when the multivariate detector is off. */
  multivariate: MultivariateConfig | undefined;
  features: string[];
  passNormal: boolean;
  batchEvents: boolean;
  /** Context store name; undefined = the default store. */
  store: string | undefined;
  persistIntervalMs: number;
}

/**
 * The recommended settings for a slow process such as a machine temperature read every 5 minutes:
 * the multi-scale level shift alone (one hour against one day), frozen after a warm-up of normal
 * running that the user sets (a few days), an episode clearing at half the threshold, and at most
 * one new alert per key every 12 hours.
 */
export const SLOW_PROCESS_PROFILE: Readonly<AnomalyDetectConfig> = {
  detectors: ['shift'], shiftShort: 12, shiftLong: 288, shiftThreshold: 3, mode: 'freeze', clearRatio: 0.5, cooldown: 43_200,
};

/** Editor fields → detector configuration; unset fields take the defaults, bad ones fail validation. */
export function settingsFromConfig(c: AnomalyDetectConfig): NodeSettings {
  const d = DEFAULT_SENSOR_OPTIONS;
  const sensor: SensorOptions = {
    detectors: (Array.isArray(c.detectors) ? c.detectors : d.detectors) as DetectorName[],
    window: num(c.window, d.window),
    warmUp: num(c.warmUp, d.warmUp),
    zThreshold: num(c.zThreshold, d.zThreshold),
    ewmaAlpha: num(c.ewmaAlpha, d.ewmaAlpha),
    ewmaThreshold: num(c.ewmaThreshold, d.ewmaThreshold),
    robustThreshold: num(c.robustThreshold, d.robustThreshold),
    iqrK: num(c.iqrK, d.iqrK),
    min: optional(c.min),
    max: optional(c.max),
    rateLimit: optional(c.rateLimit),
    cusumK: num(c.cusumK, d.cusumK),
    cusumH: num(c.cusumH, d.cusumH),
    chartLambda: num(c.chartLambda, d.chartLambda),
    chartL: num(c.chartL, d.chartL),
    shiftShort: num(c.shiftShort, d.shiftShort),
    shiftLong: num(c.shiftLong, d.shiftLong),
    shiftThreshold: num(c.shiftThreshold, d.shiftThreshold),
    nelsonRules: c.nelsonRules === undefined ? d.nelsonRules : list(c.nelsonRules).map(Number),
    minStd: num(c.minStd, d.minStd),
  };
  const f = DEFAULT_CONFIG.fatigue;
  const s = DEFAULT_CONFIG.severities;
  const features = c.features === undefined ? ['mean'] : list(c.features);
  // Any numeric field of a feature record: window-stats' statistics, spectrum's vibration features...
  for (const feature of features) {
    if (!FEATURE_NAME.test(feature)) {
      throw new PdmError('INVALID_CONFIG', `"${feature}" is not a feature name (letters, digits and _ only)`);
    }
  }
  const persistS = num(c.persistInterval, 30);
  if (!(persistS >= 0)) throw new PdmError('INVALID_CONFIG', 'the save interval must be ≥ 0 seconds');
  const detector: DetectorConfig = {
    sensor,
    rules: (c.rules ?? []).map(ruleFromRow),
    mode: (c.mode || DEFAULT_CONFIG.mode) as BaselineMode,
    excludeAnomalies: c.excludeAnomalies ?? DEFAULT_CONFIG.excludeAnomalies,
    fatigue: {
      k: num(c.k, f.k),
      n: num(c.n, f.n),
      clearRatio: num(c.clearRatio, f.clearRatio),
      clearSamples: num(c.clearSamples, f.clearSamples),
      cooldownMs: num(c.cooldown, f.cooldownMs / 1000) * 1000,
    },
    severities: {
      low: num(c.sevLow, s.low),
      medium: num(c.sevMedium, s.medium),
      high: num(c.sevHigh, s.high),
      critical: num(c.sevCritical, s.critical),
    },
    maxKeys: num(c.maxKeys, DEFAULT_CONFIG.maxKeys),
  };
  return {
    detector,
    multivariate: multivariateFromConfig(c, detector),
    features,
    passNormal: c.passNormal ?? false,
    batchEvents: c.batchEvents ?? false,
    store: c.store ? c.store : undefined,
    persistIntervalMs: persistS * 1000,
  };
}

const RULE_FIELDS = new Set<string>([...Object.keys(DEFAULT_SENSOR_OPTIONS), 'min', 'max', 'rateLimit']);

/** An editor rule row: a glob, an optional sensor type and a JSON object of per-sensor options. */
function ruleFromRow(row: NonNullable<AnomalyDetectConfig['rules']>[number]): SensorRule<SensorOptions> {
  let options: unknown = row.options ?? {};
  if (typeof options === 'string') {
    try {
      options = options.trim() === '' ? {} : JSON.parse(options);
    } catch (err) {
      throw new PdmError('INVALID_CONFIG', `rule "${row.match}": options are not JSON`, { cause: err });
    }
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new PdmError('INVALID_CONFIG', `rule "${row.match}": options must be a JSON object`);
  }
  for (const key of Object.keys(options)) {
    if (!RULE_FIELDS.has(key)) throw new PdmError('INVALID_CONFIG', `rule "${row.match}": unknown option "${key}"`);
  }
  const type = row.type ? row.type : undefined;
  if (type !== undefined && !isSensorType(type)) throw new PdmError('INVALID_CONFIG', `rule "${row.match}": unknown sensor type "${type}"`);
  return { match: row.match, type, options: options as Partial<SensorOptions> };
}
