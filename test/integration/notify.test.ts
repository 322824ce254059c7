/**
 * The alerting path in an embedded Node-RED: an anomaly event → alert-router → notify → a real SMTP
 * server (smtp-server), and back: the signed acknowledge link from that e-mail and the admin API of
 * alert-ack change the alert in the router, with the recipient or user in its audit trail. A webhook
 * written as a path posts to an http-in route of the same Node-RED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeMessageInFlow } from 'node-red';
import type { AuditRecord } from '../../nodes/lib/alerting/ack-command';
import type { Receipt } from '../../nodes/lib/alerting/delivery';
import type { Alert, AlertCommandTarget } from '../../nodes/lib/alerting/types';
import { startSmtp, type TestSmtp } from '../lib/alerting/smtp-fixture';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

const WAIT_MS = 10_000;
const SECRET = 'integration-link-secret-42';

describe('anomaly event → alert-router → notify → SMTP, and acknowledgement back', () => {
  let smtp: TestSmtp;
  let rt: EmbeddedRuntime;
  const receipts: Receipt[] = [];
  const audits: AuditRecord[] = [];
  const hookReceipts: Receipt[] = [];
  const hookBodies: unknown[] = [];

  before(async () => {
    smtp = await startSmtp();
    rt = await startRuntime(onTab([]));
    onSink('receipts', (msg: NodeMessageInFlow) => receipts.push(msg.payload as Receipt));
    onSink('audit', (msg: NodeMessageInFlow) => audits.push((msg as NodeMessageInFlow & { audit: AuditRecord }).audit));
    onSink('hookReceipts', (msg: NodeMessageInFlow) => hookReceipts.push(msg.payload as Receipt));
    onSink('hookBody', (msg: NodeMessageInFlow) => hookBodies.push(msg.payload));
    const flow: FlowNode[] = [
      { id: 'src', type: 'inject', name: 'anomaly-detect', repeat: '', once: false, wires: [['router']], x: 100, y: 100 },
      {
        id: 'router', type: 'alert-router', name: '',
        route: JSON.stringify({ receiver: 'ops', group_by: ['asset'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' }),
        receivers: JSON.stringify([{ name: 'ops' }]), inhibitRules: '', timeIntervals: '', assets: '', db: '', store: '', outputs: 2,
        wires: [['mail'], []], x: 300, y: 100,
      },
      {
        id: 'mail', type: 'notify', channel: 'email', smtpHost: '127.0.0.1', smtpPort: smtp.port, from: 'pdm@plant.example', to: 'ops@plant.example',
        ack: 'ack', wires: [['receipts']], x: 500, y: 100,
      },
      { id: 'receipts', type: 'test-sink', wires: [], x: 700, y: 100 },
      {
        id: 'ack', type: 'alert-ack', router: 'router', baseUrl: `${rt.baseUrl}/api`, credentials: { secret: SECRET },
        wires: [['audit']], x: 500, y: 200,
      },
      { id: 'audit', type: 'test-sink', wires: [], x: 700, y: 200 },
      { id: 'src2', type: 'inject', name: 'alert', repeat: '', once: false, wires: [['hook']], x: 100, y: 300 },
      { id: 'hook', type: 'notify', channel: 'webhook', webhookKind: 'json', webhookUrl: '/notify-it/hook', wires: [['hookReceipts']], x: 300, y: 300 },
      { id: 'hookReceipts', type: 'test-sink', wires: [], x: 500, y: 300 },
      { id: 'hookIn', type: 'http in', url: '/notify-it/hook', method: 'post', upload: false, wires: [['hookBody', 'hookOk']], x: 100, y: 400 },
      { id: 'hookBody', type: 'test-sink', wires: [], x: 300, y: 380 },
      { id: 'hookOk', type: 'http response', statusCode: '200', headers: {}, wires: [], x: 300, y: 420 },
    ];
    await rt.deploy(onTab(flow));
  });

  after(async () => {
    await rt?.stop();
    await smtp?.close();
  });

  const router = (): AlertCommandTarget => rt.node('router') as unknown as AlertCommandTarget;

  it('e-mails the alert and acknowledges it through the signed link in the e-mail', async () => {
    const ts = Date.now();
    rt.inject('src', {
      payload: { asset: 'pump-1', sensor: 'temperature', ts, value: 91.5, score: 4.2, severity: 'high', detectors: [{ name: 'ewma', score: 4.2 }] },
      anomaly: { key: 'pump-1/temperature', state: 'firing' },
    });
    const [mail] = await smtp.next(1, WAIT_MS);
    await waitFor(() => receipts.length === 1, WAIT_MS, 'the receipt');
    assert.deepEqual([receipts[0].ok, receipts[0].channel, receipts[0].attempt], [true, 'email', 1]);
    assert.deepEqual(mail.to, ['ops@plant.example']);
    assert.match(String(mail.headers.get('subject')), /^\[FIRING\] high · pump-1 · /);
    assert.match(mail.text, /value 91.5/);
    const [alert] = router().activeAlerts();
    assert.equal(mail.headers.get('x-alert-ids'), alert.id);

    const link = /Acknowledge: (\S+)/.exec(mail.text)?.[1] ?? '';
    assert.ok(link.startsWith(`${rt.baseUrl}/api/alert-ack/ack?t=`), `a link in the e-mail: ${link}`);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.equal(router().findAlert(alert.id)?.state, 'firing', 'opening the link changes nothing');
    const confirm = await fetch(`${rt.baseUrl}/api/alert-ack/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ t: new URL(link).searchParams.get('t') as string, comment: 'checking the bearing' }).toString(),
    });
    assert.equal(confirm.status, 200);
    const acked = router().findAlert(alert.id) as Alert;
    assert.deepEqual([acked.state, acked.acknowledgedBy], ['acknowledged', 'ops@plant.example']);
    const entry = acked.history.find((h) => h.action === 'acknowledge');
    assert.deepEqual([entry?.by, entry?.comment, entry?.via], ['ops@plant.example', 'checking the bearing', 'link']);
    await waitFor(() => audits.length === 1, WAIT_MS, 'the audit entry');
    assert.deepEqual([audits[0].action, audits[0].by, audits[0].via, audits[0].alertIds], ['acknowledge', 'ops@plant.example', 'link', [alert.id]]);
  });

  it('posts to a webhook given as a path on this Node-RED', async () => {
    rt.inject('src2', { payload: { id: 'a-7', asset: 'fan-7', severity: 'low', summary: 'Fan vibration rising' } });
    await waitFor(() => hookReceipts.length === 1 && hookBodies.length === 1, WAIT_MS, 'the webhook delivery');
    assert.deepEqual([hookReceipts[0].ok, hookReceipts[0].channel], [true, 'json']);
    assert.equal((hookBodies[0] as { alerts: Array<{ id: string }> }).alerts[0].id, 'a-7');
  });

  it('lists and resolves alerts through the admin API', async () => {
    const listed = (await (await fetch(`${rt.baseUrl}/admin/alert-ack/ack/alerts`)).json()) as Alert[];
    assert.equal(listed.length, 1);
    const answer = await fetch(`${rt.baseUrl}/admin/alert-ack/ack/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'resolve', alertId: listed[0].id, comment: 'bearing replaced' }),
    });
    assert.equal(answer.status, 200);
    assert.equal(router().findAlert(listed[0].id)?.state, 'resolved');
    assert.deepEqual(router().activeAlerts(), []);
    const errors = rt.logs.filter((e) => e.level <= 20);
    assert.deepEqual(errors.map((e) => String(e.msg)), []);
  });
});
