import type { Batch } from './batch';
import { timeSpan } from './batch';
import type { Queryable } from './database';
import { applyTimescaleRetention, dayOf, ensurePartition, maintainPlain, type MaintenanceOptions, type MaintenanceReport } from './maintenance';
import type { SchemaInfo } from './schema';
import { qualified, quoteIdent } from './sql';
import { TABLE_NAMES, TABLES, type ColumnSpec, type TableName } from './tables';

/**
 * Writes batches into a migrated schema: one INSERT … SELECT FROM unnest($1::…[], …) per batch,
 * skipping rows whose key is already stored, so a replayed batch never duplicates a row.
 */
const ARRAY_TYPE: Record<ColumnSpec['type'], string> = {
  ts: 'float8[]', text: 'text[]', float8: 'float8[]', int4: 'int4[]', json: 'text[]',
};

function selectExpression(column: ColumnSpec, alias: string): string {
  if (column.type === 'ts') return `to_timestamp(${alias} / 1000.0)`;
  if (column.type === 'json') return `${alias}::jsonb`;
  return alias;
}

export function insertStatement(schema: string, table: TableName): string {
  const spec = TABLES[table];
  const names = spec.columns.map((c) => quoteIdent(c.name)).join(', ');
  const aliases = spec.columns.map((_c, i) => `c${i}`);
  const params = spec.columns.map((c, i) => `$${i + 1}::${ARRAY_TYPE[c.type]}`).join(', ');
  const selects = spec.columns.map((c, i) => selectExpression(c, aliases[i])).join(', ');
  return `INSERT INTO ${qualified(schema, table)} (${names}) SELECT ${selects} FROM unnest(${params}) AS u(${aliases.join(', ')})
    ON CONFLICT (${spec.key.map(quoteIdent).join(', ')}) DO NOTHING`;
}

/** Partitions ahead of today, and how long readings are kept. */
export const DEFAULT_MAINTENANCE: MaintenanceOptions = { retentionDays: 30, daysAhead: 2 };

export class Store {
  private readonly statements: Record<TableName, string>;
  /** Days known to have a partition, per table (plain mode only). */
  private readonly partitionDays: Record<TableName, Set<number>>;
  private retentionApplied = false;
  /** The oldest reading time stored since the last maintenance, so late rows reach the rollups. */
  private lateFrom = Infinity;

  constructor(
    private readonly db: Queryable,
    readonly info: SchemaInfo,
    private readonly maintenance: MaintenanceOptions = DEFAULT_MAINTENANCE,
  ) {
    this.statements = Object.fromEntries(TABLE_NAMES.map((t) => [t, insertStatement(info.schema, t)])) as Record<TableName, string>;
    this.partitionDays = Object.fromEntries(TABLE_NAMES.map((t) => [t, new Set<number>()])) as Record<TableName, Set<number>>;
  }

  /** Inserts the batch; resolves with the rows actually added (duplicates skipped). */
  async insert(batch: Batch): Promise<number> {
    if (batch.rows === 0) return 0;
    if (this.info.mode === 'plain') await this.ensurePartitions(batch);
    const rows = await this.db.query<{ n: number }>(`WITH ins AS (${this.statements[batch.table]} RETURNING 1) SELECT count(*)::int AS n FROM ins`, batch.columns);
    if (batch.table === 'readings' && rows[0].n > 0) this.lateFrom = Math.min(this.lateFrom, timeSpan(batch).min);
    return rows[0].n;
  }

  async maintain(now: number): Promise<MaintenanceReport> {
    if (this.info.mode === 'timescale') {
      if (!this.retentionApplied) await applyTimescaleRetention(this.db, this.info, this.maintenance.retentionDays);
      this.retentionApplied = true;
      return { created: 0, dropped: 0, rolledUp: 0 };
    }
    const lateFrom = this.lateFrom;
    this.lateFrom = Infinity;
    let report: MaintenanceReport;
    try {
      report = await maintainPlain(this.db, this.info, now, this.maintenance, lateFrom);
    } catch (err) {
      this.lateFrom = Math.min(this.lateFrom, lateFrom);
      throw err;
    }
    if (report.dropped > 0) for (const days of Object.values(this.partitionDays)) days.clear();
    return report;
  }

  private async ensurePartitions(batch: Batch): Promise<void> {
    const known = this.partitionDays[batch.table];
    const { min, max } = timeSpan(batch);
    if (dayOf(min) === dayOf(max) && known.has(dayOf(min))) return;
    for (const day of batchDays(batch)) {
      if (known.has(day)) continue;
      await ensurePartition(this.db, this.info.schema, batch.table, day);
      known.add(day);
    }
  }
}

/** The distinct days of a batch's time column: only days that hold rows get a partition. */
function batchDays(batch: Batch): Set<number> {
  const days = new Set<number>();
  const times = batch.columns[0] as number[];
  for (let i = 0; i < times.length; i++) days.add(dayOf(times[i]));
  return days;
}
