import { describeError, PdmError } from '../errors';
import type { TrainHooks } from './autoencoder';
import type { Dataset } from './dataset';
import { OnnxSession } from './onnx-runtime';
import type { ModelMeta, ModelRegistry } from './registry';
import { trainModel, type Trainer, type TrainOptions } from './train';

/**
 * Train, register, and decide what the new version becomes:
 * - `never`: registered only;
 * - `candidate`: registered and proposed as the candidate;
 * - `if-better`: made live when there is no live model, or when the new model is at least as good:
 *   it raises no more alarms on the new held-back (normal) rows than the live model does;
 *   otherwise proposed as candidate;
 * - `always`: made live.
 */
export type PromotePolicy = 'never' | 'candidate' | 'if-better' | 'always';
export const PROMOTE_POLICIES: readonly PromotePolicy[] = ['never', 'candidate', 'if-better', 'always'];

export interface RetrainResult {
  meta: ModelMeta;
  /** What happened to the new version. */
  outcome: 'registered' | 'candidate' | 'live';
  reason: string;
}

function alarmShare(scores: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= 1) n++;
  return scores.length === 0 ? 0 : n / scores.length;
}

/** The live model's alarm share on rows in its own feature order (undefined when features differ). */
async function liveAlarmShare(registry: ModelRegistry, live: ModelMeta, rows: Dataset): Promise<number | undefined> {
  const columns = live.features.map((f) => rows.features.indexOf(f));
  if (columns.some((c) => c < 0)) return undefined;
  const d = rows.features.length;
  const input = new Float32Array(rows.rows * columns.length);
  for (let i = 0; i < rows.rows; i++) columns.forEach((c, j) => (input[i * columns.length + j] = rows.data[i * d + c]));
  const session = await OnnxSession.create(registry.modelFile(live));
  try {
    const out = await session.run(live.inputName, input, rows.rows, columns.length, ['score']);
    return alarmShare(out.score.data);
  } finally {
    await session.close();
  }
}

/** `train` fits the model: `trainModel` on this thread by default, `trainInWorker` off it. */
export async function retrain(
  registry: ModelRegistry, dataset: Dataset, options: TrainOptions, policy: PromotePolicy, hooks: TrainHooks = {}, train: Trainer = trainModel,
): Promise<RetrainResult> {
  if (!PROMOTE_POLICIES.includes(policy)) throw new PdmError('INVALID_CONFIG', `promotion must be one of ${PROMOTE_POLICIES.join(', ')}, got ${String(policy)}`);
  const trained = await train(dataset, options, hooks);
  const live = await registry.live(options.name);
  let liveShare: number | undefined;
  let comparison = '';
  if (policy === 'if-better' && live) {
    try {
      liveShare = await liveAlarmShare(registry, live, trained.heldBack);
      comparison = liveShare === undefined ? `live v${live.version} uses other features` : '';
    } catch (err) {
      comparison = `live v${live.version} could not be scored: ${describeError(err)}`;
    }
    if (liveShare !== undefined) trained.meta.metrics.liveHeldBackAlarmRate = liveShare;
  }
  const meta = await registry.register(trained.meta, trained.onnx);
  const newShare = meta.metrics.heldBackAlarmRate;
  switch (policy) {
    case 'never':
      return { meta, outcome: 'registered', reason: 'registered without promotion' };
    case 'candidate':
      await registry.setCandidate(meta.name, meta.version);
      return { meta, outcome: 'candidate', reason: 'proposed as candidate' };
    case 'always':
      await registry.promote(meta.name, meta.version);
      return { meta, outcome: 'live', reason: 'promoted' };
    case 'if-better': {
      if (!live) {
        await registry.promote(meta.name, meta.version);
        return { meta, outcome: 'live', reason: 'promoted: no live model' };
      }
      const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;
      if (liveShare !== undefined && liveShare >= newShare) {
        await registry.promote(meta.name, meta.version);
        return { meta, outcome: 'live', reason: `promoted: live v${live.version} alarms on ${percent(liveShare)} of the new held-back rows, this model on ${percent(newShare)}` };
      }
      await registry.setCandidate(meta.name, meta.version);
      const why = liveShare === undefined ? comparison : `live v${live.version} alarms on ${percent(liveShare)} of the new held-back rows, this model on ${percent(newShare)}`;
      return { meta, outcome: 'candidate', reason: `kept as candidate: ${why}` };
    }
  }
}
