import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TEMPLATES, notificationView, toNotification } from '../../../nodes/lib/alerting/content';
import type { LinkIssuer } from '../../../nodes/lib/alerting/signed-link';
import { compileTemplate } from '../../../nodes/lib/alerting/template';
import { makeAlert, makeNotification, T0 } from './fixtures';

const links: LinkIssuer = { link: (id, action, to) => `https://nr.example/a?${action}=${encodeURIComponent(id)}&to=${to}` };

describe('notification content', () => {
  it('takes a notification from alert-router or a single alert', () => {
    const n = makeNotification();
    assert.deepEqual(toNotification(n, 'x', T0 + 1), n);
    const single = toNotification(makeAlert(), 'email', T0 + 5);
    assert.deepEqual([single.receiver, single.status, single.alerts.length, single.ts, single.groupKey], ['email', 'firing', 1, T0 + 5, 'pump-1/bearing-temp']);
    assert.equal(toNotification(makeAlert({ state: 'resolved' }), 'email', T0).status, 'resolved');
  });

  it('rejects what is not a notification, naming the field', () => {
    assert.throws(() => toNotification('alarm', 'r', T0), /msg.payload must be an alert notification or an alert, got string/);
    assert.throws(() => toNotification({ alerts: [] }, 'r', T0), /msg.payload.alerts is empty/);
    assert.throws(() => toNotification({ alerts: [{ ...makeAlert(), severity: 'urgent' }] }, 'r', T0), /alerts\[0\]\.severity must be one of low, medium, high, critical/);
    assert.throws(() => toNotification({ ...makeAlert(), asset: 7 }, 'r', T0), /msg.payload.asset must be a non-empty string/);
  });

  it('puts the most severe alert first, with value, trend and links for the recipient', () => {
    const n = makeNotification([makeAlert({ asset: 'fan-2', severity: 'low', id: 'low-1' }), makeAlert({ severity: 'critical', id: 'crit-1' })]);
    const view = notificationView(n, links, 'ops@plant.example');
    assert.equal(view.title, '[FIRING:2] critical · pump-1 · bearing-temp');
    assert.equal(view.alert.id, 'crit-1');
    assert.equal(view.alert.valueText, '91.50 °C');
    assert.equal(view.alert.trend, 'rising');
    assert.equal(view.alert.ackUrl, 'https://nr.example/a?acknowledge=crit-1&to=ops@plant.example');
    assert.match(view.text, /CRITICAL pump-1\/temperature: Bearing temperature/);
    assert.match(view.text, /value 91.50 °C · trend rising/);
    assert.match(view.text, /Acknowledge: https:\/\/nr.example\/a\?acknowledge=crit-1/);
    assert.ok(view.short.length <= 160 && view.short.includes('Ack: https://'));
  });

  it('offers no links for a resolved notification, nor without an issuer', () => {
    const resolved = notificationView(makeNotification([makeAlert({ state: 'resolved' })], { status: 'resolved' }), links, 'x');
    assert.equal(resolved.alert.ackUrl, undefined);
    assert.equal(resolved.alert.resolveUrl, undefined);
    assert.equal(notificationView(makeNotification(), undefined, 'x').alert.ackUrl, undefined);
  });

  it('renders default templates that escape alert text and make valid JSON', () => {
    const alert = makeAlert({ summary: 'Temp "high" <script>alert(1)</script>\nnext' });
    const view = notificationView(makeNotification([alert]), links, 'ops@plant.example');
    const html = compileTemplate(DEFAULT_TEMPLATES.html, 'html').render(view);
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('&lt;script&gt;') && html.includes('href="https://nr.example/a?acknowledge='));
    for (const kind of ['slack', 'teams', 'json'] as const) {
      const body = JSON.parse(compileTemplate(DEFAULT_TEMPLATES[kind], 'json').render(view)) as unknown;
      assert.ok(JSON.stringify(body).includes('Temp \\"high\\"'), kind);
    }
    const form = new URLSearchParams(compileTemplate(DEFAULT_TEMPLATES.sms, 'url').render({ ...view, to: '+49 170 1234&5' }));
    assert.equal(form.get('to'), '+49 170 1234&5');
    assert.match(String(form.get('message')), /^FIRING pump-1: Temp "high"/);
  });
});
