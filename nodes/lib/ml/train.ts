import { PdmError } from '../errors';
import { stationaryColumns } from '../anomaly/multivariate-drift';
import { featureBaselines, holdOut, selectFeatures, type Dataset } from './dataset';
import { DEFAULT_AUTOENCODER, exportAutoencoder, slicer, scoreAutoencoder, trainAutoencoder, type AutoencoderOptions, type AutoencoderTrained, type TrainHooks } from './autoencoder';
import { exportPca, scorePca, trainPca, type PcaTrained } from './pca';
import type { ModelMeta } from './registry';

/** Trains one model on a dataset, chooses its threshold on held-back rows and exports it to ONNX. */
export type ModelKind = 'pca' | 'autoencoder';
export const MODEL_KINDS: readonly ModelKind[] = ['pca', 'autoencoder'];

export interface TrainOptions {
  kind: ModelKind;
  name: string;
  /** The asset whose history trained the model, when it is one asset's model. */
  asset?: string;
  /** Share of the rows (the newest) held back for the threshold and early stopping, (0, 1). */
  holdOut: number;
  /** Quantile of held-back scores taken as the threshold, (0, 1]. */
  thresholdQuantile: number;
  /** Multiplier on that quantile (≥ 1 widens the limit). */
  thresholdMargin: number;
  /** PCA: share of variance the kept components explain. */
  varianceShare: number;
  /**
   * Leave out features whose least-squares trend across the training part moves more than this
   * many residual standard deviations (not stationary, so the training data cannot describe their
   * normal range); undefined keeps every feature.
   */
  driftThreshold?: number;
  autoencoder: Omit<AutoencoderOptions, 'thresholdQuantile' | 'thresholdMargin'>;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  kind: 'pca',
  name: 'model',
  holdOut: 0.25,
  thresholdQuantile: 0.99,
  thresholdMargin: 1,
  varianceShare: 0.9,
  autoencoder: {
    hidden: DEFAULT_AUTOENCODER.hidden,
    activation: DEFAULT_AUTOENCODER.activation,
    epochs: DEFAULT_AUTOENCODER.epochs,
    batchSize: DEFAULT_AUTOENCODER.batchSize,
    learningRate: DEFAULT_AUTOENCODER.learningRate,
    patience: DEFAULT_AUTOENCODER.patience,
    seed: DEFAULT_AUTOENCODER.seed,
  },
};

export const INPUT_NAME = 'input';

export type Trained = PcaTrained | AutoencoderTrained;

/** What registering and comparing a new model needs: its metadata, its ONNX graph and the held-back rows. */
export interface TrainedModel {
  meta: Omit<ModelMeta, 'version' | 'createdAt'>;
  onnx: Uint8Array;
  /** The held-back rows with every feature of the data, also those left out, so that a live model with other features can be scored on them. */
  heldBack: Dataset;
}

export interface TrainResult extends TrainedModel {
  model: Trained;
}

export type Trainer = (dataset: Dataset, options: TrainOptions, hooks: TrainHooks) => Promise<TrainedModel>;

/** Normalised scores (≥ 1 = anomalous) of a trained model in TypeScript, the reference for the ONNX graph. */
export function scoreRows(model: Trained, dataset: Dataset): Float64Array {
  return model.kind === 'pca' ? scorePca(model, dataset).score : scoreAutoencoder(model, dataset).score;
}

function alarmRate(scores: Float64Array): number {
  let n = 0;
  for (const s of scores) if (s >= 1) n++;
  return scores.length === 0 ? 0 : n / scores.length;
}

/** Names of the features that do not drift across the training rows (at least one). */
function stationaryFeatures(train: Dataset, threshold: number): string[] {
  const d = train.features.length;
  const rows = Array.from({ length: train.rows }, (_, i) => train.data.subarray(i * d, (i + 1) * d));
  return stationaryColumns(rows, d, threshold).map((j) => train.features[j]);
}

export async function trainModel(dataset: Dataset, options: TrainOptions, hooks: TrainHooks = {}, clock: () => number = Date.now): Promise<TrainResult> {
  if (!MODEL_KINDS.includes(options.kind)) throw new PdmError('INVALID_CONFIG', `model kind must be pca or autoencoder, got ${String(options.kind)}`);
  const started = clock();
  const tick = slicer(hooks);
  const split = holdOut(dataset, options.holdOut, Math.max(10, dataset.features.length + 2));
  const kept = options.driftThreshold === undefined ? undefined : stationaryFeatures(split.train, options.driftThreshold);
  const train = kept ? selectFeatures(split.train, kept) : split.train;
  const heldBack = kept ? selectFeatures(split.heldBack, kept) : split.heldBack;
  let model: Trained;
  let onnx: Uint8Array;
  let extra: Record<string, number>;
  let outputNames: string[];
  await tick();
  if (options.kind === 'pca') {
    const pca = trainPca(train, heldBack, { varianceShare: options.varianceShare, thresholdQuantile: options.thresholdQuantile, thresholdMargin: options.thresholdMargin });
    model = pca;
    onnx = exportPca(pca, INPUT_NAME);
    outputNames = ['score', 't2', 'q'];
    extra = { components: pca.model.eigenvalues.length, explainedVariance: pca.explainedVariance, t2Limit: pca.model.t2Limit, qLimit: pca.model.qLimit };
  } else {
    const ae = await trainAutoencoder(train, heldBack, { ...options.autoencoder, thresholdQuantile: options.thresholdQuantile, thresholdMargin: options.thresholdMargin }, hooks);
    model = ae;
    onnx = exportAutoencoder(ae, INPUT_NAME);
    outputNames = ['score', 'error', 'reconstruction'];
    extra = { epochs: ae.epochs, trainLoss: ae.trainLoss, heldBackLoss: ae.heldBackLoss, initialLoss: ae.initialLoss };
  }
  await tick();
  const heldBackAlarmRate = alarmRate(scoreRows(model, heldBack));
  await tick();
  const trainAlarmRate = alarmRate(scoreRows(model, train));
  await tick();
  const baseline = featureBaselines(train);
  const scaler = model.kind === 'pca' ? { mean: model.model.mean, scale: model.model.std } : model.scaler;
  const meta: Omit<ModelMeta, 'version' | 'createdAt'> = {
    name: options.name,
    ...(options.asset === undefined ? {} : { asset: options.asset }),
    kind: options.kind,
    features: [...train.features],
    inputName: INPUT_NAME,
    outputNames,
    threshold: model.threshold,
    scaler: { mean: [...scaler.mean], scale: [...scaler.scale] },
    trainedFrom: dataset.ts && dataset.rows > 0 ? dataset.ts[0] : undefined,
    trainedTo: dataset.ts && dataset.rows > 0 ? dataset.ts[dataset.rows - 1] : undefined,
    rows: dataset.rows,
    metrics: {
      ...extra,
      trainRows: train.rows,
      leftOutFeatures: dataset.features.length - train.features.length,
      heldBackRows: heldBack.rows,
      thresholdQuantile: options.thresholdQuantile,
      thresholdMargin: options.thresholdMargin,
      heldBackAlarmRate,
      trainAlarmRate,
      trainMs: clock() - started,
    },
    baseline,
  };
  return { meta, onnx, model, heldBack: split.heldBack };
}
