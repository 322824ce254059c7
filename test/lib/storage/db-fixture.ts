/**
 * The database a storage test runs against: the PostgreSQL named by PG_URL when it is set,
 * otherwise an embedded PGlite served over its socket server, started here. Each fixture works
 * in its own schema (pdm_test_<random> unless one is named), dropped by `cleanup` unless kept.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPoolDatabase, embeddedPoolConfig, SERVER_SESSION_OPTIONS, startEmbedded, type Database, type EmbeddedServer } from '../../../nodes/lib/storage/database';
import { quoteIdent } from '../../../nodes/lib/storage/sql';

export interface DbFixture {
  db: Database;
  host: string;
  port: number;
  database: string;
  user: string;
  embedded: boolean;
  schema: string;
  /** Drops the schema (unless `keepSchema`), ends the pool and stops the embedded server. */
  cleanup(): Promise<void>;
}

export function testSchemaName(): string {
  return `pdm_test_${crypto.randomBytes(5).toString('hex')}`;
}

export interface FixtureOptions {
  /** Work in this schema instead of a new random one (e.g. to reuse filled data between runs). */
  schema?: string;
  /** Leave the schema in place at cleanup. */
  keepSchema?: boolean;
}

export async function openFixture(options: FixtureOptions = {}): Promise<DbFixture> {
  const schema = options.schema ?? testSchemaName();
  const url = process.env.PG_URL;
  let server: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let target: { host: string; port: number; database: string; user: string };
  if (url) {
    const parsed = new URL(url);
    target = {
      host: parsed.hostname,
      port: Number(parsed.port || 5432),
      database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
      user: decodeURIComponent(parsed.username) || 'postgres',
    };
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-pglite-'));
    server = await startEmbedded(dataDir);
    const config = embeddedPoolConfig(server);
    target = { host: server.host, port: server.port, database: String(config.database), user: String(config.user) };
  }
  const password = url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  const db = createPoolDatabase({ ...target, password, max: server ? 1 : 4, options: server ? undefined : SERVER_SESSION_OPTIONS },
    () => undefined, { copyIn: server === undefined });
  return {
    db,
    ...target,
    embedded: server !== undefined,
    schema,
    async cleanup(): Promise<void> {
      if (!options.keepSchema) await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
      await db.end();
      await server?.stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
