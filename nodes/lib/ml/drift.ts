import { PdmError } from '../errors';
import { checkBins, ksTest, learnBaseline, prepareBaseline, psi, type FeatureBaseline } from './drift-stats';

export interface DriftOptions {
  /** Recent values per asset and feature compared with the baseline. */
  windowSize: number;
  /** A report per asset after this many new values per feature (on average). */
  evaluateEvery: number;
  /** PSI bands: below `psiModerate` no shift, up to `psiSignificant` moderate, above significant. */
  psiModerate: number;
  psiSignificant: number;
  /** A feature drifts when its PSI is significant or the KS p-value falls below this. */
  ksAlpha: number;
  /** Without a model baseline, each asset's first `learnCount` values per feature become its baseline. */
  learnCount: number;
  bins: number;
  maxAssets: number;
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = {
  windowSize: 500,
  evaluateEvery: 100,
  psiModerate: 0.1,
  psiSignificant: 0.25,
  ksAlpha: 0.01,
  learnCount: 500,
  bins: 10,
  maxAssets: 10_000,
};

export type PsiLevel = 'none' | 'moderate' | 'significant';

export interface FeatureDrift {
  feature: string;
  psi: number;
  level: PsiLevel;
  /** Kolmogorov–Smirnov statistic and p-value. */
  ks: number;
  pValue: number;
  drifted: boolean;
  /** Values in the window compared. */
  count: number;
}

export interface DriftReport {
  asset: string;
  /** Event time of the latest value in the report. */
  ts: number;
  baseline: 'model' | 'learned';
  features: FeatureDrift[];
  drifted: boolean;
  /** True on the report where the asset went from no drift to drift: the moment to retrain. */
  started: boolean;
}

/** msg.payload of drift-detect's report: the report and the model whose baseline it used. */
export interface DriftEvent extends Omit<DriftReport, 'started'> {
  model?: { name: string; version: number };
}

/** The persisted form of one asset's learned baselines, by feature: a baseline, or the values gathered so far. */
export type SavedDriftAsset = Record<string, { baseline?: FeatureBaseline; learning?: number[] }>;

interface FeatureState {
  window: Float64Array;
  next: number;
  count: number;
  /** Values gathered for a learned baseline, until it is learned. */
  learning: number[] | undefined;
  baseline: FeatureBaseline | undefined;
}

interface AssetState {
  features: FeatureState[];
  fresh: number;
  ts: number;
  drifted: boolean;
}

export function checkDriftOptions(o: DriftOptions): DriftOptions {
  const whole = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
  if (!whole(o.windowSize, 10)) throw new PdmError('INVALID_CONFIG', `window size must be a whole number ≥ 10, got ${o.windowSize}`);
  if (!whole(o.evaluateEvery, 1)) throw new PdmError('INVALID_CONFIG', `evaluate every must be a whole number ≥ 1, got ${o.evaluateEvery}`);
  if (!(o.psiModerate > 0 && o.psiSignificant > o.psiModerate)) throw new PdmError('INVALID_CONFIG', 'PSI thresholds must satisfy 0 < moderate < significant');
  if (!(o.ksAlpha > 0 && o.ksAlpha < 1)) throw new PdmError('INVALID_CONFIG', `KS p-value threshold must be in (0, 1), got ${o.ksAlpha}`);
  if (!whole(o.learnCount, 20)) throw new PdmError('INVALID_CONFIG', `learn count must be a whole number ≥ 20, got ${o.learnCount}`);
  if (!whole(o.bins, 2)) throw new PdmError('INVALID_CONFIG', `bins must be a whole number ≥ 2, got ${o.bins}`);
  if (!whole(o.maxAssets, 1)) throw new PdmError('INVALID_CONFIG', `max assets must be a whole number ≥ 1, got ${o.maxAssets}`);
  return o;
}

/**
 * Feature drift per asset: a sliding window of each feature's recent values, compared with the
 * training baseline (a model's stored bins and sample) or, without one, with the asset's own
 * first values.
 */
export class DriftDetector {
  readonly features: readonly string[];
  private readonly position = new Map<string, number>();
  private readonly assets = new Map<string, AssetState>();
  private modelBaseline: Array<FeatureBaseline | undefined> | undefined;

  constructor(
    readonly options: DriftOptions,
    features: readonly string[],
    baseline?: Readonly<Record<string, FeatureBaseline>>,
  ) {
    checkDriftOptions(options);
    if (features.length === 0) throw new PdmError('INVALID_CONFIG', 'drift needs at least one feature');
    this.features = features.slice();
    features.forEach((f, i) => this.position.set(f, i));
    if (baseline) this.modelBaseline = modelBaselines(this.features, baseline);
  }

  get assetCount(): number {
    return this.assets.size;
  }

  /** Assets whose latest report found drift. */
  get driftedCount(): number {
    let n = 0;
    for (const state of this.assets.values()) if (state.drifted) n++;
    return n;
  }

  get baselineKind(): 'model' | 'learned' {
    return this.modelBaseline ? 'model' : 'learned';
  }

  has(feature: string): boolean {
    return this.position.has(feature);
  }

  /** Adds one value; values of other features are ignored. */
  add(asset: string, feature: string, value: number, ts: number): void {
    const i = this.position.get(feature);
    if (i === undefined || !Number.isFinite(value)) return;
    const state = this.asset(asset);
    const f = state.features[i];
    f.window[f.next] = value;
    f.next = (f.next + 1) % f.window.length;
    if (f.count < f.window.length) f.count++;
    if (f.learning) {
      f.learning.push(value);
      if (f.learning.length >= this.options.learnCount) {
        f.baseline = learnBaseline(f.learning, this.options.bins);
        f.learning = undefined;
        f.count = 0;
      }
    }
    state.fresh++;
    if (ts > state.ts) state.ts = ts;
  }

  /** Reports of the assets that have gathered `evaluateEvery` new values per feature since their last one. */
  takeReports(): DriftReport[] {
    const reports: DriftReport[] = [];
    const due = this.options.evaluateEvery * this.features.length;
    for (const [asset, state] of this.assets) {
      if (state.fresh < due) continue;
      const report = this.evaluate(asset, state);
      if (report) reports.push(report);
    }
    return reports;
  }

  /** The current comparison for one asset, or undefined while no feature has a baseline and a full window. */
  report(asset: string): DriftReport | undefined {
    const state = this.assets.get(asset);
    return state ? this.evaluate(asset, state) : undefined;
  }

  /** Learned baselines and learning progress per asset (nothing with a model baseline, which the registry keeps). */
  persist(): Record<string, SavedDriftAsset> {
    const out: Record<string, SavedDriftAsset> = {};
    if (this.modelBaseline) return out;
    for (const [asset, state] of this.assets) {
      const saved: SavedDriftAsset = {};
      state.features.forEach((f, i) => {
        saved[this.features[i]] = f.baseline ? { baseline: f.baseline } : { learning: f.learning?.slice() };
      });
      out[asset] = saved;
    }
    return out;
  }

  /** Restores what persist() saved, for the features still watched; returns the assets restored. */
  restore(saved: unknown): number {
    if (this.modelBaseline || typeof saved !== 'object' || saved === null) return 0;
    let restored = 0;
    for (const [asset, entry] of Object.entries(saved as Record<string, unknown>)) {
      if (typeof entry !== 'object' || entry === null || this.assets.has(asset)) continue;
      if (this.assets.size >= this.options.maxAssets) break;
      const state = this.asset(asset);
      this.features.forEach((name, i) => {
        const item = (entry as Record<string, { baseline?: unknown; learning?: unknown } | undefined>)[name];
        const f = state.features[i];
        if (isBaseline(item?.baseline)) {
          f.baseline = prepareBaseline(item.baseline);
          f.learning = undefined;
        } else if (Array.isArray(item?.learning) && item.learning.every(Number.isFinite)) {
          f.learning = (item.learning as number[]).slice(0, this.options.learnCount);
        }
      });
      restored++;
    }
    return restored;
  }

  forget(asset?: string): void {
    if (asset === undefined) this.assets.clear();
    else this.assets.delete(asset);
  }

  private evaluate(asset: string, state: AssetState): DriftReport | undefined {
    const o = this.options;
    const features: FeatureDrift[] = [];
    state.features.forEach((f, i) => {
      if (!f.baseline || f.count < f.window.length) return;
      const recent = f.window.slice().sort();
      const p = psi(f.baseline, recent);
      const ks = ksTest(recent, f.baseline.sample);
      const level: PsiLevel = p >= o.psiSignificant ? 'significant' : p >= o.psiModerate ? 'moderate' : 'none';
      features.push({ feature: this.features[i], psi: p, level, ks: ks.statistic, pValue: ks.pValue, drifted: level === 'significant' || ks.pValue < o.ksAlpha, count: f.count });
    });
    if (features.length === 0) return undefined;
    state.fresh = 0;
    const drifted = features.some((f) => f.drifted);
    const started = drifted && !state.drifted;
    state.drifted = drifted;
    return { asset, ts: state.ts, baseline: this.baselineKind, features, drifted, started };
  }

  private asset(name: string): AssetState {
    let state = this.assets.get(name);
    if (state) return state;
    if (this.assets.size >= this.options.maxAssets) throw new PdmError('KEY_LIMIT', `more than ${this.options.maxAssets} assets`);
    const model = this.modelBaseline;
    state = {
      features: this.features.map((_, i) => {
        const baseline = model ? model[i] : undefined;
        return { window: new Float64Array(this.options.windowSize), next: 0, count: 0, baseline, learning: model ? undefined : [] };
      }),
      fresh: 0,
      ts: -Infinity,
      drifted: false,
    };
    this.assets.set(name, state);
    return state;
  }
}

function isBaseline(value: unknown): value is FeatureBaseline {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Partial<FeatureBaseline>;
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.every(Number.isFinite);
  return numbers(b.edges) && numbers(b.fractions) && numbers(b.sample) && b.sample.length > 0 && checkBins(b as FeatureBaseline) === undefined;
}

/** The model's stored baseline in feature order; a feature without a usable one is not tested. */
function modelBaselines(features: readonly string[], baseline: Readonly<Record<string, FeatureBaseline>>): Array<FeatureBaseline | undefined> {
  const found = features.map((f) => {
    const b = baseline[f];
    if (!b || checkBins(b) !== undefined || b.sample.length === 0) return undefined;
    return prepareBaseline(b);
  });
  if (found.every((b) => b === undefined)) throw new PdmError('INVALID_CONFIG', `the model's baseline covers none of the features ${features.join(', ')}`);
  return found;
}
