import { PdmError } from '../errors';
import { systemClock, type Clock } from '../status';
import type { Batch } from './batch';
import type { Connection } from './database';
import type { MaintenanceOptions } from './maintenance';
import { toStorageError } from './pg-errors';
import { migrate, type StorageMode } from './schema';
import { DEFAULT_MAINTENANCE, Store } from './store';

/**
 * What a timescale-db config node owns: one connection (pool, or embedded server and pool), the
 * schema migrated on start, the maintenance job, and the connection state that every user
 * (writer, query) registers for.
 */
export type ConnectionState = 'connecting' | 'connected' | 'error';

export interface ConnectionEvent {
  state: ConnectionState;
  mode?: StorageMode;
  detail?: string;
}

export type ConnectionListener = (event: ConnectionEvent) => void;

export interface ServiceLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface ServiceOptions {
  open: () => Promise<Connection>;
  schema: string;
  /** Inserts a writer may keep in flight: 1 for embedded PGlite (one session), a few on a server pool. */
  writeConcurrency?: number;
  maintenance?: MaintenanceOptions;
  maintenanceIntervalMs?: number;
  now?: Clock;
  log?: ServiceLog;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
const SILENT: ServiceLog = { info: () => undefined, warn: () => undefined };

export class StorageService {
  private connection: Connection | undefined;
  private store: Store | undefined;
  private event: ConnectionEvent = { state: 'connecting' };
  private readonly listeners = new Set<ConnectionListener>();
  private closing = false;
  private wake: (() => void) | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private readonly log: ServiceLog;
  private readonly now: Clock;
  private usersGone: (() => void) | undefined;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: ServiceOptions) {
    this.log = options.log ?? SILENT;
    this.now = options.now ?? systemClock;
  }

  get current(): ConnectionEvent {
    return this.event;
  }

  get writeConcurrency(): number {
    return this.options.writeConcurrency ?? 1;
  }

  get mode(): StorageMode | undefined {
    return this.store?.info.mode;
  }

  /** Connects and migrates in the background, retrying until it succeeds or the service closes. */
  start(): Promise<void> {
    this.connecting ??= this.connectLoop();
    return this.connecting;
  }

  /** The listener hears the current state at once and every change after; call the result to leave. */
  register(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    listener(this.event);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.usersGone?.();
    };
  }

  async insert(batch: Batch): Promise<number> {
    const store = this.store;
    if (store === undefined || this.closing) {
      throw new PdmError('DB_UNAVAILABLE', this.event.detail ?? 'database not connected yet', { retriable: true });
    }
    try {
      const added = await store.insert(batch);
      if (this.event.state !== 'connected') this.setState({ state: 'connected', mode: store.info.mode });
      return added;
    } catch (err) {
      const failure = toStorageError(err);
      if (failure.retriable) this.setState({ state: 'connecting', mode: store.info.mode, detail: failure.message });
      throw failure;
    }
  }

  /** A read for query nodes; `readOnly` runs it in a read-only transaction (user SQL templates). */
  async query<R extends object = Record<string, unknown>>(text: string, values: readonly unknown[], readOnly = false): Promise<R[]> {
    const connection = this.connection;
    if (connection === undefined || this.store === undefined || this.closing) {
      throw new PdmError('DB_UNAVAILABLE', this.event.detail ?? 'database not connected yet', { retriable: true });
    }
    const mode = this.store.info.mode;
    try {
      const rows = readOnly
        ? await connection.db.transaction(async (tx) => {
          await tx.query('SET TRANSACTION READ ONLY');
          return tx.query<R>(text, values);
        })
        : await connection.db.query<R>(text, values);
      if (this.event.state !== 'connected') this.setState({ state: 'connected', mode });
      return rows;
    } catch (err) {
      const failure = toStorageError(err);
      if (failure.retriable) this.setState({ state: 'connecting', mode, detail: failure.message });
      throw failure;
    }
  }

  get schema(): string | undefined {
    return this.store?.info.schema;
  }

  /** Runs the maintenance job once now (partitions, retention, rollups). */
  maintain(): Promise<void> {
    this.maintaining ??= this.runMaintenance().finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  /** Waits (within the budget) for users to leave, then ends the connection. */
  async close(budgetMs: number): Promise<void> {
    this.closing = true;
    this.wake?.();
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    const deadline = this.now() + budgetMs;
    if (this.listeners.size > 0) {
      await raceTimeout(new Promise<void>((resolve) => (this.usersGone = resolve)), budgetMs);
    }
    await raceTimeout(Promise.all([this.connecting, this.maintaining]).then(() => undefined), Math.max(0, deadline - this.now()));
    const connection = this.connection;
    this.connection = undefined;
    this.store = undefined;
    if (connection) await raceTimeout(connection.close().catch(() => undefined), Math.max(0, deadline - this.now()));
  }

  private async connectLoop(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.closing) {
      try {
        this.connection ??= await this.options.open();
        const info = await migrate(this.connection.db, this.options.schema);
        if (this.closing) return;
        this.store = new Store(this.connection.db, info, this.options.maintenance ?? DEFAULT_MAINTENANCE);
        const applied = info.applied.length > 0 ? `applied migrations ${info.applied.join(', ')}` : 'schema current';
        this.log.info(`${this.connection.describe}: schema "${info.schema}" v${info.version} (${applied}), ${info.mode === 'timescale' ? 'TimescaleDB' : 'plain PostgreSQL partitioning'}`);
        this.setState({ state: 'connected', mode: info.mode });
        await this.maintain();
        this.maintenanceTimer = setInterval(() => void this.maintain(), this.options.maintenanceIntervalMs ?? 60_000);
        this.maintenanceTimer.unref();
        return;
      } catch (err) {
        const failure = toStorageError(err);
        this.setState({ state: 'error', detail: failure.message });
        this.log.warn(failure.message);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(MAX_RETRY_MS, delay * 2);
      }
    }
  }

  private async runMaintenance(): Promise<void> {
    const store = this.store;
    if (store === undefined || this.closing) return;
    try {
      const report = await store.maintain(this.now());
      if (report.created > 0 || report.dropped > 0) {
        this.log.info(`maintenance: ${report.created} partitions created, ${report.dropped} dropped, ${report.rolledUp} rollup rows`);
      }
    } catch (err) {
      this.log.warn(`maintenance failed: ${toStorageError(err).message}`);
    }
  }

  /** An idle pooled connection failed (server restart, link down): users see it reconnecting. */
  connectionLost(err: unknown): void {
    const failure = toStorageError(err);
    this.log.warn(failure.message);
    if (this.store !== undefined && !this.closing) this.setState({ state: 'connecting', mode: this.store.info.mode, detail: failure.message });
  }

  private setState(event: ConnectionEvent): void {
    const same = event.state === this.event.state && event.detail === this.event.detail && event.mode === this.event.mode;
    this.event = event;
    if (same) return;
    for (const listener of this.listeners) listener(event);
  }
}

function raceTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** What a timescale-db config node offers its users (timescale-write, timescale-query). */
export interface StorageProvider {
  /** Absent when the config node's settings were invalid. */
  storage?: StorageService;
  /** Folder for this package's files under the Node-RED user directory (spill queues). */
  dataRoot: string;
}
