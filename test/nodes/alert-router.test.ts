import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import alertRouterNode from '../../nodes/alert-router';
import type { Alert, AlertCommandTarget, AlertNotification } from '../../nodes/lib/alerting/types';
import { events, recorder, withCatalog } from '../support/node-helper';

helper.init(require.resolve('node-red'));
helper.settings({ contextStorage: { default: { module: 'memory' } } });

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;
type RouterNode = Node & AlertCommandTarget;

interface NotificationMessage extends NodeMessage {
  payload: AlertNotification;
}
interface ChangeMessage extends NodeMessage {
  payload: Alert;
}
interface CaughtMessage extends NodeMessage {
  error?: { message?: string };
}

const RECEIVERS = JSON.stringify([{ name: 'ops' }, { name: 'lead' }]);
const ROUTE = JSON.stringify({
  receiver: 'ops', group_by: ['asset'], group_wait: '0s', group_interval: '1h', repeat_interval: '4h',
  routes: [{ matchers: ['severity="critical"'], receiver: 'lead' }],
});

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    {
      id: 'r', z: 'f', type: 'alert-router', route: ROUTE, receivers: RECEIVERS, inhibitRules: '', timeIntervals: '',
      assets: JSON.stringify({ 'pump-1': { site: 'north' } }), ...config, wires: [['ops'], ['lead'], ['changes']],
    },
    { id: 'ops', z: 'f', type: 'helper' },
    { id: 'lead', z: 'f', type: 'helper' },
    { id: 'changes', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<RouterNode> {
  await helper.load(withCatalog(alertRouterNode), flow(config));
  return helper.getNode('r') as RouterNode;
}

async function useConfiguredStore(): Promise<void> {
  const runtimeDir = path.dirname(require.resolve('@node-red/runtime/package.json'));
  const context = (await import(path.join(runtimeDir, 'lib', 'nodes', 'context'))) as { load(): Promise<void> };
  await context.load();
}

/** Resolves with the first status text that matches. */
function statusMatching(node: Node, pattern: RegExp): Promise<{ fill?: string; text?: string }> {
  return new Promise((resolve) => {
    events(node).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => {
      if (pattern.test(call.args[0].text ?? '')) resolve(call.args[0]);
    });
  });
}

const anomaly = (asset: string, severity: string, state = 'firing'): NodeMessage =>
  ({ payload: { asset, sensor: 'temp', ts: Date.now(), value: 90, score: 4, severity, detectors: [{ name: 'zscore', score: 4 }] }, anomaly: { key: `${asset}/temp`, state } }) as NodeMessage;

describe('alert-router node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('notifies the receiver of the matching route and reports every change', async () => {
    const node = await load();
    const ops = recorder<NotificationMessage>('ops');
    const lead = recorder<NotificationMessage>('lead');
    const changes = recorder<ChangeMessage>('changes');
    node.receive(anomaly('pump-1', 'high'));
    node.receive(anomaly('pump-2', 'critical'));
    const [toOps] = await ops.next();
    const [toLead] = await lead.next();
    assert.equal(toOps.payload.receiver, 'ops');
    assert.equal(toOps.topic, 'ops/{asset="pump-1"}');
    assert.deepEqual(toOps.payload.alerts.map((a) => [a.key, a.labels.site, a.state]), [['pump-1/anomaly:temp', 'north', 'firing']]);
    assert.equal(toLead.payload.alerts[0].asset, 'pump-2');
    assert.deepEqual(changes.messages.map((m) => [m.payload.asset, m.payload.state]), [['pump-1', 'firing'], ['pump-2', 'firing']]);
    node.receive(anomaly('pump-1', 'high', 'resolved'));
    const [resolved] = await changes.next();
    assert.equal(resolved.topic, 'pump-1/anomaly:temp');
    assert.equal(resolved.payload.state, 'resolved');
  });

  it('takes commands as messages and from alert-ack through its methods', async () => {
    const node = await load();
    const changes = recorder<ChangeMessage>('changes');
    node.receive({ payload: { asset: 'line-3', name: 'jam', severity: 'high' } } as NodeMessage);
    await changes.next();
    const [alert] = node.activeAlerts();
    assert.equal(node.findAlert(alert.id)?.key, 'line-3/jam');
    node.receive({ payload: { action: 'acknowledge', alertId: alert.id, by: 'ann' } } as NodeMessage);
    const [acked] = await changes.next();
    assert.equal(acked.payload.state, 'acknowledged');
    assert.equal(acked.payload.history.at(-1)?.via, 'message');
    const result = await node.applyCommand({ action: 'resolve', alertId: alert.id, by: 'ben', via: 'http' });
    assert.equal(result.ok, true);
    assert.equal(result.alerts[0].state, 'resolved');
    assert.deepEqual(node.activeAlerts(), []);
    const refused = await node.applyCommand({ action: 'acknowledge', alertId: alert.id, by: 'ben' });
    assert.match(refused.reason ?? '', /no active alert/);
  });

  it('fails bad input and refused commands so a Catch node sees them, and counts them', async () => {
    const node = await load();
    const caught = recorder<CaughtMessage>('caught');
    const status = statusMatching(node, /refused/);
    node.receive({ payload: 'hello' } as NodeMessage);
    node.receive({ payload: { action: 'acknowledge', key: 'nope/x', by: 'ann' } } as NodeMessage);
    const [first, second] = await caught.next(2);
    assert.match(String(first.error?.message), /expected an alert event, a health report or a command, got string/);
    assert.match(String(second.error?.message), /no active alert with key "nope\/x"/);
    assert.match((await status).text ?? '', /2 refused/);
  });

  it('refuses an invalid configuration with the reason in the log and the status, and sends nothing', async () => {
    const node = await load({ route: JSON.stringify({ receiver: 'ops', routes: [{ matchers: ['severity=~"(bad"'], receiver: 'nobody' }] }) });
    const logged = helper.log().args.flat().map((e: { msg?: unknown }) => String(e.msg ?? '')) as string[];
    assert.ok(logged.some((m) => /Invalid configuration: route\.routes\[0\]\.receiver: unknown receiver "nobody"/.test(m)), logged.join('\n'));
    const caught = recorder<CaughtMessage>('caught');
    node.receive(anomaly('pump-1', 'high'));
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /unknown receiver "nobody"/);
    const result = await node.applyCommand({ action: 'acknowledge', key: 'pump-1/anomaly:temp', by: 'ann' });
    assert.equal(result.ok, false);
    assert.deepEqual(node.activeAlerts(), []);
  });

  it('checks a configuration for the editor through the admin endpoint', async () => {
    await load();
    const good = await helper.request().post('/alert-router/validate').send({ route: ROUTE, receivers: RECEIVERS }).expect(200);
    assert.deepEqual(good.body, { ok: true, receivers: ['ops', 'lead'] });
    const bad = await helper.request().post('/alert-router/validate')
      .send({ route: ROUTE, receivers: JSON.stringify([{ name: 'ops', escalation: [{ after: '5m', receiver: 'lead' }] }, { name: 'lead', escalation: [{ after: '5m', receiver: 'ops' }] }]) })
      .expect(200);
    assert.deepEqual(bad.body, { ok: false, error: 'receiver "ops".escalation: escalation cycle: ops → lead → ops' });
  });

  it('keeps active alerts across a redeploy and does not notify them again', async () => {
    const node = await load();
    await useConfiguredStore();
    const ops = recorder<NotificationMessage>('ops');
    node.receive(anomaly('pump-1', 'high'));
    await ops.next();
    await helper.setFlows(flow({ name: 'redeployed' }), 'full');
    const again = helper.getNode('r') as RouterNode;
    const changes = recorder<ChangeMessage>('changes');
    const opsAgain = recorder<NotificationMessage>('ops');
    await statusMatching(again, /1 active/);
    assert.deepEqual(again.activeAlerts().map((a) => a.key), ['pump-1/anomaly:temp']);
    again.receive(anomaly('pump-1', 'high'));
    again.receive({ payload: { asset: 'pump-2', name: 'probe', severity: 'low' } } as NodeMessage);
    const [notification] = await opsAgain.next();
    assert.deepEqual(notification.payload.alerts.map((a) => a.key), ['pump-2/probe']);
    assert.deepEqual(changes.messages.map((m) => m.payload.key), ['pump-2/probe']);
    assert.equal(opsAgain.messages.length, 1);
  });
});
