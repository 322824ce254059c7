import { describeError, PdmError } from '../errors';
import { DriftDetector, type DriftOptions } from './drift';
import { FeatureIndex } from './infer-features';
import type { ModelRegistry } from './registry';

/** The model version whose training baseline a detector tests against. */
export interface BaselineModel {
  name: string;
  version: number;
}

/** A detector, the feature list that fills it and, for a model baseline, the model. */
export interface DriftWatch {
  detector: DriftDetector;
  index: FeatureIndex;
  model?: BaselineModel;
}

export type BaselineState = 'loading' | 'ready' | 'waiting' | 'error';

export interface BaselineEvents {
  /** Another version's baseline is in place: its detector starts with empty windows and no drift. */
  loaded(model: BaselineModel): void;
  /** Loading failed; the baseline in place, if any, stays. */
  failed(err: PdmError): void;
}

export interface BaselineSettings {
  /** Features to test; empty = every feature of the model. */
  features: readonly string[];
  options: DriftOptions;
}

/**
 * A drift detector against the training baseline of one registry model's live version:
 * loaded at once and built again whenever another version goes live (promote, rollback), so
 * windows and drift state start over with the new baseline. A version without a usable
 * baseline leaves the one in place. Reloads run one at a time.
 */
export class LiveBaseline {
  current: (DriftWatch & { model: BaselineModel }) | undefined;
  state: BaselineState = 'loading';
  lastError: PdmError | undefined;
  /** Nothing queued: the pool of assets may close it at any time. */
  readonly busy = false;
  private chain: Promise<void> = Promise.resolve();
  private reloads = 0;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly registry: ModelRegistry,
    readonly name: string,
    private readonly settings: BaselineSettings,
    private readonly events: BaselineEvents,
  ) {
    this.unsubscribe = registry.onChange((changed) => {
      if (changed === name) void this.refresh();
    });
    void this.refresh();
  }

  /** True while the registry is being read again: a message without a baseline should wait for it. */
  get reloading(): boolean {
    return this.reloads > 0;
  }

  /** Settles when the reloads asked for so far have ended. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Why nothing can be tested now, for the messages that arrive meanwhile. */
  unavailable(): PdmError {
    if (this.lastError) return this.lastError;
    if (this.state === 'waiting') return new PdmError('INVALID_CONFIG', `model ${this.name} has no live version in ${this.registry.dir}`);
    return new PdmError('INVALID_CONFIG', 'the baseline is not loaded yet', { retriable: true });
  }

  /** Reads the live version again and puts its baseline in place when it changed. */
  refresh(): Promise<void> {
    this.reloads++;
    this.chain = this.chain
      .then(() => this.reload())
      .catch((err: unknown) => {
        this.lastError = err instanceof PdmError ? err : new PdmError('INVALID_CONFIG', describeError(err), { cause: err });
        if (!this.current) this.state = 'error';
        this.events.failed(this.lastError);
      })
      .finally(() => {
        this.reloads--;
      });
    return this.chain;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.chain;
  }

  private async reload(): Promise<void> {
    if (this.closed) return;
    const meta = await this.registry.live(this.name);
    if (!meta) {
      if (!this.current) this.state = 'waiting';
      return;
    }
    if (meta.version === this.current?.model.version) return;
    const model = { name: meta.name, version: meta.version };
    if (!meta.baseline) {
      throw new PdmError('INVALID_CONFIG', `${meta.name} v${meta.version} has no training baseline; train it again with model-train or learn the baseline from the first values`);
    }
    const features = this.settings.features.length > 0 ? this.settings.features : meta.features;
    this.current = { detector: new DriftDetector(this.settings.options, features, meta.baseline), index: new FeatureIndex(features), model };
    this.state = 'ready';
    this.lastError = undefined;
    this.events.loaded(model);
  }
}
