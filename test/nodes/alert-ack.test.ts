import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import alertAckNode from '../../nodes/alert-ack';
import type { AuditRecord } from '../../nodes/lib/alerting/ack-command';
import type { LinkIssuer } from '../../nodes/lib/alerting/signed-link';
import type { Alert, AlertCommandResult } from '../../nodes/lib/alerting/types';
import testAlertTarget from '../support/nodes/test-alert-target';
import { events, recorder, withCatalog } from '../support/node-helper';
import { makeAlert, T0 as ALERT_T, type MemoryAlertTarget } from '../lib/alerting/fixtures';

helper.init(require.resolve('node-red'));

const SECRET = 'test-link-secret-0123456789';

interface ResultMsg extends NodeMessage {
  payload: AlertCommandResult;
  audit: AuditRecord;
  error?: { message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

const ALERTS: Alert[] = [makeAlert({ id: 'a1' }), makeAlert({ id: 'a2', asset: 'fan-2', openedAt: ALERT_T + 1000 })];

/** Serves an express app of the node API (admin or HTTP-in) on loopback. */
async function serve(app: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('alert-ack node', () => {
  let red: NodeAPI;
  const servers: Array<{ close(): Promise<void> }> = [];

  const load = async (config: Record<string, unknown> = {}, secret = SECRET): Promise<Node> => {
    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'ack', z: 'f', type: 'alert-ack', router: 'router', baseUrl: 'https://nr.plant.example/api', ...config, wires: [['out']] },
      { id: 'router', z: 'f', type: 'test-alert-target', alerts: ALERTS },
      { id: 'out', z: 'f', type: 'helper' },
      { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f', type: 'helper' },
    ];
    const capture = (RED: NodeAPI): void => {
      red = RED;
      alertAckNode(RED);
    };
    await helper.load([withCatalog(capture), testAlertTarget], flow, secret ? { ack: { secret } } : {});
    return helper.getNode('ack');
  };
  const store = (): MemoryAlertTarget => (helper.getNode('router') as unknown as { store: MemoryAlertTarget }).store;
  const start = async (app: http.RequestListener): Promise<string> => {
    const server = await serve(app);
    servers.push(server);
    return server.url;
  };

  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await helper.unload();
  });
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('applies a command from a message and sends the result with the audit entry', async () => {
    const node = await load();
    const out = recorder<ResultMsg>('out');
    node.receive({ payload: { action: 'acknowledge', alertId: 'a1', comment: 'on my way' }, user: { username: 'jane' } });
    const [msg] = await out.next();
    assert.equal(msg.payload.ok, true);
    assert.deepEqual([msg.payload.alerts[0].state, msg.payload.alerts[0].acknowledgedBy], ['acknowledged', 'jane']);
    assert.deepEqual([msg.audit.action, msg.audit.by, msg.audit.via, msg.audit.comment, msg.audit.alertIds, msg.audit.ok], ['acknowledge', 'jane', 'message', 'on my way', ['a1'], true]);
    assert.deepEqual(store().findAlert('a1')?.history.map((h) => [h.action, h.by, h.comment, h.via]), [['acknowledge', 'jane', 'on my way', 'message']]);
  });

  it('passes on what the router refuses with the reason, and fails invalid commands', async () => {
    const node = await load();
    const out = recorder<ResultMsg>('out');
    const caught = recorder<ResultMsg>('caught');
    node.receive({ payload: { action: 'resolve', alertId: 'nope' }, by: 'jane' });
    const [refused] = await out.next();
    assert.deepEqual([refused.payload.ok, refused.payload.reason, refused.audit.ok], [false, 'no alert nope', false]);
    node.receive({ payload: { action: 'delete', alertId: 'a1' } });
    const [bad] = await caught.next();
    assert.match(String(bad.error?.message), /action must be one of acknowledge/);
  });

  it('lists active alerts and applies commands through the admin API as the logged-in user', async () => {
    await load();
    const admin = await start(red.httpAdmin as unknown as http.RequestListener);
    const out = recorder<ResultMsg>('out');
    const listed = (await (await fetch(`${admin}/alert-ack/ack/alerts`)).json()) as Alert[];
    assert.deepEqual(listed.map((a) => a.id), ['a2', 'a1']);
    const post = (body: unknown): Promise<Response> =>
      fetch(`${admin}/alert-ack/ack/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const emittedNext = out.next();
    const ok = await post({ action: 'shelve', alertId: 'a2', comment: 'sensor swap' });
    assert.equal(ok.status, 200);
    const result = (await ok.json()) as AlertCommandResult;
    assert.deepEqual([result.alerts[0].state, result.alerts[0].history[0].by, result.alerts[0].history[0].via], ['shelved', 'admin', 'http']);
    const [emitted] = await emittedNext;
    assert.deepEqual([emitted.audit.via, emitted.audit.action, emitted.audit.comment], ['http', 'shelve', 'sensor swap']);
    assert.equal((await post({ action: 'acknowledge', alertId: 'zzz' })).status, 409);
    const bad = await post({ action: 'acknowledge' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /needs an alertId or a key/);
    assert.equal((await fetch(`${admin}/alert-ack/other/alerts`)).status, 404);
  });

  it('makes signed links that open a confirmation page and apply the action for the recipient', async () => {
    const node = await load();
    const httpNode = await start(red.httpNode as unknown as http.RequestListener);
    const out = recorder<ResultMsg>('out');
    const link = (node as unknown as LinkIssuer).link('a1', 'acknowledge', 'ops@plant.example');
    assert.ok(link?.startsWith('https://nr.plant.example/api/alert-ack/ack?t='));
    const local = String(link).replace('https://nr.plant.example/api', httpNode);
    const page = await fetch(local);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<h1>Acknowledge: pump-1<\/h1>/);
    assert.match(html, /Signed for ops@plant.example/);
    assert.equal(store().findAlert('a1')?.state, 'firing', 'opening the link changes nothing');
    const token = new URL(local).searchParams.get('t') as string;
    const emittedNext = out.next();
    const confirm = await fetch(`${httpNode}/alert-ack/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ t: token, comment: 'looking <now>' }).toString(),
    });
    assert.equal(confirm.status, 200);
    assert.match(await confirm.text(), /acknowledge: 1 alert\(s\) changed/);
    const alert = store().findAlert('a1');
    assert.deepEqual([alert?.state, alert?.acknowledgedBy, alert?.history[0].comment, alert?.history[0].via], ['acknowledged', 'ops@plant.example', 'looking <now>', 'link']);
    const [emitted] = await emittedNext;
    assert.deepEqual([emitted.audit.via, emitted.audit.by], ['link', 'ops@plant.example']);
  });

  it('answers a tampered, foreign or unknown link with 403 or 404 and changes nothing', async () => {
    const node = await load();
    const httpNode = await start(red.httpNode as unknown as http.RequestListener);
    const token = new URL((node as unknown as LinkIssuer).link('a1', 'resolve', 'x@plant.example') as string).searchParams.get('t') as string;
    const tampered = await fetch(`${httpNode}/alert-ack/ack?t=${encodeURIComponent(token.slice(0, -2) + 'AA')}`);
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /the link signature is not valid/);
    const post = await fetch(`${httpNode}/alert-ack/ack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 't=abc.def' });
    assert.equal(post.status, 403);
    assert.equal((await fetch(`${httpNode}/alert-ack/other?t=${token}`)).status, 404);
    assert.equal(store().findAlert('a1')?.state, 'firing');
  });

  it('offers no links without a secret or public URL', async () => {
    let node = await load({}, '');
    assert.equal((node as unknown as LinkIssuer).link('a1', 'acknowledge', 'x'), undefined);
    await helper.unload();
    node = await load({ baseUrl: '' });
    assert.equal((node as unknown as LinkIssuer).link('a1', 'acknowledge', 'x'), undefined);
  });

  it('rejects an invalid configuration with the reason', async () => {
    for (const [config, secret, reason] of [
      [{}, 'short', 'the link secret must have at least 16 characters'],
      [{ baseUrl: 'ftp://x' }, SECRET, 'Public URL must be http or https, got ftp:'],
      [{ linkTtl: -1 }, SECRET, 'Links valid for must be a number above 0, got "-1"'],
      [{ router: '' }, SECRET, 'choose the alert-router whose alerts this node acts on'],
    ] as Array<[Record<string, unknown>, string, string]>) {
      const node = await load(config, secret);
      const logged = await new Promise<string>((resolve) => events(node).on('call:error', (call: { args: [string] }) => resolve(call.args[0])));
      assert.equal(logged, `Invalid configuration: ${reason}`);
      await helper.unload();
    }
  });

  it('fails messages when the chosen router is not running', async () => {
    const node = await load({ router: 'missing' });
    const caught = recorder<ResultMsg>('caught');
    node.receive({ payload: { action: 'acknowledge', alertId: 'a1' } });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /no alert-router node with id missing is running/);
  });
});
