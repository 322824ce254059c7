/** A router on a hand-driven clock: `advance` runs every tick that falls due on the way. */
import { compileConfig, type RouterConfigInput } from '../../../nodes/lib/alerting/config';
import type { AlertEvent } from '../../../nodes/lib/alerting/input';
import { AlertRouter } from '../../../nodes/lib/alerting/router';
import type { Alert, AlertNotification, Severity } from '../../../nodes/lib/alerting/types';

/** Monday 2026-11-23 00:00 UTC. */
export const T0 = Date.UTC(2026, 10, 23);
export const SECOND = 1000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export interface Sent {
  at: number;
  output: number;
  n: AlertNotification;
}

export interface Harness {
  router: AlertRouter;
  sent: Sent[];
  changes: Alert[];
  now(): number;
  advance(ms: number): void;
  fire(asset: string, name: string, severity?: Severity, extra?: Partial<AlertEvent>): void;
  clear(asset: string, name: string): void;
  /** Names of the alerts in each notification sent so far, e.g. "ops firing pump-1/a,pump-1/b". */
  log(): string[];
}

export function harness(input: RouterConfigInput, start = T0, restoreFrom?: AlertRouter): Harness {
  let now = start;
  const sent: Sent[] = [];
  const changes: Alert[] = [];
  const router = new AlertRouter(compileConfig(input), {
    notify: (output, n) => sent.push({ at: now, output, n }),
    change: (alert) => changes.push(alert),
  }, () => now);
  if (restoreFrom) router.restore(JSON.parse(JSON.stringify(restoreFrom.snapshot())));
  const ingest = (event: AlertEvent): void => {
    router.ingest(event);
    router.flushChanges();
  };
  return {
    router,
    sent,
    changes,
    now: () => now,
    advance(ms: number): void {
      const target = now + ms;
      while (router.wakeAt <= target) {
        now = Math.max(now, router.wakeAt);
        router.tick();
      }
      now = target;
    },
    fire: (asset, name, severity = 'medium', extra = {}) => ingest({ asset, name, severity, state: 'firing', ...extra }),
    clear: (asset, name) => ingest({ asset, name, severity: 'low', state: 'resolved' }),
    log: () => sent.map(({ n }) => `${n.receiver} ${n.status}${n.escalationLevel > 0 ? ` L${n.escalationLevel}` : ''} ${n.alerts.map((a) => `${a.key}${a.state === 'resolved' ? '(resolved)' : ''}`).join(',')}`),
  };
}
