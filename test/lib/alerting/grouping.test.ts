import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterConfigInput } from '../../../nodes/lib/alerting/config';
import { harness, HOUR, MINUTE, SECOND, T0 } from './harness';

const CONFIG: RouterConfigInput = {
  receivers: [{ name: 'ops' }, { name: 'on-call' }],
  route: {
    receiver: 'ops', group_by: ['asset'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h',
    routes: [{ matchers: ['severity="critical"'], receiver: 'on-call', group_wait: '0s' }],
  },
};

describe('grouping and notification timing', () => {
  it('waits group_wait before the first notification of a group', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a');
    h.advance(29 * SECOND);
    assert.equal(h.sent.length, 0);
    h.advance(SECOND);
    assert.deepEqual(h.log(), ['ops firing pump-1/a']);
    assert.equal(h.sent[0].at, T0 + 30 * SECOND);
    assert.equal(h.sent[0].output, 0);
    assert.equal(h.sent[0].n.groupKey, '{asset="pump-1"}');
    assert.deepEqual(h.sent[0].n.commonLabels, { alertname: 'a', asset: 'pump-1', severity: 'medium' });
  });

  it('adds later alerts at the next group_interval, and repeats only after repeat_interval', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a');
    h.advance(MINUTE);
    h.fire('pump-1', 'b');
    h.advance(4 * MINUTE);
    assert.equal(h.sent.length, 1);
    h.advance(30 * SECOND);
    assert.deepEqual(h.log(), ['ops firing pump-1/a', 'ops firing pump-1/a,pump-1/b']);
    assert.equal(h.sent[1].at, T0 + 5 * MINUTE + 30 * SECOND);
    // Unchanged: nothing until an hour after the last notification, at a group_interval tick.
    h.advance(HOUR - SECOND);
    assert.equal(h.sent.length, 2);
    h.advance(SECOND);
    assert.equal(h.sent.length, 3);
    assert.equal(h.sent[2].at, T0 + HOUR + 5 * MINUTE + 30 * SECOND);
  });

  it('sends resolved alerts once, then a resolved notification when the group is clear', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a');
    h.fire('pump-1', 'b');
    h.advance(30 * SECOND);
    h.clear('pump-1', 'a');
    h.advance(5 * MINUTE);
    h.clear('pump-1', 'b');
    h.advance(5 * MINUTE);
    h.advance(HOUR);
    assert.deepEqual(h.log(), [
      'ops firing pump-1/a,pump-1/b',
      'ops firing pump-1/b,pump-1/a(resolved)',
      'ops resolved pump-1/b(resolved)',
    ]);
    assert.equal(h.sent[2].n.status, 'resolved');
    assert.equal(h.router.size, 0);
    assert.equal(h.router.wakeAt, Infinity);
  });

  it('sends nothing for an alert that resolves before its group is notified', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a');
    h.advance(10 * SECOND);
    h.clear('pump-1', 'a');
    h.advance(HOUR);
    assert.deepEqual(h.log(), []);
    assert.equal(h.router.findAlert(h.changes[0].id), undefined);
  });

  it('keeps groups apart by group_by values and routes by severity', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a');
    h.fire('pump-2', 'a');
    h.fire('pump-3', 'temp', 'critical');
    h.advance(0);
    assert.deepEqual(h.log(), ['on-call firing pump-3/temp']);
    assert.equal(h.sent[0].output, 1);
    h.advance(30 * SECOND);
    assert.deepEqual(h.log().slice(1).sort(), ['ops firing pump-1/a', 'ops firing pump-2/a']);
  });

  it('moves an alert to another route when its severity changes', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a');
    h.advance(30 * SECOND);
    h.fire('pump-1', 'a', 'critical');
    h.advance(0);
    assert.deepEqual(h.log(), ['ops firing pump-1/a', 'on-call firing pump-1/a']);
    assert.equal(h.sent[1].n.alerts[0].severity, 'critical');
    assert.equal(h.sent[1].n.alerts[0].labels.severity, 'critical');
    assert.equal(h.router.size, 1);
  });

  it('keeps one active alert per key and updates its value', () => {
    const h = harness(CONFIG);
    h.fire('pump-1', 'a', 'medium', { value: 1 });
    h.fire('pump-1', 'a', 'medium', { value: 2 });
    assert.equal(h.router.size, 1);
    assert.equal(h.router.activeAlerts()[0].value, 2);
    assert.equal(h.changes.length, 1);
    h.clear('pump-1', 'a');
    h.fire('pump-1', 'a', 'medium', { value: 3 });
    const [alert] = h.router.activeAlerts();
    assert.notEqual(alert.id, h.changes[0].id);
    assert.deepEqual(h.changes.map((c) => c.state), ['firing', 'resolved', 'firing']);
  });

  it('adds the static labels of the asset', () => {
    const h = harness({ ...CONFIG, assets: { 'pump-1': { criticality: 'A', site: 'north', line: 'L1' } } });
    h.fire('pump-1', 'a', 'high', { sensor: 'vibration', labels: { shift: 'night' } });
    assert.deepEqual(h.router.activeAlerts()[0].labels, {
      criticality: 'A', site: 'north', line: 'L1', shift: 'night', alertname: 'a', asset: 'pump-1', severity: 'high', sensor: 'vibration',
    });
  });
});
