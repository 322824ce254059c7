import path from 'node:path';
import { describeError, PdmError } from '../errors';
import { checkModel, ModelSlot, type LoadedModel, type ModelInfo, type ScoringBackend } from './infer-engine';
import { OnnxSession } from './onnx-runtime';
import type { ModelMeta, ModelRegistry } from './registry';

export type ModelLoader = (file: string) => Promise<ScoringBackend>;

export type ModelSourceOptions =
  | { kind: 'file'; file: string; features: string[]; inputName?: string }
  | { kind: 'registry'; registry: ModelRegistry; name: string; shadow: boolean };

export type ManagerState = 'loading' | 'ready' | 'waiting' | 'error';

export interface ManagerEvents {
  /** A model was put in place (or the shadow slot emptied: info undefined). */
  swapped(role: 'live' | 'shadow', info: ModelInfo | undefined): void;
  /** Loading or reloading failed; the model in place, if any, stays. */
  failed(err: PdmError): void;
}

export const defaultLoader: ModelLoader = (file) => OnnxSession.create(file);

/**
 * Which models score: a file, or a registry model's live version and, in shadow mode, its
 * candidate. Registry changes (promote, rollback, a new candidate) load the new version and
 * swap it in; a version that fails to load or does not fit its description leaves the current
 * one in place. Reloads run one at a time.
 */
export class ModelManager {
  readonly live: ModelSlot;
  readonly shadow: ModelSlot;
  state: ManagerState = 'loading';
  lastError: PdmError | undefined;
  private chain: Promise<void>;
  private reloads = 0;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly source: ModelSourceOptions,
    private readonly events: ManagerEvents,
    private readonly load: ModelLoader = defaultLoader,
  ) {
    const onReleaseError = (err: unknown): void => events.failed(asPdmError(err));
    this.live = new ModelSlot(onReleaseError);
    this.shadow = new ModelSlot(onReleaseError);
    if (source.kind === 'registry') {
      this.unsubscribe = source.registry.onChange((name) => {
        if (name === source.name) void this.refresh();
      });
    }
    this.chain = Promise.resolve();
    void this.refresh();
  }

  /** Why nothing can be scored now, for the messages that arrive meanwhile. */
  unavailable(): PdmError {
    if (this.lastError) return this.lastError;
    if (this.source.kind === 'registry' && this.state === 'waiting') {
      return new PdmError('INVALID_CONFIG', `model ${this.source.name} has no live version in ${this.source.registry.dir}`);
    }
    return new PdmError('INVALID_CONFIG', 'the model is not loaded yet', { retriable: true });
  }

  /** True while the source is being looked at again: a message without a model should wait for it. */
  get reloading(): boolean {
    return this.reloads > 0;
  }

  /** Settles when the reloads asked for so far have ended. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Looks at the source again and swaps in what changed. */
  refresh(): Promise<void> {
    this.reloads++;
    this.chain = this.chain
      .then(() => this.reload())
      .catch((err: unknown) => {
        this.lastError = asPdmError(err);
        if (!this.live.current) this.state = 'error';
        this.events.failed(this.lastError);
      })
      .finally(() => {
        this.reloads--;
      });
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    await this.chain;
    this.live.swap(undefined);
    this.shadow.swap(undefined);
  }

  private async reload(): Promise<void> {
    if (this.closed) return;
    const source = this.source;
    if (source.kind === 'file') {
      if (!this.live.current) this.place('live', await this.loadFile(source.file, source.features, source.inputName));
      return;
    }
    const live = await source.registry.live(source.name);
    if (!live) {
      if (!this.live.current) this.state = 'waiting';
    } else if (live.version !== this.live.current?.info.version) {
      this.place('live', await this.loadMeta(source.registry, live));
    }
    if (!source.shadow) return;
    const candidate = await source.registry.candidate(source.name);
    if (!candidate) {
      if (this.shadow.current) this.place('shadow', undefined);
    } else if (candidate.version !== this.shadow.current?.info.version) {
      this.place('shadow', await this.loadMeta(source.registry, candidate));
    }
  }

  private place(role: 'live' | 'shadow', model: LoadedModel | undefined): void {
    if (this.closed) {
      model?.backend.close().catch((err: unknown) => this.events.failed(asPdmError(err)));
      return;
    }
    (role === 'live' ? this.live : this.shadow).swap(model);
    if (role === 'live') {
      this.state = 'ready';
      this.lastError = undefined;
    }
    this.events.swapped(role, model?.info);
  }

  private async loadMeta(registry: ModelRegistry, meta: ModelMeta): Promise<LoadedModel> {
    return this.checked(meta, await this.load(registry.modelFile(meta)));
  }

  private async loadFile(file: string, features: string[], inputName: string | undefined): Promise<LoadedModel> {
    const backend = await this.load(file);
    const name = path.basename(file).replace(/\.onnx$/i, '');
    return this.checked({ name, features, inputName: inputName || (backend.inputs[0]?.name ?? '') }, backend);
  }

  private async checked(info: ModelInfo, backend: ScoringBackend): Promise<LoadedModel> {
    try {
      checkModel(info, backend);
    } catch (err) {
      await backend.close().catch(() => undefined);
      throw err;
    }
    return { info, backend };
  }
}

function asPdmError(err: unknown): PdmError {
  return err instanceof PdmError ? err : new PdmError('INVALID_CONFIG', describeError(err), { cause: err });
}
