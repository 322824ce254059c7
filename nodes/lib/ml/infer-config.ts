import os from 'node:os';
import path from 'node:path';
import { PdmError } from '../errors';
import type { AssetPoolOptions } from './infer-assets';
import { checkBatchOptions, type BatcherOptions } from './infer-batcher';
import type { MapperOptions } from './infer-features';
import { nameList } from './config';
import { validateModelName } from './registry';

/** The onnx-infer editor fields (strings or numbers as the editor saves them). */
export interface OnnxInferConfig {
  source?: string;
  model?: string;
  registryDir?: string;
  shadow?: boolean;
  perAsset?: boolean;
  maxAssets?: string | number;
  idleTime?: string | number;
  file?: string;
  features?: string;
  inputName?: string;
  maxBatch?: string | number;
  maxWait?: string | number;
  align?: string;
  tolerance?: string | number;
  maxAge?: string | number;
}

export type InferSource =
  | { kind: 'file'; file: string; features: string[]; inputName?: string }
  | { kind: 'registry'; dir: string; name: string; shadow: boolean }
  /** One model per asset, named after the asset. */
  | { kind: 'per-asset'; dir: string; shadow: boolean; maxAssets: number; idleMs: number };

export interface InferOptions {
  source: InferSource;
  batch: BatcherOptions;
  mapping: MapperOptions;
}

/** The registry directory when none is configured, in the user directory (as model-train has it). */
export const DEFAULT_REGISTRY_SUBDIR = 'pdm-models';

/** A number field of an editor form: blank gives the default. */
export function numberOr(value: string | number | undefined, fallback: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new PdmError('INVALID_CONFIG', `${what} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/** Node-RED's user directory: the one in its settings, or its own default. */
export function userDirOf(settings: { userDir?: string }): string {
  return settings.userDir ?? path.join(os.homedir(), '.node-red');
}

/** Relative paths are taken from the Node-RED user directory. */
export function registryDir(configured: string | undefined, userDir: string): string {
  const dir = configured?.trim() || DEFAULT_REGISTRY_SUBDIR;
  return path.resolve(userDir, dir);
}

/** The editor's bound and idle time (minutes) of a model per asset. */
export function assetPoolOptions(c: { maxAssets?: string | number; idleTime?: string | number }): AssetPoolOptions {
  const maxAssets = numberOr(c.maxAssets, 1000, 'max assets');
  if (!(Number.isInteger(maxAssets) && maxAssets >= 1)) throw new PdmError('INVALID_CONFIG', `max assets must be a whole number ≥ 1, got ${maxAssets}`);
  const idleMin = numberOr(c.idleTime, 60, 'idle time');
  if (idleMin < 0) throw new PdmError('INVALID_CONFIG', `idle time must be ≥ 0, got ${idleMin}`);
  return { maxAssets, idleMs: idleMin * 60_000 };
}

export function inferOptionsFromConfig(c: OnnxInferConfig, userDir: string): InferOptions {
  let source: InferSource;
  if ((c.source ?? 'registry') === 'registry' && c.perAsset === true) {
    source = { kind: 'per-asset', dir: registryDir(c.registryDir, userDir), shadow: c.shadow === true, ...assetPoolOptions(c) };
  } else if ((c.source ?? 'registry') === 'registry') {
    source = { kind: 'registry', dir: registryDir(c.registryDir, userDir), name: validateModelName(c.model?.trim()), shadow: c.shadow === true };
  } else if (c.source === 'file') {
    const file = c.file?.trim();
    if (!file) throw new PdmError('INVALID_CONFIG', 'a model file is required');
    const features = nameList(c.features);
    if (features.length === 0) throw new PdmError('INVALID_CONFIG', 'a model file needs its feature list, in the order of its input columns');
    source = { kind: 'file', file: path.resolve(userDir, file), features, inputName: c.inputName?.trim() || undefined };
  } else {
    throw new PdmError('INVALID_CONFIG', `unknown model source ${JSON.stringify(c.source)}`);
  }
  const batch = { maxBatch: numberOr(c.maxBatch, 256, 'max batch size'), maxWaitMs: numberOr(c.maxWait, 5, 'max wait') };
  checkBatchOptions(batch);
  const align = c.align ?? 'timestamp';
  if (align !== 'timestamp' && align !== 'latest') throw new PdmError('INVALID_CONFIG', `unknown alignment ${JSON.stringify(align)}`);
  const toleranceMs = numberOr(c.tolerance, 0, 'tolerance');
  const maxAgeS = numberOr(c.maxAge, 0, 'max age');
  if (toleranceMs < 0 || maxAgeS < 0) throw new PdmError('INVALID_CONFIG', 'tolerance and max age must be ≥ 0');
  return { source, batch, mapping: { align, toleranceMs, maxAgeMs: maxAgeS > 0 ? maxAgeS * 1000 : Infinity } };
}
