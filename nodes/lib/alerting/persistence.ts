/**
 * Where the router keeps its alerts and state between runs: PostgreSQL (the `alerts` table and
 * one `alert_router_state` row per router, written in one statement so they never disagree), or
 * a key-value store (Node-RED context) holding one snapshot.
 */
import { qualified } from '../storage/sql';
import type { RouterSnapshot, RouterState } from './router';
import type { Alert } from './types';

export interface RouterPersistence {
  load(): Promise<Partial<RouterSnapshot> | undefined>;
  /** `alerts`: those changed since the last save; `full`: the whole snapshot, for stores that keep only that. */
  save(alerts: Alert[], state: RouterState, full: () => RouterSnapshot): Promise<void>;
}

export type SqlQuery = <R extends object>(text: string, values: readonly unknown[]) => Promise<R[]>;

export class SqlPersistence implements RouterPersistence {
  private readonly saveText: string;
  private readonly stateText: string;
  private readonly alertsText: string;

  constructor(
    private readonly query: SqlQuery,
    schema: string,
    private readonly router: string,
  ) {
    const alerts = qualified(schema, 'alerts');
    const state = qualified(schema, 'alert_router_state');
    const ts = (c: string): string => `CASE WHEN r.${c} IS NULL THEN NULL ELSE to_timestamp(r.${c} / 1000.0) END`;
    this.saveText = `WITH r AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(id text, name text, asset text, sensor text, severity text,
        state text, "openedAt" float8, "updatedAt" float8, "acknowledgedAt" float8, "acknowledgedBy" text, "resolvedAt" float8, record jsonb)),
      up AS (INSERT INTO ${alerts} (id, router, name, asset, sensor, severity, state, opened_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, record)
        SELECT r.id, $1, r.name, r.asset, r.sensor, r.severity, r.state, to_timestamp(r."openedAt" / 1000.0), to_timestamp(r."updatedAt" / 1000.0),
          ${ts('"acknowledgedAt"')}, r."acknowledgedBy", ${ts('"resolvedAt"')}, r.record FROM r
        ON CONFLICT (id) DO UPDATE SET severity = EXCLUDED.severity, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at,
          acknowledged_at = EXCLUDED.acknowledged_at, acknowledged_by = EXCLUDED.acknowledged_by, resolved_at = EXCLUDED.resolved_at, record = EXCLUDED.record)
      INSERT INTO ${state} (router, state, updated_at) VALUES ($1, $3::jsonb, now())
      ON CONFLICT (router) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`;
    this.stateText = `SELECT state FROM ${state} WHERE router = $1`;
    this.alertsText = `SELECT record FROM ${alerts} WHERE router = $1 AND (state <> 'resolved' OR id = ANY($2::text[]))`;
  }

  async load(): Promise<Partial<RouterSnapshot> | undefined> {
    const rows = await this.query<{ state: RouterState }>(this.stateText, [this.router]);
    const state: Partial<RouterState> = rows[0]?.state ?? {};
    const alerts = await this.query<{ record: Alert }>(this.alertsText, [this.router, state.pending ?? []]);
    if (rows.length === 0 && alerts.length === 0) return undefined;
    return { ...state, alerts: alerts.map((r) => r.record) };
  }

  async save(alerts: Alert[], state: RouterState): Promise<void> {
    const rows = alerts.map((a) => ({
      id: a.id, name: a.name, asset: a.asset, sensor: a.sensor ?? null, severity: a.severity, state: a.state,
      openedAt: a.openedAt, updatedAt: a.updatedAt, acknowledgedAt: a.acknowledgedAt ?? null, acknowledgedBy: a.acknowledgedBy ?? null,
      resolvedAt: a.resolvedAt ?? null, record: a,
    }));
    await this.query(this.saveText, [this.router, JSON.stringify(rows), JSON.stringify(state)]);
  }
}

export interface KeyValueStore {
  get(): Promise<unknown>;
  set(value: unknown): Promise<void>;
}

export class SnapshotPersistence implements RouterPersistence {
  constructor(private readonly store: KeyValueStore) {}

  async load(): Promise<Partial<RouterSnapshot> | undefined> {
    const value = await this.store.get();
    return typeof value === 'object' && value !== null ? (value as Partial<RouterSnapshot>) : undefined;
  }

  save(_alerts: Alert[], _state: RouterState, full: () => RouterSnapshot): Promise<void> {
    // A detached copy: a store that writes to disk later must not see the alerts change meanwhile.
    return this.store.set(JSON.parse(JSON.stringify(full())) as RouterSnapshot);
  }
}
