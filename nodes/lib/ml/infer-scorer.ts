import { describeError, PdmError } from '../errors';
import { MicroBatcher, type BatcherOptions } from './infer-batcher';
import { scoreBatch, type InferResult, type LoadedModel, type ModelInfo, type ScoreResult } from './infer-engine';
import { FeatureMapper, type FeatureVector, type MapperOptions, type MappedInput } from './infer-features';
import { ModelManager, defaultLoader, type ManagerEvents, type ModelLoader, type ModelSourceOptions } from './infer-models';

export type ShadowResult = InferResult | { error: string };

/** One vector to score and where its result goes. */
export interface ScoreItem {
  vector: FeatureVector;
  settle(live: InferResult | Error, shadow?: ShadowResult): void;
}

export interface ScorerOptions {
  batch: BatcherOptions;
  mapping: MapperOptions;
}

/**
 * One model's scoring state: the models in place (live and, in shadow mode, candidate), the
 * mapper that builds vectors for the live model's features, and the micro-batcher that runs them.
 */
export class ModelScorer {
  readonly manager: ModelManager;
  private mapperInUse: FeatureMapper | undefined;
  private readonly batcher: MicroBatcher<ScoreItem>;

  constructor(source: ModelSourceOptions, options: ScorerOptions, events: ManagerEvents, load: ModelLoader = defaultLoader) {
    this.batcher = new MicroBatcher<ScoreItem>(options.batch, (items) => this.run(items), (err, items) => {
      const e = asError(err);
      items.forEach((item) => item.settle(e));
    });
    this.manager = new ModelManager(
      source,
      {
        swapped: (role, info) => {
          if (role === 'live' && info && (!this.mapperInUse || this.mapperInUse.index.features.join('\n') !== info.features.join('\n'))) {
            this.mapperInUse = new FeatureMapper(info.features, options.mapping);
          }
          events.swapped(role, info);
        },
        failed: (err) => events.failed(err),
      },
      load,
    );
  }

  /** True once a live model is in place. */
  get ready(): boolean {
    return this.mapperInUse !== undefined && this.manager.live.current !== undefined;
  }

  get pending(): number {
    return this.batcher.pending;
  }

  get busy(): boolean {
    return this.batcher.busy || this.batcher.pending > 0;
  }

  /** msg.payload → vectors for the live model; only when `ready`. */
  map(payload: unknown, topic: unknown, now: number): MappedInput {
    if (!this.mapperInUse || !this.manager.live.current) throw this.manager.unavailable();
    return this.mapperInUse.map(payload, topic, now);
  }

  add(item: ScoreItem): void {
    this.batcher.add(item);
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }

  close(): Promise<void> {
    return this.manager.close();
  }

  private async run(items: ScoreItem[]): Promise<void> {
    const lease = this.manager.live.lease();
    if (!lease) {
      const err = this.manager.unavailable();
      items.forEach((item) => item.settle(err));
      return;
    }
    const shadowLease = this.manager.shadow.lease();
    try {
      const f = lease.model.info.features.length;
      const fitting = items.filter((item) => item.vector.values.length === f);
      if (fitting.length < items.length) {
        // Mapped for a model with other features, before a reload changed them.
        const err = new PdmError('INVALID_PAYLOAD', `the vector was built for other features than those of ${modelLabel(lease.model.info)}, which replaced the model meanwhile`);
        items.filter((item) => item.vector.values.length !== f).forEach((item) => item.settle(err));
      }
      if (fitting.length === 0) return;
      const vectors = fitting.map((item) => item.vector);
      const [main, candidate] = await Promise.all([
        scoreBatch(lease.model, vectors).catch((err: unknown) => asError(err)),
        shadowLease ? scoreShadow(shadowLease.model, vectors) : undefined,
      ]);
      fitting.forEach((item, i) => {
        const shadow = candidate === undefined ? undefined : 'error' in candidate ? candidate : candidate[i];
        item.settle(main instanceof Error ? main : toResult(main[i], lease.model.info, item.vector), shadow);
      });
    } finally {
      lease.done();
      shadowLease?.done();
    }
  }
}

export function modelLabel(info: ModelInfo): string {
  return info.version === undefined ? info.name : `${info.name} v${info.version}`;
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(describeError(err));
}

function toResult(r: ScoreResult, info: ModelInfo, v: FeatureVector): InferResult {
  return { asset: v.asset, ts: v.ts, score: r.score, anomalous: r.anomalous, model: { name: info.name, version: info.version }, outputs: r.outputs };
}

/** The candidate's results; its failure is reported beside the live results, not instead of them. */
async function scoreShadow(model: LoadedModel, vectors: FeatureVector[]): Promise<InferResult[] | { error: string }> {
  try {
    const results = await scoreBatch(model, vectors);
    return results.map((r, i) => toResult(r, model.info, vectors[i]));
  } catch (err) {
    return { error: describeError(err) };
  }
}
