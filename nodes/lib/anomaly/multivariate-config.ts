import { PdmError } from '../errors';
import { list, num, optional, type Field } from './fields';
import type { MultivariateConfig } from './multivariate-detector';
import { validateFatigue, type DetectorConfig } from './options';
import type { SmoothingOptions } from './smoother';

/** The "Multivariate (per asset)" editor fields. */
export interface MultivariateFields {
  mvEnabled?: boolean;
  /** Comma list of sensor names, in vector order. */
  mvSensors?: string;
  mvAlign?: string;
  /** 'pca' (T² and Q) or 'deviation' (each sensor against its moving centre). */
  mvMethod?: string;
  /** Milliseconds. */
  mvTolerance?: Field;
  /** Milliseconds. */
  mvMaxAge?: Field;
  mvTraining?: Field;
  mvVariance?: Field;
  mvQuantile?: Field;
  mvSmoothing?: string;
  mvWindow?: Field;
  mvK?: Field;
  mvN?: Field;
  mvClearBelow?: Field;
  mvExcludeDrifting?: boolean;
  mvDriftThreshold?: Field;
  mvCentring?: boolean;
  /** Vectors. */
  mvCentringTime?: Field;
  /** 'deviation': rolling-mean length, vectors. */
  mvDevWindow?: Field;
  /** 'deviation': moving-centre time constant, vectors. */
  mvDevCentreTime?: Field;
}

/** Editor defaults of the multivariate section. */
export const MULTIVARIATE_DEFAULTS = {
  align: 'timestamp',
  method: 'pca',
  toleranceMs: 500,
  maxAgeMs: 5000,
  trainingSize: 400,
  varianceShare: 0.95,
  limitQuantile: 0.99,
  smoothing: 'none',
  window: 5,
  k: 3,
  n: 5,
  clearBelow: 0.8,
  excludeDrifting: false,
  driftThreshold: 3,
  centring: false,
  centringTime: 60,
  deviationWindow: 5,
  deviationCentreTime: 300,
} as const;

function invalid(message: string): never {
  throw new PdmError('INVALID_CONFIG', `multivariate: ${message}`);
}

/**
 * The sensor list must name each sensor: the vector order and a stored model depend on a fixed
 * set, which a glob or "the first sensors seen" would make depend on arrival order.
 */
export function parseSensorList(text: string | undefined): string[] {
  const sensors = list(text);
  if (sensors.length < 2) invalid('list at least two sensor names, separated by commas');
  for (const s of sensors) if (/[*?]/.test(s)) invalid(`"${s}": name each sensor; patterns with * or ? are not accepted`);
  const twice = sensors.find((s, i) => sensors.indexOf(s) !== i);
  if (twice !== undefined) invalid(`sensor "${twice}" is listed twice`);
  return sensors;
}

/** Multivariate editor fields → detector configuration; undefined when the section is off. */
export function multivariateFromConfig(c: MultivariateFields, detector: DetectorConfig): MultivariateConfig | undefined {
  if (!c.mvEnabled) return undefined;
  const d = MULTIVARIATE_DEFAULTS;
  const sensors = parseSensorList(c.mvSensors);
  const align = c.mvAlign || d.align;
  if (align !== 'timestamp' && align !== 'latest') invalid(`unknown alignment "${align}"`);
  const method = c.mvMethod || d.method;
  if (method !== 'pca' && method !== 'deviation') invalid(`unknown method "${method}"`);
  const kind = c.mvSmoothing || d.smoothing;
  if (kind !== 'none' && kind !== 'mean' && kind !== 'ewma') invalid(`unknown smoothing "${kind}"`);
  const smoothing: SmoothingOptions = { kind, window: kind === 'none' ? 1 : num(c.mvWindow, d.window) };
  const fatigue = {
    ...detector.fatigue,
    k: num(c.mvK, d.k),
    n: num(c.mvN, d.n),
    clearRatio: num(c.mvClearBelow, d.clearBelow),
  };
  validateFatigue(fatigue, 'multivariate ');
  const config: MultivariateConfig = {
    sensors,
    align,
    method,
    toleranceMs: num(c.mvTolerance, d.toleranceMs),
    maxAgeMs: num(c.mvMaxAge, d.maxAgeMs),
    trainingSize: num(c.mvTraining, d.trainingSize),
    varianceShare: num(c.mvVariance, d.varianceShare),
    limitQuantile: num(c.mvQuantile, d.limitQuantile),
    smoothing,
    driftThreshold: (c.mvExcludeDrifting ?? d.excludeDrifting) ? (optional(c.mvDriftThreshold) ?? d.driftThreshold) : undefined,
    centringTimeConstant: (c.mvCentring ?? d.centring) ? num(c.mvCentringTime, d.centringTime) : undefined,
    deviationWindow: num(c.mvDevWindow, d.deviationWindow),
    deviationCentreTime: num(c.mvDevCentreTime, d.deviationCentreTime),
    fatigue,
    severities: detector.severities,
    maxAssets: detector.maxKeys,
  };
  if (!(config.toleranceMs >= 0)) invalid('the tolerance must be ≥ 0 ms');
  if (!(config.maxAgeMs > 0)) invalid('the maximum age must be > 0 ms');
  if (!(Number.isInteger(config.trainingSize) && config.trainingSize > sensors.length && config.trainingSize <= 100_000)) {
    invalid(`the training size must be a whole number of vectors above the number of sensors (${sensors.length}) and at most 100000`);
  }
  return config;
}
