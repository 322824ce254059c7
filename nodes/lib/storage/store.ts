import type { Batch } from './batch';
import { timeSpan } from './batch';
import type { Database } from './database';
import { BatchInserter } from './insert';
import { applyTimescaleRetention, dayOf, ensurePartition, maintainPlain, refreshLateAggregates, type MaintenanceOptions, type MaintenanceReport } from './maintenance';
import type { SchemaInfo } from './schema';
import { TABLE_NAMES, type TableName } from './tables';

/** Partitions ahead of today, and how long readings are kept. */
export const DEFAULT_MAINTENANCE: MaintenanceOptions = { retentionDays: 30, daysAhead: 2 };

/**
 * A migrated schema's writes and upkeep: batches inserted (see BatchInserter) into the day
 * partitions they need, and the maintenance job that keeps partitions and rollups current.
 */
export class Store {
  private readonly inserter: BatchInserter;
  /** Days known to have a partition, per table (plain mode only). */
  private readonly partitionDays: Record<TableName, Set<number>>;
  private retentionApplied = false;
  /** The oldest reading time stored since the last maintenance, so late rows reach the rollups. */
  private lateFrom = Infinity;

  constructor(
    private readonly db: Database,
    readonly info: SchemaInfo,
    private readonly maintenance: MaintenanceOptions = DEFAULT_MAINTENANCE,
  ) {
    this.inserter = new BatchInserter(db, info.schema);
    this.partitionDays = Object.fromEntries(TABLE_NAMES.map((t) => [t, new Set<number>()])) as Record<TableName, Set<number>>;
  }

  /** Inserts the batch; resolves with the rows actually added (duplicates skipped). */
  async insert(batch: Batch): Promise<number> {
    if (batch.rows === 0) return 0;
    if (this.info.mode === 'plain') await this.ensurePartitions(batch);
    const added = await this.inserter.insert(batch);
    if (batch.table === 'readings' && added > 0) this.lateFrom = Math.min(this.lateFrom, timeSpan(batch).min);
    return added;
  }

  async maintain(now: number): Promise<MaintenanceReport> {
    const lateFrom = this.lateFrom;
    this.lateFrom = Infinity;
    let report: MaintenanceReport;
    try {
      report = this.info.mode === 'timescale' ? await this.maintainTimescale(now, lateFrom) : await maintainPlain(this.db, this.info, now, this.maintenance, lateFrom);
    } catch (err) {
      this.lateFrom = Math.min(this.lateFrom, lateFrom);
      throw err;
    }
    if (report.dropped > 0) for (const days of Object.values(this.partitionDays)) days.clear();
    return report;
  }

  private async maintainTimescale(now: number, lateFrom: number): Promise<MaintenanceReport> {
    if (!this.retentionApplied) await applyTimescaleRetention(this.db, this.info, this.maintenance.retentionDays);
    this.retentionApplied = true;
    const pending = await refreshLateAggregates(this.db, this.info, now, this.maintenance.retentionDays, lateFrom);
    this.lateFrom = Math.min(this.lateFrom, pending);
    return { created: 0, dropped: 0, rolledUp: 0 };
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
