import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Pool, type PoolClient, type PoolConfig, type QueryResult } from 'pg';
import { CopyFromQuery } from './copy';
import { toStorageError } from './pg-errors';

/**
 * The one place that knows the database client: a `pg` pool, pointed either at a PostgreSQL
 * server or at an embedded PGlite served over a local socket, so both run the same SQL path.
 */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a statement for its effect; resolves with the number of rows it affected. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}

export interface Database extends Queryable {
  /** Runs `work` on one connection inside BEGIN/COMMIT, rolling back on failure. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs a `COPY … FROM STDIN` statement with `data` as its input; resolves with the rows
   * copied. Absent where COPY data cannot be sent (PGlite's socket server).
   */
  copyFrom?(statement: string, data: Buffer): Promise<number>;
  end(): Promise<void>;
}

/** A database handle with what it takes to end it. */
export interface Connection {
  db: Database;
  /** Where it points, for logs. */
  describe: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  tls?: { ca?: string; rejectUnauthorized: boolean };
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs?: number;
}

async function run<R extends object>(target: Pool | PoolClient, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  try {
    return await target.query<R>(text, params as unknown[] | undefined);
  } catch (err) {
    throw toStorageError(err);
  }
}

function poolQueryable(target: Pool | PoolClient): Queryable {
  return {
    query: async <R extends object>(text: string, params?: readonly unknown[]): Promise<R[]> => (await run<R>(target, text, params)).rows,
    execute: async (text: string, params?: readonly unknown[]): Promise<number> => (await run(target, text, params)).rowCount ?? 0,
  };
}

async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw toStorageError(err);
  }
}

/**
 * Runs `work` on a client taken from the pool. A connection that fails meanwhile fails the work
 * (instead of raising an unhandled 'error' event) and is not put back into the pool.
 */
async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (err) {
    const failure = toStorageError(err);
    if (isBroken(failure)) broken ??= failure;
    throw failure;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

export interface PoolDatabaseOptions {
  /** The server takes COPY FROM STDIN (a PostgreSQL server does; PGlite over its socket does not). */
  copyIn: boolean;
}

/** `onIdleError` receives failures of idle pooled connections (a server restart, a dropped link). */
export function createPoolDatabase(config: PoolConfig, onIdleError: (err: Error) => void, options: PoolDatabaseOptions): Database {
  const pool = new Pool(config);
  pool.on('error', onIdleError);
  const direct = poolQueryable(pool);
  const database: Database = {
    query: direct.query,
    execute: direct.execute,
    transaction: <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => withClient(pool, async (client) => {
      const tx = poolQueryable(client);
      await tx.query('BEGIN');
      try {
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }),
    end: () => pool.end(),
  };
  if (options.copyIn) {
    database.copyFrom = (statement: string, data: Buffer): Promise<number> => withClient(pool, (client) => {
      const copy = new CopyFromQuery(statement, data);
      void client.query(copy);
      return copy.done;
    });
  }
  return database;
}

/** A connection that failed at transport level is not put back into the pool. */
function isBroken(err: Error): boolean {
  return (err as { retriable?: boolean }).retriable === true;
}

/**
 * Session settings for a PostgreSQL server. JIT compilation is off: the planner over-estimates
 * the per-sensor trend queries and would spend hundreds of milliseconds compiling a query that
 * runs in tens.
 */
export const SERVER_SESSION_OPTIONS = '-c jit=off';

export function serverPoolConfig(options: ServerOptions): PoolConfig {
  const config: PoolConfig = {
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    password: options.password,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    keepAlive: true,
    application_name: 'node-red-predictive-maintenance',
    options: SERVER_SESSION_OPTIONS,
  };
  if (options.statementTimeoutMs > 0) config.statement_timeout = options.statementTimeoutMs;
  if (options.tls) {
    const ssl: ConnectionOptions = { rejectUnauthorized: options.tls.rejectUnauthorized };
    if (options.tls.ca) ssl.ca = options.tls.ca;
    config.ssl = ssl;
  }
  return config;
}

export interface EmbeddedServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * PGlite with its data in `dataDir`, served on a loopback port. PGlite is one backend session
 * and its socket server queues every connection's queries into it, so the pool that talks to it
 * holds exactly one connection or two clients' transactions would interleave. The server still
 * admits a few: the pool replaces a connection that failed while the old socket is closing.
 */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
  fs.mkdirSync(dataDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const [host, port] = splitHostPort(server.getServerConn());
  return {
    host,
    port,
    async stop(): Promise<void> {
      await server.stop();
      await db.close();
    },
  };
}

function splitHostPort(conn: string): [string, number] {
  const cut = conn.lastIndexOf(':');
  return [conn.slice(0, cut), Number(conn.slice(cut + 1))];
}

export function embeddedPoolConfig(server: EmbeddedServer): PoolConfig {
  return {
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: 'postgres',
    max: 1,
    connectionTimeoutMillis: 5000,
  };
}

export function openServerConnection(options: ServerOptions, onIdleError: (err: Error) => void): Connection {
  const db = createPoolDatabase(serverPoolConfig(options), onIdleError, { copyIn: true });
  return { db, describe: `PostgreSQL ${options.host}:${options.port}/${options.database}`, close: () => db.end() };
}

export async function openEmbeddedConnection(dataDir: string, onIdleError: (err: Error) => void): Promise<Connection> {
  const server = await startEmbedded(dataDir);
  const db = createPoolDatabase(embeddedPoolConfig(server), onIdleError, { copyIn: false });
  return {
    db,
    describe: `embedded PGlite ${dataDir}`,
    async close(): Promise<void> {
      await db.end();
      await server.stop();
    },
  };
}
