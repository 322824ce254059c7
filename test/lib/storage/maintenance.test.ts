/**
 * Which continuous aggregates the maintenance job refreshes for rows stored late (TimescaleDB),
 * over which window, and what it leaves for the next run; the SQL goes to a recording stand-in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import type { Queryable } from '../../../nodes/lib/storage/database';
import { DAY_MS, refreshLateAggregates } from '../../../nodes/lib/storage/maintenance';
import type { SchemaInfo } from '../../../nodes/lib/storage/schema';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2025, 5, 1, 12, 30, 20);
const INFO: SchemaInfo = { schema: 'pdm', mode: 'timescale', version: 6, applied: [] };

interface Refresh {
  view: string;
  from: string;
  to: string;
}

function recorder(fail: (view: string) => unknown = () => undefined): { db: Queryable; refreshes: Refresh[] } {
  const refreshes: Refresh[] = [];
  const db: Queryable = {
    async query<R extends object>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      assert.match(text, /^CALL refresh_continuous_aggregate\(\$1::regclass, \$2::timestamptz, \$3::timestamptz\)$/);
      const [view, from, to] = params as [string, Date, Date];
      const failure = fail(view);
      if (failure !== undefined) throw failure;
      refreshes.push({ view, from: from.toISOString(), to: to.toISOString() });
      return [];
    },
    execute: async () => 0,
  };
  return { db, refreshes };
}

function lockNotAvailable(): PdmError {
  const cause = Object.assign(new Error('could not refresh continuous aggregate "readings_1m" due to a concurrent refresh'), { code: '55P03' });
  return new PdmError('DB_UNAVAILABLE', `database unavailable (55P03): ${cause.message}`, { retriable: true, cause });
}

describe('refreshing continuous aggregates for late rows', () => {
  it('leaves rows of the last two buckets to the refresh policy and real-time aggregation', async () => {
    const { db, refreshes } = recorder();
    assert.equal(await refreshLateAggregates(db, INFO, NOW, 30, Infinity), Infinity);
    assert.equal(await refreshLateAggregates(db, INFO, NOW, 30, NOW - 70_000), Infinity);
    assert.deepEqual(refreshes, []);
  });

  it('refreshes the 1-minute aggregate from a row stored minutes late to the last whole minute', async () => {
    const { db, refreshes } = recorder();
    assert.equal(await refreshLateAggregates(db, INFO, NOW, 30, NOW - 5 * MINUTE), Infinity);
    assert.deepEqual(refreshes, [{ view: '"pdm"."readings_1m"', from: '2025-06-01T12:25:00.000Z', to: '2025-06-01T12:30:00.000Z' }]);
  });

  it('refreshes both aggregates for a replay of hours, up to their last whole bucket', async () => {
    const { db, refreshes } = recorder();
    await refreshLateAggregates(db, INFO, NOW, 30, NOW - 3 * HOUR);
    assert.deepEqual(refreshes, [
      { view: '"pdm"."readings_1m"', from: '2025-06-01T09:30:00.000Z', to: '2025-06-01T12:30:00.000Z' },
      { view: '"pdm"."readings_1h"', from: '2025-06-01T09:00:00.000Z', to: '2025-06-01T12:00:00.000Z' },
    ]);
  });

  it('starts no earlier than retention keeps the readings', async () => {
    const { db, refreshes } = recorder();
    await refreshLateAggregates(db, INFO, NOW, 30, NOW - 90 * DAY_MS);
    assert.deepEqual(refreshes.map((r) => r.from), ['2025-05-02T12:30:00.000Z', '2025-05-02T12:00:00.000Z']);
  });

  it('leaves an aggregate that a running refresh holds for the next run, and still refreshes the other', async () => {
    const { db, refreshes } = recorder((view) => (view.endsWith('"readings_1m"') ? lockNotAvailable() : undefined));
    const lateFrom = NOW - 3 * HOUR;
    assert.equal(await refreshLateAggregates(db, INFO, NOW, 30, lateFrom), lateFrom);
    assert.deepEqual(refreshes.map((r) => r.view), ['"pdm"."readings_1h"']);
  });

  it('passes any other failure on', async () => {
    const denied = new PdmError('DB_ERROR', 'database error (42501): permission denied', { cause: Object.assign(new Error('denied'), { code: '42501' }) });
    const { db } = recorder(() => denied);
    await assert.rejects(refreshLateAggregates(db, INFO, NOW, 30, NOW - 3 * HOUR), (err: unknown) => err === denied);
  });
});
