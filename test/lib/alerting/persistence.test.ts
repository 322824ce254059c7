import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterConfigInput } from '../../../nodes/lib/alerting/config';
import { harness, HOUR, MINUTE, T0 } from './harness';

const CONFIG: RouterConfigInput = {
  receivers: [{ name: 'ops', escalation: [{ after: '15m', receiver: 'lead' }] }, { name: 'lead' }],
  route: { receiver: 'ops', group_by: ['asset'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h' },
  flapping: { threshold: 2, window: '10m' },
};

describe('restore after a restart', () => {
  it('keeps active alerts and sends no notification twice', () => {
    const before = harness(CONFIG);
    before.fire('pump-1', 'temp');
    before.fire('pump-2', 'temp');
    before.advance(MINUTE);
    assert.equal(before.sent.length, 2);
    const after = harness(CONFIG, before.now(), before.router);
    assert.deepEqual(after.router.activeAlerts().map((a) => a.key).sort(), ['pump-1/temp', 'pump-2/temp']);
    after.advance(14 * MINUTE);
    assert.deepEqual(after.log(), []);
    after.advance(MINUTE);
    assert.deepEqual(after.log(), ['lead firing L1 pump-1/temp', 'lead firing L1 pump-2/temp']);
    after.fire('pump-1', 'vibration');
    after.advance(5 * MINUTE);
    assert.deepEqual(after.log().slice(2), ['ops firing pump-1/temp,pump-1/vibration']);
  });

  it('still owes the first notification of a group that had not flushed', () => {
    const before = harness(CONFIG);
    before.fire('pump-1', 'temp');
    before.advance(10_000);
    const after = harness(CONFIG, before.now(), before.router);
    after.advance(20_000 - 1);
    assert.equal(after.sent.length, 0);
    after.advance(1);
    assert.deepEqual(after.log(), ['ops firing pump-1/temp']);
  });

  it('sends the resolved notification it owed', () => {
    const before = harness(CONFIG);
    before.fire('pump-1', 'temp');
    before.advance(30_000);
    before.clear('pump-1', 'temp');
    const after = harness(CONFIG, before.now(), before.router);
    after.advance(5 * MINUTE);
    assert.deepEqual(after.log(), ['ops resolved pump-1/temp(resolved)']);
    after.advance(HOUR);
    assert.equal(after.sent.length, 1);
  });

  it('keeps silences, acknowledgements, flapping and held resolves', () => {
    const before = harness(CONFIG);
    before.router.applyCommand({ action: 'silence', matchers: ['asset="pump-9"'], until: T0 + HOUR, by: 'ann' });
    before.fire('pump-1', 'temp');
    before.clear('pump-1', 'temp');
    before.fire('pump-1', 'temp');
    before.clear('pump-1', 'temp');
    before.fire('pump-2', 'temp');
    before.router.applyCommand({ action: 'acknowledge', key: 'pump-2/temp', by: 'ann' });
    const after = harness(CONFIG, before.now() + MINUTE, before.router);
    assert.equal(after.router.activeSilences().length, 1);
    const states = Object.fromEntries(after.router.activeAlerts().map((a) => [a.key, [a.state, a.flapping]]));
    assert.deepEqual(states, { 'pump-1/temp': ['firing', true], 'pump-2/temp': ['acknowledged', false] });
    after.fire('pump-9', 'temp');
    assert.equal(after.router.activeAlerts().find((a) => a.asset === 'pump-9')?.state, 'suppressed');
    after.advance(10 * MINUTE);
    assert.equal(after.router.activeAlerts().some((a) => a.key === 'pump-1/temp'), false);
  });

  it('reports a silence that ended while it was down, and notifies the alert', () => {
    const before = harness(CONFIG);
    before.router.applyCommand({ action: 'silence', matchers: ['asset="pump-1"'], until: T0 + 10 * MINUTE, by: 'ann' });
    before.fire('pump-1', 'temp');
    before.advance(MINUTE);
    assert.equal(before.sent.length, 0);
    const after = harness(CONFIG, T0 + HOUR, before.router);
    after.router.flushChanges();
    assert.deepEqual(after.changes.map((a) => [a.key, a.state]), [['pump-1/temp', 'firing']]);
    after.advance(0);
    assert.deepEqual(after.log(), ['ops firing pump-1/temp']);
  });

  it('routes restored alerts afresh under a changed configuration', () => {
    const before = harness(CONFIG);
    before.fire('pump-1', 'temp');
    before.advance(MINUTE);
    const changed: RouterConfigInput = { ...CONFIG, receivers: [{ name: 'ops' }, { name: 'night' }], route: { ...CONFIG.route, receiver: 'night' } };
    const after = harness(changed, before.now(), before.router);
    after.advance(30_000);
    assert.deepEqual(after.log(), ['night firing pump-1/temp']);
  });

  it('skips unreadable parts of a snapshot', () => {
    const h = harness(CONFIG);
    const count = h.router.restore({ alerts: [{ id: 1 } as never, null as never], silences: [{ id: 's', matchers: ['bad=="'], startsAt: 0, endsAt: T0 + HOUR, createdBy: 'x' }] });
    assert.equal(count, 0);
    assert.equal(h.router.activeSilences().length, 0);
  });
});
