import { PdmError } from '../errors';
import { nameList } from './config';
import { checkDriftOptions, DEFAULT_DRIFT_OPTIONS, type DriftOptions } from './drift';
import type { AssetPoolOptions } from './infer-assets';
import { assetPoolOptions, numberOr, registryDir } from './infer-config';
import { validateModelName } from './registry';

/** The drift-detect editor fields. */
export interface DriftDetectConfig {
  baseline?: string;
  model?: string;
  /** With the model baseline: each asset's own model, named after the asset. */
  perAsset?: boolean;
  maxAssets?: string | number;
  idleTime?: string | number;
  registryDir?: string;
  features?: string;
  windowSize?: string | number;
  evaluateEvery?: string | number;
  psiModerate?: string | number;
  psiSignificant?: string | number;
  ksAlpha?: string | number;
  learnCount?: string | number;
  bins?: string | number;
}

export type DriftBaselineSource =
  | { kind: 'model'; dir: string; name: string }
  /** The live model named after each asset. */
  | ({ kind: 'per-asset'; dir: string } & AssetPoolOptions)
  | { kind: 'learn' };

export interface DriftSettings {
  baseline: DriftBaselineSource;
  /** Features to test; empty with a model baseline = every feature of the (asset's) model. */
  features: string[];
  options: DriftOptions;
}

export function driftSettingsFromConfig(c: DriftDetectConfig, userDir: string): DriftSettings {
  const d = DEFAULT_DRIFT_OPTIONS;
  const options = checkDriftOptions({
    ...d,
    windowSize: numberOr(c.windowSize, d.windowSize, 'window size'),
    evaluateEvery: numberOr(c.evaluateEvery, d.evaluateEvery, 'evaluate every'),
    psiModerate: numberOr(c.psiModerate, d.psiModerate, 'moderate PSI'),
    psiSignificant: numberOr(c.psiSignificant, d.psiSignificant, 'significant PSI'),
    ksAlpha: numberOr(c.ksAlpha, d.ksAlpha, 'KS p-value'),
    learnCount: numberOr(c.learnCount, d.learnCount, 'learn count'),
    bins: numberOr(c.bins, d.bins, 'bins'),
  });
  const features = nameList(c.features);
  const kind = c.baseline ?? 'model';
  if (kind === 'model' && c.perAsset === true) {
    return { baseline: { kind: 'per-asset', dir: registryDir(c.registryDir, userDir), ...assetPoolOptions(c) }, features, options };
  }
  if (kind === 'model') {
    return { baseline: { kind, dir: registryDir(c.registryDir, userDir), name: validateModelName(c.model?.trim()) }, features, options };
  }
  if (kind !== 'learn') throw new PdmError('INVALID_CONFIG', `unknown baseline ${JSON.stringify(kind)}`);
  if (features.length === 0) throw new PdmError('INVALID_CONFIG', 'a learned baseline needs the list of features to watch');
  return { baseline: { kind }, features, options };
}
