/**
 * alert-router in an embedded Node-RED: an alert fires and is notified, the flow is redeployed
 * (every node, the database connection included, stops and starts again), and the alert is still
 * active without being notified a second time. State in PostgreSQL (PG_URL when set, else an
 * embedded PGlite) through timescale-db, or in the file context store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeMessageInFlow } from 'node-red';
import type { Alert, AlertCommandTarget, AlertNotification } from '../../nodes/lib/alerting/types';
import type { StorageProvider } from '../../nodes/lib/storage/service';
import { openFixture, type DbFixture } from '../lib/storage/db-fixture';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

const WAIT_MS = 15_000;

describe('alert-router across a restart', () => {
  let f: DbFixture;
  let rt: EmbeddedRuntime;
  const notifications: AlertNotification[] = [];
  const changes: Alert[] = [];

  before(async () => {
    f = await openFixture();
    rt = await startRuntime(onTab([]));
    onSink('ops', (msg: NodeMessageInFlow) => notifications.push(msg.payload as AlertNotification));
    onSink('changes', (msg: NodeMessageInFlow) => changes.push(msg.payload as Alert));
  });

  after(async () => {
    await rt?.stop();
    await f?.cleanup();
  });

  function flow(persist: 'db' | 'file', name: string): FlowNode[] {
    const nodes: FlowNode[] = [
      { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['router']], x: 100, y: 100 },
      {
        id: 'router', type: 'alert-router', name,
        route: JSON.stringify({ receiver: 'ops', group_by: ['asset'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' }),
        receivers: JSON.stringify([{ name: 'ops' }]), inhibitRules: '', timeIntervals: '', assets: '',
        db: persist === 'db' ? 'db' : '', store: persist === 'file' ? 'file' : '', outputs: 2,
        wires: [['ops'], ['changes']], x: 300, y: 100,
      },
      { id: 'ops', type: 'test-sink', wires: [], x: 500, y: 80 },
      { id: 'changes', type: 'test-sink', wires: [], x: 500, y: 120 },
    ];
    if (persist === 'db') {
      nodes.push({
        id: 'db', type: 'timescale-db', mode: 'server', host: f.host, port: f.port, database: f.database, schema: f.schema,
        poolSize: f.embedded ? 1 : 4, credentials: { user: f.user },
      });
    }
    return onTab(nodes);
  }

  const router = (): AlertCommandTarget => rt.node('router') as unknown as AlertCommandTarget;
  const fire = (name: string): void => rt.inject('src', { payload: { asset: 'pump-1', name, severity: 'high', value: 1 } });

  for (const persist of ['db', 'file'] as const) {
    it(`${persist === 'db' ? 'in the database' : 'in the file context store'}: no alert lost, no notification sent twice`, async () => {
      notifications.length = 0;
      changes.length = 0;
      await rt.deploy(flow(persist, 'first'));
      fire('temp');
      await waitFor(() => notifications.length === 1, WAIT_MS, 'the first notification');
      const [before] = router().activeAlerts();
      assert.equal(before.key, 'pump-1/temp');

      await rt.deploy(flow(persist, 'second'));
      await waitFor(() => router().activeAlerts().length === 1, WAIT_MS, 'the alert restored');
      assert.equal(router().activeAlerts()[0].id, before.id);
      fire('temp');
      fire('pressure');
      // A router that forgot what it sent would notify temp alone, at once, before this.
      await waitFor(() => notifications.length >= 2, WAIT_MS, 'the second notification');
      assert.deepEqual(notifications[1].alerts.map((a) => a.key), ['pump-1/temp', 'pump-1/pressure']);

      const result = await router().applyCommand({ action: 'resolve', key: 'pump-1/temp', by: 'test', via: 'test' });
      assert.equal(result.ok, true);
      await waitFor(() => notifications.length >= 3, WAIT_MS, 'the resolved alert reported');
      assert.deepEqual(notifications[2].alerts.map((a) => [a.key, a.state]), [['pump-1/pressure', 'firing'], ['pump-1/temp', 'resolved']]);
      assert.equal(notifications.filter((n) => n.alerts.some((a) => a.key === 'pump-1/temp' && a.state === 'firing')).length, 2);

      if (persist === 'db') {
        const storage = (rt.node('db') as unknown as StorageProvider).storage;
        assert.ok(storage);
        const read = (): Promise<Array<{ key: string; state: string }>> =>
          storage.query(`SELECT record->>'key' AS key, state FROM "${f.schema}".alerts WHERE router = $1 ORDER BY 1`, ['router']);
        // Saves follow changes by a fraction of a second.
        let rows = await read();
        for (let i = 0; i < 100 && !rows.some((r) => r.state === 'resolved'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          rows = await read();
        }
        assert.deepEqual(rows, [{ key: 'pump-1/pressure', state: 'firing' }, { key: 'pump-1/temp', state: 'resolved' }]);
      }
      await router().applyCommand({ action: 'resolve', key: 'pump-1/pressure', by: 'test' });
    });
  }
});
