import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import webpush from 'web-push';
import alertAckNode from '../../nodes/alert-ack';
import notifyNode from '../../nodes/notify';
import type { Receipt } from '../../nodes/lib/alerting/delivery';
import { verifyLink } from '../../nodes/lib/alerting/signed-link';
import type { WorkOrder } from '../../nodes/lib/alerting/work-order';
import testAlertTarget from '../support/nodes/test-alert-target';
import { events, recorder, withCatalog } from '../support/node-helper';
import { makeAlert, makeNotification, T0 } from '../lib/alerting/fixtures';
import { startEndpoint, type TestEndpoint } from '../lib/alerting/http-fixture';
import { startSmtp, type TestSmtp } from '../lib/alerting/smtp-fixture';

helper.init(require.resolve('node-red'));

const SECRET = 'test-link-secret-0123456789';

interface ReceiptMsg extends NodeMessage {
  payload: Receipt & { to: string; alertIds: string[]; receiver: string; status: string };
}
interface CaughtMsg extends NodeMessage {
  error?: { message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(config: Record<string, unknown>, outputs = 1): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'n', z: 'f', type: 'notify', retryDelay: 0.02, retryMaxDelay: 0.05, timeout: 2, ...config, wires: outputs === 2 ? [['out'], ['orders']] : [['out']] },
    { id: 'out', z: 'f', type: 'helper' },
    { id: 'orders', z: 'f', type: 'helper' },
    { id: 'ack', z: 'f', type: 'alert-ack', router: 'router', baseUrl: 'https://nr.plant.example/api', wires: [[]] },
    { id: 'router', z: 'f', type: 'test-alert-target' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown>, credentials: Record<string, unknown> = {}, outputs = 1): Promise<Node> {
  await helper.load([withCatalog(notifyNode), withCatalog(alertAckNode), testAlertTarget], flow(config, outputs), { n: credentials, ack: { secret: SECRET } });
  return helper.getNode('n');
}

function statusTexts(node: Node): string[] {
  const texts: string[] = [];
  events(node).on('call:status', (call: { args: [{ text?: string }] }) => texts.push(call.args[0].text ?? ''));
  return texts;
}

const email = (port: number): Record<string, unknown> => ({ channel: 'email', smtpHost: '127.0.0.1', smtpPort: port, from: 'pdm@plant.example', to: 'ops@plant.example', ack: 'ack' });

describe('notify node', () => {
  let smtp: TestSmtp;
  let endpoint: TestEndpoint | undefined;

  before(async () => {
    smtp = await startSmtp({ login: { user: 'pdm', password: 's3cret-pass' }, reject: ['nobody@plant.example'] });
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(async () => {
    await helper.unload();
    await endpoint?.close();
    endpoint = undefined;
  });
  after(async () => {
    await smtp.close();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('e-mails an alert through a real SMTP server with text, HTML and a signed acknowledge link', async () => {
    const node = await load(email(smtp.port), { user: 'pdm', password: 's3cret-pass' });
    const out = recorder<ReceiptMsg>('out');
    node.receive({ topic: 'pump-1', payload: makeNotification([makeAlert({ predictedFailure: T0 + 86_400_000 })]) });
    const [[mail], [receipt]] = await Promise.all([smtp.next(), out.next()]);
    assert.deepEqual([mail.from, mail.to], ['pdm@plant.example', ['ops@plant.example']]);
    assert.equal(mail.headers.get('subject'), '[FIRING] high · pump-1 · bearing-temp');
    assert.equal(mail.headers.get('x-alert-ids'), `pump-1/bearing-temp@${T0}`);
    assert.match(mail.text, /HIGH pump-1\/temperature: Bearing temperature 91.5 °C above its normal band/);
    assert.match(mail.text, /value 91.50 °C · trend rising · predicted failure 2023-11-15T22:13:20.000Z/);
    assert.match(mail.text, /<td>high<\/td><td>Bearing temperature 91.5 °C above its normal band<\/td><td>91.50 °C<\/td><td>rising<\/td>/);
    const link = /Acknowledge: (https:\/\/nr\.plant\.example\/api\/alert-ack\/ack\?t=(\S+))/.exec(mail.text);
    assert.ok(link, 'the text body has an acknowledge link');
    const verified = verifyLink(decodeURIComponent(link[2]), SECRET, Date.now());
    assert.ok(verified.ok);
    assert.deepEqual([verified.claims.alertId, verified.claims.action, verified.claims.recipient], [`pump-1/bearing-temp@${T0}`, 'acknowledge', 'ops@plant.example']);
    const r = receipt.payload;
    assert.deepEqual([r.channel, r.attempt, r.ok, r.final, r.to, r.receiver, r.status, receipt.topic], ['email', 1, true, true, 'ops@plant.example', 'maintenance', 'firing', 'pump-1']);
    assert.match(String(r.messageId), /^<.+@plant\.example>$/);
    assert.ok(r.latencyMs >= 0 && r.elapsedMs >= r.latencyMs);
  });

  it('sends to msg.to in place of the configured recipients', async () => {
    const node = await load(email(smtp.port), { user: 'pdm', password: 's3cret-pass' });
    node.receive({ payload: makeAlert(), to: ['a@plant.example', 'b@plant.example'] });
    const [mail] = await smtp.next();
    assert.deepEqual(mail.to, ['a@plant.example', 'b@plant.example']);
  });

  it('does not retry a recipient the server refuses, and reports it', async () => {
    const node = await load({ ...email(smtp.port), to: 'nobody@plant.example' }, { user: 'pdm', password: 's3cret-pass' });
    const out = recorder<ReceiptMsg>('out');
    node.receive({ payload: makeAlert() });
    const [receipt] = await out.next();
    assert.deepEqual([receipt.payload.ok, receipt.payload.final, receipt.payload.attempt], [false, true, 1]);
    assert.match(String(receipt.payload.error), /No such user nobody@plant\.example/);
  });

  it('reports a wrong SMTP login without retrying', async () => {
    const node = await load(email(smtp.port), { user: 'pdm', password: 'wrong' });
    const out = recorder<ReceiptMsg>('out');
    node.receive({ payload: makeAlert() });
    const [receipt] = await out.next();
    assert.deepEqual([receipt.payload.ok, receipt.payload.final], [false, true]);
    assert.match(String(receipt.payload.error), /Invalid login/);
  });

  it('retries an unreachable SMTP server with a receipt per attempt, then shows it in the status', async () => {
    const closed = await startSmtp();
    const port = closed.port;
    await closed.close();
    const node = await load({ ...email(port), attempts: 3 });
    const texts = statusTexts(node);
    const out = recorder<ReceiptMsg>('out');
    node.receive({ payload: makeAlert() });
    const receipts = (await out.next(3, 5000)).map((m) => m.payload);
    assert.deepEqual(receipts.map((r) => [r.attempt, r.ok, r.final]), [[1, false, false], [2, false, false], [3, false, true]]);
    assert.match(String(receipts[0].error), /SMTP server unreachable: .*ECONNREFUSED/);
    assert.ok(receipts[0].retryInMs !== undefined && receipts[0].retryInMs >= 10 && receipts[0].retryInMs <= 20);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.match(texts[texts.length - 1], /^0 sent · 1 failed · 0 waiting · SMTP server unreachable/);
  });

  it('posts Slack JSON to a webhook, retrying a 503, with the token as bearer', async () => {
    endpoint = await startEndpoint([503, 200]);
    const node = await load({ channel: 'webhook', webhookKind: 'slack', webhookUrl: `${endpoint.url}/hooks/T1`, ack: 'ack' }, { token: 'hook-token' });
    const out = recorder<ReceiptMsg>('out');
    node.receive({ payload: makeNotification([makeAlert(), makeAlert({ asset: 'fan-2', id: 'fan', severity: 'low' })]) });
    const receipts = (await out.next(2)).map((m) => m.payload);
    assert.deepEqual(receipts.map((r) => [r.attempt, r.ok, r.final]), [[1, false, false], [2, true, true]]);
    assert.match(String(receipts[0].error), /answered 503: \{"error":"busy"\}/);
    assert.equal(receipts[1].messageId, 'msg-1');
    const posted = endpoint.requests[1];
    assert.equal(posted.path, '/hooks/T1');
    assert.equal(posted.headers.authorization, 'Bearer hook-token');
    const body = JSON.parse(posted.body) as { text: string; blocks: Array<{ text: { text: string } }> };
    assert.equal(body.text, '[FIRING:2] high · pump-1 · bearing-temp');
    assert.equal(body.blocks.length, 3);
    assert.match(body.blocks[1].text.text, /^\*pump-1\* \(high\): Bearing temperature.*\nvalue 91.50 °C · trend rising\n<https:\/\/nr\.plant\.example\/api\/alert-ack\/ack\?t=[^|]+\|Acknowledge>$/s);
  });

  it('posts a form to an SMS gateway with basic authentication, and a Teams card', async () => {
    endpoint = await startEndpoint();
    let node = await load({ channel: 'webhook', webhookKind: 'sms', webhookUrl: `${endpoint.url}/sms`, smsTo: '+49 170 1234567' }, { user: 'acct', password: 'pw' });
    node.receive({ payload: makeAlert() });
    const [sms] = await endpoint.next();
    assert.equal(sms.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(sms.headers.authorization, `Basic ${Buffer.from('acct:pw').toString('base64')}`);
    const form = new URLSearchParams(sms.body);
    assert.deepEqual([form.get('to'), form.get('message')], ['+49 170 1234567', 'FIRING pump-1: Bearing temperature 91.5 °C above its normal band']);
    await helper.unload();
    node = await load({ channel: 'webhook', webhookKind: 'teams', webhookUrl: `${endpoint.url}/teams`, ack: 'ack' });
    node.receive({ payload: makeAlert() });
    const [teams] = await endpoint.next();
    const card = (JSON.parse(teams.body) as { attachments: Array<{ content: { body: unknown[]; actions: Array<{ url: string }> } }> }).attachments[0].content;
    assert.equal(card.body.length, 2);
    assert.match(card.actions[0].url, /^https:\/\/nr\.plant\.example\/api\/alert-ack\/ack\?t=/);
  });

  it('gives up at once on a 400 from a webhook', async () => {
    endpoint = await startEndpoint([400]);
    const node = await load({ channel: 'webhook', webhookKind: 'json', webhookUrl: endpoint.url });
    const out = recorder<ReceiptMsg>('out');
    node.receive({ payload: makeAlert() });
    const [receipt] = await out.next();
    assert.deepEqual([receipt.payload.ok, receipt.payload.final, receipt.payload.attempt], [false, true, 1]);
    assert.deepEqual(JSON.parse(endpoint.requests[0].body).alerts[0].id, makeAlert().id);
  });

  it('publishes to ntfy with the priority of the severity and an acknowledge action', async () => {
    endpoint = await startEndpoint();
    const node = await load({ channel: 'ntfy', ntfyUrl: endpoint.url, ntfyTopic: 'plant-alerts', ack: 'ack' }, { token: 'tk' });
    node.receive({ payload: makeAlert({ severity: 'critical' }) });
    const [posted] = await endpoint.next();
    const body = JSON.parse(posted.body) as { topic: string; priority: number; title: string; actions: Array<{ label: string; url: string }> };
    assert.deepEqual([body.topic, body.priority, body.title, body.actions[0].label], ['plant-alerts', 5, '[FIRING] critical · pump-1 · bearing-temp', 'Acknowledge']);
    assert.equal(posted.headers.authorization, 'Bearer tk');
  });

  it('sends Web Push to each subscription, signed with the VAPID keys', async () => {
    endpoint = await startEndpoint([201]);
    const keys = webpush.generateVAPIDKeys();
    const subscription = (path: string) => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      return { endpoint: `${(endpoint as TestEndpoint).url}${path}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
    };
    const node = await load(
      { channel: 'webpush', vapidSubject: 'mailto:ops@plant.example', subscriptions: JSON.stringify([subscription('/push/a')]) },
      { vapidPublicKey: keys.publicKey, vapidPrivateKey: keys.privateKey },
    );
    const out = recorder<ReceiptMsg>('out');
    const allReceipts = out.next(3);
    node.receive({ payload: makeAlert() });
    const [push] = await endpoint.next();
    assert.equal(push.path, '/push/a');
    assert.equal(push.headers['content-encoding'], 'aes128gcm');
    assert.match(String(push.headers.authorization), new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${keys.publicKey}$`));
    assert.equal(push.headers.urgency, 'high');
    node.receive({ payload: makeAlert(), subscriptions: [subscription('/push/b'), subscription('/push/c')] });
    const more = await endpoint.next(2);
    assert.deepEqual(more.map((p) => p.path).sort(), ['/push/b', '/push/c']);
    const receipts = await allReceipts;
    assert.ok(receipts.every((r) => r.payload.ok && r.payload.to === '127.0.0.1:' + new URL((endpoint as TestEndpoint).url).port));
  });

  it('sends a work order once per firing alert on the second output', async () => {
    const node = await load({ ...email(smtp.port), workOrders: true }, { user: 'pdm', password: 's3cret-pass' }, 2);
    const orders = recorder<NodeMessage & { payload: WorkOrder }>('orders');
    const n = makeNotification([makeAlert({ predictedFailure: T0 + 3_600_000, labels: { confidence: '0.8' } })]);
    node.receive({ payload: n });
    node.receive({ payload: n });
    const [order] = await orders.next();
    assert.deepEqual(
      [order.topic, order.payload.type, order.payload.severity, order.payload.predictedFailure, order.payload.confidence, order.payload.recommendedAction],
      ['pump-1', 'predictive', 'high', new Date(T0 + 3_600_000).toISOString(), 0.8, 'Inspect pump-1 (temperature): Bearing temperature 91.5 °C above its normal band'],
    );
    await smtp.next(2);
    assert.equal(orders.messages.length, 1);
  });

  it('fails a message that is not a notification so a Catch node sees it', async () => {
    const node = await load(email(smtp.port));
    const caught = recorder<CaughtMsg>('caught');
    node.receive({ payload: 42 });
    node.receive({ payload: makeAlert(), to: 'not an address' });
    const [first, second] = await caught.next(2);
    assert.match(String(first.error?.message), /msg.payload must be an alert notification or an alert, got number/);
    assert.match(String(second.error?.message), /msg.to: "not an address" is not an e-mail address/);
  });

  it('reports an invalid configuration with the reason and fails every message', async () => {
    const node = await load({ ...email(smtp.port), to: '' });
    const caught = recorder<CaughtMsg>('caught');
    const logged = new Promise<string>((resolve) => events(node).on('call:error', (call: { args: [string] }) => resolve(call.args[0])));
    assert.equal(await logged, 'Invalid configuration: To needs at least one e-mail address');
    node.receive({ payload: makeAlert() });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /To needs at least one e-mail address$/);
  });
});
