import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PdmError } from '../errors';
import { systemClock, type Clock } from '../status';

/**
 * A file-based model registry. Layout: `<dir>/<name>/v<version>/{model.onnx,meta.json}` and
 * `<dir>/<name>/registry.json` = `{ live, previous, candidate }`. Every file is written to a
 * temporary name and renamed, so a reader never sees half a file. Versions are immutable once
 * registered; only `registry.json` changes when a model is promoted, rolled back or proposed.
 *
 * Every exported graph takes `inputName` float32 [N, F] of raw features in `features` order
 * (the scaler is inside the graph) and has an output `score` float32 [N] with score ≥ 1 meaning
 * anomalous (the raw statistic divided by `threshold`).
 */
export interface ModelMeta {
  name: string;
  version: number;
  /** The asset whose history trained it, for one asset's model. */
  asset?: string;
  kind: string;
  features: string[];
  inputName: string;
  outputNames: string[];
  threshold: number;
  scaler: { mean: number[]; scale: number[] };
  trainedFrom?: number;
  trainedTo?: number;
  rows: number;
  metrics: Record<string, number>;
  /** Per feature: 10 quantile bins of the training data (edges, fractions) and a sample of ≤ 1,000 values. */
  baseline?: Record<string, { edges: number[]; fractions: number[]; sample: number[] }>;
  createdAt: number;
}

/** Which versions of a model are live, were live before and are proposed. */
export interface RegistryState {
  live: number | null;
  /** Versions that were live before, most recent last: `rollback` pops from here. */
  previous: number[];
  candidate: number | null;
}

export interface ModelRegistryOptions {
  /** How often other processes' changes are looked for when fs.watch misses them (ms, default 1000). */
  pollMs?: number;
  now?: Clock;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VERSION_DIR = /^v([1-9][0-9]*)$/;
const STATE_FILE = 'registry.json';
const EMPTY_STATE: RegistryState = { live: null, previous: [], candidate: null };

/** A model name that is one plain path segment: letters, digits, `.`, `_`, `-`, never `..`. */
export function validateModelName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.includes('..')) {
    throw new PdmError('INVALID_CONFIG', `model name must be 1–128 letters, digits, '.', '_' or '-' (not starting with '.' and without '..'), got ${JSON.stringify(name)}`);
  }
  return name;
}

function validateVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new PdmError('INVALID_CONFIG', `model version must be a positive integer, got ${JSON.stringify(version)}`);
  }
  return version;
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function signature(stat: fs.Stats): string {
  return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}

/**
 * One watcher per registry directory, shared by every registry instance in the process: it
 * relays changes made here at once, and notices other processes' changes to any
 * `<name>/registry.json` through fs.watch, with a poll as the fallback.
 */
class DirectoryWatch {
  readonly events = new EventEmitter();
  /** Last seen signature of each name's registry.json; a change made here is recorded before it is announced. */
  private readonly seen = new Map<string, string>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;

  constructor(
    private readonly dir: string,
    private readonly pollMs: number,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Announces a change made in this process, and records the file so the watcher does not repeat it. */
  changed(name: string): void {
    this.remember(name);
    this.events.emit('change', name);
  }

  subscribe(listener: (name: string) => void): () => void {
    this.events.on('change', listener);
    if (this.timer === undefined) this.start();
    return () => {
      this.events.off('change', listener);
      if (this.events.listenerCount('change') === 0) this.stop();
    };
  }

  private remember(name: string): void {
    try {
      this.seen.set(name, signature(fs.statSync(path.join(this.dir, name, STATE_FILE))));
    } catch {
      this.seen.delete(name);
    }
  }

  private start(): void {
    this.scan(false);
    this.timer = setInterval(() => this.scan(true), this.pollMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Compares every name's registry.json with what was last seen; `announce` is false on the first look. */
  private scan(announce: boolean): void {
    if (this.scanning) return;
    this.scanning = true;
    try {
      let entries: string[];
      try {
        entries = fs.readdirSync(this.dir);
      } catch {
        entries = [];
      }
      for (const name of entries) {
        if (!NAME.test(name)) continue;
        this.check(name, announce);
        this.watch(name);
      }
    } finally {
      this.scanning = false;
    }
  }

  private check(name: string, announce: boolean): void {
    let current: string | undefined;
    try {
      current = signature(fs.statSync(path.join(this.dir, name, STATE_FILE)));
    } catch {
      current = undefined;
    }
    if (current === undefined || current === this.seen.get(name)) return;
    this.seen.set(name, current);
    if (announce) this.events.emit('change', name);
  }

  /** registry.json is replaced by rename, so the directory holding it is watched, not the file. */
  private watch(name: string): void {
    if (this.watchers.has(name)) return;
    try {
      const watcher = fs.watch(path.join(this.dir, name), { persistent: false }, (_event, file) => {
        if (file === null || String(file) === STATE_FILE) this.check(name, true);
      });
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(name);
      });
      this.watchers.set(name, watcher);
    } catch {
      // The poll still covers this name.
    }
  }
}

const directoryWatches = new Map<string, DirectoryWatch>();
/** Serialises read-modify-write of one name's files within the process. */
const locks = new Map<string, Promise<unknown>>();

function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  locks.set(key, settled);
  void settled.then(() => {
    if (locks.get(key) === settled) locks.delete(key);
  });
  return next;
}

export class ModelRegistry {
  readonly dir: string;
  private readonly now: Clock;
  private readonly watch: DirectoryWatch;

  constructor(dir: string, options: ModelRegistryOptions = {}) {
    if (typeof dir !== 'string' || dir === '') throw new PdmError('INVALID_CONFIG', 'model registry directory is required');
    this.dir = path.resolve(dir);
    this.now = options.now ?? systemClock;
    let watch = directoryWatches.get(this.dir);
    if (!watch) {
      watch = new DirectoryWatch(this.dir, options.pollMs ?? 1000);
      directoryWatches.set(this.dir, watch);
    }
    this.watch = watch;
  }

  /** Stores a new version (1 + the highest so far). It does not change which version is live. */
  async register(meta: Omit<ModelMeta, 'version' | 'createdAt'>, onnx: Uint8Array): Promise<ModelMeta> {
    const name = validateModelName(meta.name);
    checkMeta(meta);
    if (!(onnx instanceof Uint8Array) || onnx.length === 0) throw new PdmError('INVALID_PAYLOAD', 'the ONNX model is empty');
    const stored = await withLock(this.key(name), async () => {
      const base = this.nameDir(name);
      await fs.promises.mkdir(base, { recursive: true });
      for (let version = (await this.versions(name)).at(-1) ?? 0; ; ) {
        version += 1;
        const vdir = path.join(base, `v${version}`);
        try {
          // Not recursive: fails if another process took this version first, and the next is tried.
          await fs.promises.mkdir(vdir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw err;
        }
        const full: ModelMeta = { ...meta, name, version, createdAt: this.now() };
        await writeAtomic(path.join(vdir, 'model.onnx'), onnx);
        // meta.json last: a version directory without it is incomplete and not listed.
        await writeAtomic(path.join(vdir, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
        // Rewriting the state (unchanged) lets other processes' watchers see the new version.
        await this.writeState(name, await this.readState(name));
        return full;
      }
    });
    this.watch.changed(name);
    return stored;
  }

  /** Every complete version of a model, oldest first. */
  async list(name: string): Promise<ModelMeta[]> {
    validateModelName(name);
    const metas: ModelMeta[] = [];
    for (const version of await this.versions(name)) {
      const meta = await this.get(name, version);
      if (meta) metas.push(meta);
    }
    return metas;
  }

  async get(name: string, version: number): Promise<ModelMeta | undefined> {
    validateModelName(name);
    validateVersion(version);
    try {
      const text = await fs.promises.readFile(path.join(this.nameDir(name), `v${version}`, 'meta.json'), 'utf8');
      return JSON.parse(text) as ModelMeta;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw new PdmError('INVALID_PAYLOAD', `model ${name} v${version}: unreadable meta.json`, { cause: err });
    }
  }

  /** The names of every model with at least one version, sorted. */
  async names(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.promises.readdir(this.dir);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const names: string[] = [];
    for (const entry of entries.sort()) {
      if (NAME.test(entry) && !entry.includes('..') && (await this.versions(entry)).length > 0) names.push(entry);
    }
    return names;
  }

  async state(name: string): Promise<RegistryState> {
    return this.readState(validateModelName(name));
  }

  async live(name: string): Promise<ModelMeta | undefined> {
    const state = await this.readState(validateModelName(name));
    return state.live === null ? undefined : this.get(name, state.live);
  }

  async candidate(name: string): Promise<ModelMeta | undefined> {
    const state = await this.readState(validateModelName(name));
    return state.candidate === null ? undefined : this.get(name, state.candidate);
  }

  /** Makes `version` live; the version live before is kept for `rollback`. */
  async promote(name: string, version: number): Promise<void> {
    await this.update(name, async (state) => {
      await this.require(name, version);
      if (state.live === version) return state;
      const previous = state.live === null ? state.previous : [...state.previous, state.live];
      return { live: version, previous, candidate: state.candidate === version ? null : state.candidate };
    });
  }

  async setCandidate(name: string, version: number | null): Promise<void> {
    await this.update(name, async (state) => {
      if (version !== null) await this.require(name, version);
      return { ...state, candidate: version };
    });
  }

  /** Makes the previously live version live again and returns it. */
  async rollback(name: string): Promise<ModelMeta> {
    let restored: ModelMeta | undefined;
    await this.update(name, async (state) => {
      const previous = [...state.previous];
      for (let version = previous.pop(); version !== undefined; version = previous.pop()) {
        restored = await this.get(name, version);
        if (restored) return { ...state, live: version, previous };
      }
      throw new PdmError('INVALID_CONFIG', `model ${name} has no previous live version to roll back to`);
    });
    return restored as ModelMeta;
  }

  modelFile(meta: ModelMeta): string {
    return path.join(this.nameDir(validateModelName(meta.name)), `v${validateVersion(meta.version)}`, 'model.onnx');
  }

  /** Calls `listener(name)` after any change to that model, from any process. Returns the unsubscribe function. */
  onChange(listener: (name: string) => void): () => void {
    return this.watch.subscribe(listener);
  }

  private key(name: string): string {
    return `${this.dir}\0${name}`;
  }

  private nameDir(name: string): string {
    return path.join(this.dir, name);
  }

  private async versions(name: string): Promise<number[]> {
    let entries: string[];
    try {
      entries = await fs.promises.readdir(this.nameDir(name));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    return entries
      .map((entry) => VERSION_DIR.exec(entry))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private async require(name: string, version: number): Promise<void> {
    if (!(await this.get(name, version))) throw new PdmError('INVALID_CONFIG', `model ${name} has no version ${version}`);
  }

  private async readState(name: string): Promise<RegistryState> {
    try {
      const parsed = JSON.parse(await fs.promises.readFile(path.join(this.nameDir(name), STATE_FILE), 'utf8')) as Partial<RegistryState>;
      return {
        live: typeof parsed.live === 'number' ? parsed.live : null,
        previous: Array.isArray(parsed.previous) ? parsed.previous.filter((v): v is number => Number.isInteger(v) && v > 0) : [],
        candidate: typeof parsed.candidate === 'number' ? parsed.candidate : null,
      };
    } catch (err) {
      if (isMissing(err)) return { ...EMPTY_STATE, previous: [] };
      throw new PdmError('INVALID_PAYLOAD', `model ${name}: unreadable ${STATE_FILE}`, { cause: err });
    }
  }

  private async writeState(name: string, state: RegistryState): Promise<void> {
    await fs.promises.mkdir(this.nameDir(name), { recursive: true });
    await writeAtomic(path.join(this.nameDir(name), STATE_FILE), `${JSON.stringify(state)}\n`);
  }

  private async update(name: string, change: (state: RegistryState) => Promise<RegistryState>): Promise<void> {
    validateModelName(name);
    await withLock(this.key(name), async () => this.writeState(name, await change(await this.readState(name))));
    this.watch.changed(name);
  }
}

function checkMeta(meta: Omit<ModelMeta, 'version' | 'createdAt'>): void {
  const f = meta.features;
  if (!Array.isArray(f) || f.length === 0 || f.some((x) => typeof x !== 'string' || x === '')) {
    throw new PdmError('INVALID_PAYLOAD', 'model features must be a non-empty list of names');
  }
  if (typeof meta.inputName !== 'string' || meta.inputName === '') throw new PdmError('INVALID_PAYLOAD', 'model inputName is required');
  if (!Array.isArray(meta.outputNames) || !meta.outputNames.includes('score')) throw new PdmError('INVALID_PAYLOAD', "model outputNames must include 'score'");
  if (!Number.isFinite(meta.threshold) || meta.threshold <= 0) throw new PdmError('INVALID_PAYLOAD', `model threshold must be a positive number, got ${meta.threshold}`);
  const { mean, scale } = meta.scaler ?? {};
  if (!Array.isArray(mean) || !Array.isArray(scale) || mean.length !== f.length || scale.length !== f.length) {
    throw new PdmError('INVALID_PAYLOAD', 'model scaler mean and scale must have one entry per feature');
  }
}
