import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterConfigInput } from '../../../nodes/lib/alerting/config';
import { harness, HOUR, MINUTE, T0 } from './harness';

const BASE: RouterConfigInput = {
  receivers: [{ name: 'ops' }],
  route: { receiver: 'ops', group_by: ['asset', 'alertname'], group_wait: '0s', group_interval: '1m', repeat_interval: '1h' },
};

describe('inhibition', () => {
  const config: RouterConfigInput = {
    ...BASE,
    inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity=~"low|medium|high"'], equal: ['asset'] }],
  };

  it('a critical alert on an asset mutes its warnings, and only its own', () => {
    const h = harness(config);
    h.fire('pump-1', 'temp', 'medium');
    h.fire('pump-2', 'temp', 'medium');
    h.advance(0);
    h.fire('pump-1', 'vibration', 'critical');
    const states = (): Record<string, string> => Object.fromEntries(h.router.activeAlerts().map((a) => [a.key, a.state]));
    assert.deepEqual(states(), { 'pump-1/temp': 'suppressed', 'pump-2/temp': 'firing', 'pump-1/vibration': 'firing' });
    h.fire('pump-1', 'pressure', 'high');
    assert.equal(states()['pump-1/pressure'], 'suppressed');
    h.advance(HOUR - 1);
    assert.deepEqual(h.log(), ['ops firing pump-1/temp', 'ops firing pump-2/temp', 'ops firing pump-1/vibration']);
    h.clear('pump-1', 'vibration');
    assert.equal(states()['pump-1/temp'], 'firing');
    assert.equal(states()['pump-1/pressure'], 'firing');
    const history = h.router.activeAlerts().find((a) => a.key === 'pump-1/temp')?.history.map((e) => e.action);
    assert.deepEqual(history?.filter((a) => a !== 'notify'), ['fire', 'suppress', 'unsuppress']);
  });

  it('follows a source alert whose severity rises and falls', () => {
    const h = harness(config);
    h.fire('pump-1', 'temp', 'medium');
    h.fire('pump-1', 'vibration', 'high');
    h.fire('pump-2', 'vibration', 'high');
    const state = (key: string): string | undefined => h.router.activeAlerts().find((a) => a.key === key)?.state;
    h.fire('pump-1', 'vibration', 'critical');
    assert.deepEqual([state('pump-1/temp'), state('pump-1/vibration'), state('pump-2/vibration')], ['suppressed', 'firing', 'firing']);
    h.fire('pump-1', 'vibration', 'high');
    assert.deepEqual([state('pump-1/temp'), state('pump-1/vibration'), state('pump-2/vibration')], ['firing', 'firing', 'firing']);
    h.fire('pump-2', 'temp', 'critical');
    h.fire('pump-2', 'vibration', 'critical');
    assert.deepEqual([state('pump-2/temp'), state('pump-2/vibration'), state('pump-1/temp')], ['firing', 'firing', 'firing']);
  });

  it('a critical alert does not mute itself', () => {
    const h = harness({ ...BASE, inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['asset=~".+"'], equal: ['asset'] }] });
    h.fire('pump-1', 'vibration', 'critical');
    assert.equal(h.router.activeAlerts()[0].state, 'firing');
    h.fire('pump-1', 'temp', 'critical');
    assert.deepEqual(h.router.activeAlerts().map((a) => a.state), ['suppressed', 'suppressed']);
  });
});

describe('silences', () => {
  it('a silence made by matchers suppresses until it ends, then the alert notifies', () => {
    const h = harness(BASE);
    const result = h.router.applyCommand({ action: 'silence', matchers: ['asset="pump-1"'], until: T0 + 30 * MINUTE, by: 'ann', comment: 'repair' });
    assert.ok(result.ok && result.silenceId);
    h.fire('pump-1', 'temp');
    h.fire('pump-2', 'temp');
    h.advance(30 * MINUTE - 1);
    assert.deepEqual(h.log(), ['ops firing pump-2/temp']);
    assert.equal(h.router.activeAlerts().find((a) => a.asset === 'pump-1')?.state, 'suppressed');
    assert.deepEqual(h.router.activeSilences().map((s) => s.createdBy), ['ann']);
    h.advance(1);
    assert.deepEqual(h.router.activeSilences(), []);
    assert.deepEqual(h.log(), ['ops firing pump-2/temp', 'ops firing pump-1/temp']);
    assert.equal(h.sent[1].at, T0 + 30 * MINUTE);
  });

  it('a silence made from an alert covers its asset and name; expiring it ends it at once', () => {
    const h = harness(BASE);
    h.fire('pump-1', 'temp');
    h.fire('pump-1', 'vibration');
    const id = h.router.activeAlerts().find((a) => a.name === 'temp')?.id as string;
    const result = h.router.applyCommand({ action: 'silence', alertId: id, until: T0 + HOUR, by: 'ann', via: 'message' });
    assert.deepEqual(result.alerts.map((a) => a.key), ['pump-1/temp']);
    assert.deepEqual(h.router.activeSilences()[0].matchers, ['asset="pump-1"', 'alertname="temp"']);
    const expired = h.router.applyCommand({ action: 'expire-silence', silenceId: result.silenceId, by: 'ann' });
    assert.deepEqual(expired.alerts.map((a) => [a.key, a.state]), [['pump-1/temp', 'firing']]);
  });

  it('refuses a silence without an end, with bad matchers or an unknown id', () => {
    const h = harness(BASE);
    assert.match(h.router.applyCommand({ action: 'silence', matchers: ['asset="x"'], by: 'a' }).reason ?? '', /until/);
    assert.match(h.router.applyCommand({ action: 'silence', matchers: ['asset=="x'], until: T0 + 1, by: 'a' }).reason ?? '', /matchers\[0\]/);
    assert.match(h.router.applyCommand({ action: 'silence', matchers: [], until: T0 + 1, by: 'a' }).reason ?? '', /at least one matcher/);
    assert.match(h.router.applyCommand({ action: 'expire-silence', silenceId: 'nope', by: 'a' }).reason ?? '', /no silence with id "nope"/);
  });
});

describe('time intervals', () => {
  const config: RouterConfigInput = {
    ...BASE,
    time_intervals: [
      { name: 'night', time_intervals: [{ times: [{ start_time: '00:00', end_time: '06:00' }], weekdays: ['monday:friday'] }] },
      { name: 'overhaul', time_intervals: [{ dates: [{ start: '2026-11-24T00:00:00Z', end: '2026-11-25T00:00:00Z' }] }] },
    ],
    route: { ...BASE.route, mute_time_intervals: ['night', 'overhaul'] },
  };

  it('mutes a route during a maintenance window; the alert is suppressed, then notifies', () => {
    const h = harness(config, T0 + HOUR);
    h.fire('pump-1', 'temp');
    assert.equal(h.router.activeAlerts()[0].state, 'suppressed');
    h.advance(5 * HOUR - 1);
    assert.deepEqual(h.log(), []);
    h.advance(MINUTE);
    assert.equal(h.router.activeAlerts()[0].state, 'firing');
    assert.deepEqual(h.log(), ['ops firing pump-1/temp']);
    assert.equal(h.sent[0].at, T0 + 6 * HOUR);
  });

  it('mutes on a one-off date range and lets a weekend night through', () => {
    const overhaul = harness(config, T0 + 24 * HOUR + 12 * HOUR);
    overhaul.fire('pump-1', 'temp');
    assert.equal(overhaul.router.activeAlerts()[0].state, 'suppressed');
    const saturday = harness(config, T0 + 5 * 24 * HOUR + HOUR);
    saturday.fire('pump-1', 'temp');
    saturday.advance(0);
    assert.deepEqual(saturday.log(), ['ops firing pump-1/temp']);
  });

  it('sends only inside active_time_intervals, in the interval time zone', () => {
    const h = harness({
      ...BASE,
      time_intervals: [{ name: 'day-shift', time_intervals: [{ times: [{ start_time: '06:00', end_time: '14:00' }], location: 'Europe/Berlin' }] }],
      route: { ...BASE.route, active_time_intervals: ['day-shift'] },
    });
    h.fire('pump-1', 'temp');
    h.advance(5 * HOUR - 1);
    assert.deepEqual(h.log(), []);
    // 05:00 UTC is 06:00 in Berlin in November.
    h.advance(MINUTE);
    assert.equal(h.sent[0].at, T0 + 5 * HOUR);
  });
});
