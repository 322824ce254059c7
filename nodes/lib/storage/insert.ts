import type { Batch } from './batch';
import { ARRAY_ELEMENT, encodeArray, encodeCopyRows } from './binary';
import type { Database } from './database';
import { sqlState } from './pg-errors';
import { qualified, quoteIdent } from './sql';
import { TABLE_NAMES, TABLES, type TableName } from './tables';

/**
 * How a batch reaches its table. Rows go in grouped by (asset, sensor), so that consecutive key
 * index entries land on the same index pages. A batch is first written the fast way, without
 * conflict handling: binary COPY on a PostgreSQL server, a plain INSERT … unnest on PGlite (whose
 * socket server cannot take COPY data). A batch holding a row that is already stored (a replay
 * after an outage, a duplicate delivery) fails there as a whole with a unique violation and is
 * written again with INSERT … ON CONFLICT DO NOTHING; so are the next batches of its table for a
 * while, as replays come in runs. Either way a row is stored once.
 */
const UNIQUE_VIOLATION = '23505';
/** Batches written conflict-safe after a conflict; doubled while conflicts keep coming. */
const FIRST_CAUTIOUS_RUN = 16;
const MAX_CAUTIOUS_RUN = 1024;

/** INSERT … SELECT FROM unnest($1::…[], …): one binary array parameter per column. */
export function insertStatement(schema: string, table: TableName, skipConflicts: boolean): string {
  const spec = TABLES[table];
  const names = spec.columns.map((c) => quoteIdent(c.name)).join(', ');
  const aliases = spec.columns.map((_c, i) => `c${i}`);
  const params = spec.columns.map((c, i) => `$${i + 1}::${ARRAY_ELEMENT[c.type].sql}[]`).join(', ');
  const selects = spec.columns.map((c, i) => (c.type === 'json' ? `${aliases[i]}::jsonb` : aliases[i])).join(', ');
  const insert = `INSERT INTO ${qualified(schema, table)} (${names}) SELECT ${selects} FROM unnest(${params}) AS u(${aliases.join(', ')})`;
  return skipConflicts ? `${insert} ON CONFLICT (${spec.key.map(quoteIdent).join(', ')}) DO NOTHING` : insert;
}

export function copyStatement(schema: string, table: TableName): string {
  const names = TABLES[table].columns.map((c) => quoteIdent(c.name)).join(', ');
  return `COPY ${qualified(schema, table)} (${names}) FROM STDIN (FORMAT binary)`;
}

/** Row indexes grouped by asset, then sensor (each in sorted order), arrival order kept within a group. */
export function keyOrder(batch: Batch): Uint32Array {
  const columns = TABLES[batch.table].columns;
  const assets = batch.columns[columns.findIndex((c) => c.name === 'asset')] as string[];
  const sensors = batch.columns[columns.findIndex((c) => c.name === 'sensor')] as string[];
  const groups = new Map<string, Map<string, number[]>>();
  for (let row = 0; row < batch.rows; row++) {
    let bySensor = groups.get(assets[row]);
    if (bySensor === undefined) groups.set(assets[row], (bySensor = new Map()));
    const rows = bySensor.get(sensors[row]);
    if (rows === undefined) bySensor.set(sensors[row], [row]);
    else rows.push(row);
  }
  const order = new Uint32Array(batch.rows);
  let at = 0;
  for (const asset of [...groups.keys()].sort()) {
    const bySensor = groups.get(asset) as Map<string, number[]>;
    for (const sensor of [...bySensor.keys()].sort()) {
      for (const row of bySensor.get(sensor) as number[]) order[at++] = row;
    }
  }
  return order;
}

function arrayParameters(batch: Batch, order: Uint32Array): Buffer[] {
  return TABLES[batch.table].columns.map((column, c) => encodeArray(batch.columns[c], column.type, order));
}

interface Caution {
  /** Batches still to be written conflict-safe. */
  left: number;
  /** The run length after the next conflict. */
  nextRun: number;
}

export class BatchInserter {
  private readonly copy: Record<TableName, string>;
  private readonly plain: Record<TableName, string>;
  private readonly skipping: Record<TableName, string>;
  private readonly caution: Record<TableName, Caution>;
  private copyIn: Promise<boolean> | undefined;

  constructor(private readonly db: Database, schema: string) {
    const statements = (build: (table: TableName) => string): Record<TableName, string> =>
      Object.fromEntries(TABLE_NAMES.map((t) => [t, build(t)])) as Record<TableName, string>;
    this.copy = statements((t) => copyStatement(schema, t));
    this.plain = statements((t) => insertStatement(schema, t, false));
    this.skipping = statements((t) => insertStatement(schema, t, true));
    this.caution = Object.fromEntries(TABLE_NAMES.map((t) => [t, { left: 0, nextRun: FIRST_CAUTIOUS_RUN }])) as Record<TableName, Caution>;
  }

  /** Resolves with the rows actually added (rows already stored are skipped). */
  async insert(batch: Batch): Promise<number> {
    const order = keyOrder(batch);
    const caution = this.caution[batch.table];
    if (caution.left > 0) {
      caution.left--;
      return this.insertSkippingConflicts(batch, order);
    }
    try {
      const added = await this.insertFast(batch, order);
      caution.nextRun = FIRST_CAUTIOUS_RUN;
      return added;
    } catch (err) {
      if (sqlState((err as { cause?: unknown }).cause) !== UNIQUE_VIOLATION) throw err;
      caution.left = caution.nextRun;
      caution.nextRun = Math.min(MAX_CAUTIOUS_RUN, caution.nextRun * 2);
      return this.insertSkippingConflicts(batch, order);
    }
  }

  private async insertFast(batch: Batch, order: Uint32Array): Promise<number> {
    if (this.db.copyFrom !== undefined && (await this.takesCopy())) {
      return this.db.copyFrom(this.copy[batch.table], encodeCopyRows(batch, order));
    }
    return this.db.execute(this.plain[batch.table], arrayParameters(batch, order));
  }

  /** PGlite behind its socket server (reachable in server mode too) breaks its session on COPY data. */
  private takesCopy(): Promise<boolean> {
    this.copyIn ??= this.db.query<{ pglite: boolean }>("SELECT version() LIKE '%PGlite%' AS pglite").then(
      ([row]) => !row.pglite,
      (err: unknown) => {
        this.copyIn = undefined;
        throw err;
      });
    return this.copyIn;
  }

  private insertSkippingConflicts(batch: Batch, order: Uint32Array): Promise<number> {
    return this.db.execute(this.skipping[batch.table], arrayParameters(batch, order));
  }
}
