import { PdmError } from '../errors';
import { checkAutoencoderOptions, type Activation } from './autoencoder';
import { validateModelName } from './registry';
import { PROMOTE_POLICIES, type PromotePolicy } from './retrain';
import { DEFAULT_TRAIN_OPTIONS, MODEL_KINDS, type ModelKind, type TrainOptions } from './train';

/** The model-train editor form (every field as the editor stores it). */
export interface ModelTrainConfig {
  modelName?: string;
  kind?: string;
  features?: string;
  varianceShare?: number | string;
  hidden?: string;
  activation?: string;
  epochs?: number | string;
  thresholdQuantile?: number | string;
  thresholdMargin?: number | string;
  holdOut?: number | string;
  excludeDrifting?: boolean;
  seed?: number | string;
  promote?: string;
  registryDir?: string;
  maxRows?: number | string;
}

export interface ModelTrainSettings {
  options: TrainOptions;
  /** Feature names from the form; empty = every feature in the data (or msg.features). */
  features: string[];
  policy: PromotePolicy;
  /** '' = the default directory under the Node-RED user directory. */
  registryDir: string;
  maxRows: number;
}

export const DEFAULT_MAX_TRAIN_ROWS = 1_000_000;
/** Drift (in residual standard deviations across the training rows) beyond which a feature is left out, as in anomaly-detect. */
export const DRIFT_THRESHOLD = 3;

function blank(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function numberIn(value: unknown, fallback: number, what: string, ok: (n: number) => boolean): number {
  const n = blank(value) ? fallback : Number(value);
  if (!Number.isFinite(n) || !ok(n)) throw new PdmError('INVALID_CONFIG', `${what} is out of range: ${String(value)}`);
  return n;
}

/** "a, b ,c" → ['a', 'b', 'c']. */
export function nameList(text: unknown): string[] {
  if (blank(text)) return [];
  if (typeof text !== 'string') throw new PdmError('INVALID_CONFIG', 'feature list must be text');
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export function modelTrainSettings(config: ModelTrainConfig): ModelTrainSettings {
  const d = DEFAULT_TRAIN_OPTIONS;
  const kind = (blank(config.kind) ? d.kind : config.kind) as ModelKind;
  if (!MODEL_KINDS.includes(kind)) throw new PdmError('INVALID_CONFIG', `model kind must be pca or autoencoder, got ${String(config.kind)}`);
  const policy = (blank(config.promote) ? 'if-better' : config.promote) as PromotePolicy;
  if (!PROMOTE_POLICIES.includes(policy)) throw new PdmError('INVALID_CONFIG', `promotion must be one of ${PROMOTE_POLICIES.join(', ')}`);
  const hidden = blank(config.hidden) ? d.autoencoder.hidden : nameList(config.hidden).map(Number);
  const autoencoder = {
    ...d.autoencoder,
    hidden,
    activation: (blank(config.activation) ? d.autoencoder.activation : config.activation) as Activation,
    epochs: numberIn(config.epochs, d.autoencoder.epochs, 'epochs', Number.isInteger),
    seed: numberIn(config.seed, d.autoencoder.seed, 'seed', Number.isInteger),
  };
  const thresholdQuantile = numberIn(config.thresholdQuantile, d.thresholdQuantile, 'threshold quantile', (n) => n > 0.5 && n <= 1);
  const thresholdMargin = numberIn(config.thresholdMargin, d.thresholdMargin, 'threshold margin', (n) => n >= 1 && n <= 100);
  checkAutoencoderOptions({ ...autoencoder, thresholdQuantile, thresholdMargin });
  return {
    options: {
      kind,
      name: validateModelName(blank(config.modelName) ? d.name : config.modelName),
      holdOut: numberIn(config.holdOut, d.holdOut, 'hold-out fraction', (n) => n >= 0.05 && n <= 0.5),
      thresholdQuantile,
      thresholdMargin,
      varianceShare: numberIn(config.varianceShare, d.varianceShare, 'explained variance', (n) => n > 0 && n <= 1),
      driftThreshold: config.excludeDrifting === true ? DRIFT_THRESHOLD : undefined,
      autoencoder,
    },
    features: nameList(config.features),
    policy,
    registryDir: typeof config.registryDir === 'string' ? config.registryDir.trim() : '',
    maxRows: numberIn(config.maxRows, DEFAULT_MAX_TRAIN_ROWS, 'maximum rows', (n) => Number.isInteger(n) && n >= 10),
  };
}
