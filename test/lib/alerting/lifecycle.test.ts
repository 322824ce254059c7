import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterConfigInput } from '../../../nodes/lib/alerting/config';
import { compileOnCall } from '../../../nodes/lib/alerting/oncall';
import { harness, HOUR, MINUTE, SECOND, T0 } from './harness';

const ESCALATING: RouterConfigInput = {
  receivers: [
    { name: 'ops', escalation: [{ after: '15m', receiver: 'lead' }] },
    { name: 'lead', escalation: [{ after: '30m', receiver: 'manager' }] },
    { name: 'manager' },
  ],
  route: { receiver: 'ops', group_by: ['asset'], group_wait: '0s', group_interval: '1m', repeat_interval: '4h' },
};

describe('escalation', () => {
  it('escalates an unacknowledged alert step by step', () => {
    const h = harness(ESCALATING);
    h.fire('pump-1', 'temp', 'high');
    h.advance(15 * MINUTE - 1);
    assert.deepEqual(h.log(), ['ops firing pump-1/temp']);
    h.advance(1);
    h.advance(30 * MINUTE);
    h.advance(4 * HOUR - 45 * MINUTE - 1);
    assert.deepEqual(h.log(), ['ops firing pump-1/temp', 'lead firing L1 pump-1/temp', 'manager firing L2 pump-1/temp']);
    assert.deepEqual(h.sent.map((s) => [s.at - T0, s.output]), [[0, 0], [15 * MINUTE, 1], [45 * MINUTE, 2]]);
    const [alert] = h.router.activeAlerts();
    assert.equal(alert.escalationLevel, 2);
    assert.deepEqual(alert.history.filter((e) => e.action === 'escalate').map((e) => e.comment), ['lead', 'manager']);
  });

  it('stops when the alert is acknowledged, and starts again when that is undone', () => {
    const h = harness(ESCALATING);
    h.fire('pump-1', 'temp', 'high');
    h.advance(10 * MINUTE);
    const [alert] = h.router.activeAlerts();
    const ack = h.router.applyCommand({ action: 'acknowledge', alertId: alert.id, by: 'ann', comment: 'on my way', via: 'http' });
    assert.equal(ack.ok, true);
    assert.equal(ack.alerts[0].state, 'acknowledged');
    assert.equal(ack.alerts[0].acknowledgedBy, 'ann');
    h.advance(3 * HOUR);
    assert.deepEqual(h.log(), ['ops firing pump-1/temp']);
    h.router.applyCommand({ action: 'unacknowledge', key: 'pump-1/temp', by: 'ann' });
    h.advance(15 * MINUTE);
    assert.deepEqual(h.log(), ['ops firing pump-1/temp', 'lead firing L1 pump-1/temp']);
  });

  it('does not repeat acknowledged alerts', () => {
    const h = harness(ESCALATING);
    h.fire('pump-1', 'temp');
    h.advance(0);
    h.router.applyCommand({ action: 'acknowledge', key: 'pump-1/temp', by: 'ann' });
    h.advance(10 * HOUR);
    assert.equal(h.sent.length, 1);
  });
});

describe('on-call rotation', () => {
  const oncall = {
    start: '2026-11-23T08:00:00Z', shift: '1w',
    members: [{ name: 'anna', contact: '+49 1' }, { name: 'ben' }],
    overrides: [{ name: 'carl', start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' }],
  };

  it('hands over weekly and follows overrides', () => {
    const r = compileOnCall(oncall, 'oncall');
    assert.equal(r.at(Date.parse('2026-11-23T08:00:00Z')).name, 'anna');
    assert.equal(r.at(Date.parse('2026-11-30T07:59:59Z')).name, 'anna');
    assert.equal(r.at(Date.parse('2026-11-30T08:00:00Z')).name, 'ben');
    assert.equal(r.at(Date.parse('2026-12-01T12:00:00Z')).name, 'carl');
    assert.equal(r.at(Date.parse('2026-12-07T08:00:00Z')).name, 'anna');
    // Before the start the rotation runs backwards.
    assert.equal(r.at(Date.parse('2026-11-23T07:00:00Z')).name, 'ben');
    assert.deepEqual(r.at(Date.parse('2026-11-24T00:00:00Z')), { name: 'anna', contact: '+49 1' });
  });

  it('names who is on call in each notification, across a hand-over', () => {
    const h = harness({
      receivers: [{ name: 'ops', oncall }],
      route: { receiver: 'ops', group_wait: '0s', group_interval: '1h', repeat_interval: '1d' },
    }, Date.parse('2026-11-29T09:00:00Z'));
    h.fire('pump-1', 'temp');
    h.advance(2 * 24 * HOUR);
    assert.deepEqual(h.sent.map((s) => s.n.onCall?.name), ['anna', 'ben', 'carl']);
  });
});

describe('flapping', () => {
  const config: RouterConfigInput = {
    receivers: [{ name: 'ops' }],
    route: { receiver: 'ops', group_wait: '0s', group_interval: '1m', repeat_interval: '4h' },
    flapping: { threshold: 3, window: '10m' },
  };

  it('marks a key that opens often as flapping and holds its resolve until it stays clear', () => {
    const h = harness(config);
    for (let i = 0; i < 2; i++) {
      h.fire('pump-1', 'temp');
      h.advance(MINUTE);
      h.clear('pump-1', 'temp');
      h.advance(MINUTE);
    }
    h.fire('pump-1', 'temp');
    const [alert] = h.router.activeAlerts();
    assert.equal(alert.flapping, true);
    h.clear('pump-1', 'temp');
    h.advance(5 * MINUTE);
    h.fire('pump-1', 'temp');
    h.clear('pump-1', 'temp');
    assert.equal(h.router.size, 1);
    assert.equal(h.router.activeAlerts()[0].id, alert.id);
    h.advance(10 * MINUTE - SECOND);
    assert.equal(h.router.size, 1);
    h.advance(SECOND);
    assert.equal(h.router.size, 0);
    assert.equal(h.changes.at(-1)?.flapping, false);
    assert.equal(h.changes.at(-1)?.history.at(-1)?.action, 'auto-resolve');
  });

  it('does not flag openings spread wider than the window', () => {
    const h = harness(config);
    for (let i = 0; i < 4; i++) {
      h.fire('pump-1', 'temp');
      h.clear('pump-1', 'temp');
      h.advance(6 * MINUTE);
    }
    assert.ok(h.changes.every((a) => !a.flapping));
  });
});

describe('commands', () => {
  const config: RouterConfigInput = { receivers: [{ name: 'ops' }], route: { receiver: 'ops', group_wait: '0s', group_interval: '1m' } };

  it('shelves until a time, then the alert fires again', () => {
    const h = harness(config);
    h.fire('pump-1', 'temp');
    h.advance(0);
    const r = h.router.applyCommand({ action: 'shelve', key: 'pump-1/temp', until: T0 + HOUR, by: 'ann' });
    assert.equal(r.alerts[0].state, 'shelved');
    assert.equal(r.alerts[0].shelvedUntil, T0 + HOUR);
    h.advance(HOUR);
    assert.equal(h.router.activeAlerts()[0].state, 'firing');
    assert.equal(h.router.activeAlerts()[0].shelvedUntil, undefined);
  });

  it('acknowledges and resolves by matchers, and resolves by hand', () => {
    const h = harness(config);
    h.fire('pump-1', 'temp');
    h.fire('pump-1', 'vibration');
    h.fire('pump-2', 'temp');
    const acked = h.router.applyCommand({ action: 'acknowledge', matchers: ['asset="pump-1"'], by: 'ann' });
    assert.deepEqual(acked.alerts.map((a) => a.key).sort(), ['pump-1/temp', 'pump-1/vibration']);
    const resolved = h.router.applyCommand({ action: 'resolve', key: 'pump-2/temp', by: 'ben', comment: 'sensor replaced' });
    assert.equal(resolved.alerts[0].state, 'resolved');
    assert.deepEqual(resolved.alerts[0].history.at(-1), { ts: T0, action: 'resolve', by: 'ben', comment: 'sensor replaced' });
    assert.equal(h.router.size, 2);
  });

  it('answers with a reason when there is nothing to act on', () => {
    const h = harness(config);
    assert.match(h.router.applyCommand({ action: 'acknowledge', alertId: 'x', by: 'a' }).reason ?? '', /no active alert with id "x"/);
    assert.match(h.router.applyCommand({ action: 'acknowledge', key: 'a/b', by: 'a' }).reason ?? '', /no active alert with key "a\/b"/);
    assert.match(h.router.applyCommand({ action: 'resolve', by: 'a' }).reason ?? '', /needs alertId, key or matchers/);
    h.fire('pump-1', 'temp');
    assert.match(h.router.applyCommand({ action: 'shelve', key: 'pump-1/temp', by: 'a' }).reason ?? '', /until/);
  });
});
