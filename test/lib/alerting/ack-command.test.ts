import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditRecord, parseCommand, userOf } from '../../../nodes/lib/alerting/ack-command';
import { makeAlert, T0 } from './fixtures';

const defaults = { shelveMs: 3_600_000, silenceMs: 7_200_000 };

describe('alert commands', () => {
  it('checks a command and fills in who, how and when', () => {
    const c = parseCommand({ action: 'acknowledge', alertId: 'a1', comment: '  on my way ' }, 'jane', 'message', T0, defaults);
    assert.deepEqual(c, { action: 'acknowledge', alertId: 'a1', by: 'jane', comment: 'on my way', via: 'message', ts: T0 });
  });

  it('gives shelve and silence a default end, and takes ISO times', () => {
    assert.equal(parseCommand({ action: 'shelve', key: 'k' }, 'j', 'http', T0, defaults).until, T0 + 3_600_000);
    assert.equal(parseCommand({ action: 'silence', matchers: ['asset="p"'] }, 'j', 'http', T0, defaults).until, T0 + 7_200_000);
    const until = new Date(T0 + 60_000).toISOString();
    assert.equal(parseCommand({ action: 'shelve', alertId: 'a', until }, 'j', 'http', T0, defaults).until, T0 + 60_000);
  });

  it('rejects bad commands with the reason', () => {
    const bad = (input: unknown): RegExp => {
      try {
        parseCommand(input, 'j', 'm', T0, defaults);
      } catch (err) {
        return new RegExp((err as Error).message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      }
      throw new Error('accepted');
    };
    assert.match(String(bad('ack')), /must be an object/);
    assert.match(String(bad({ action: 'delete', alertId: 'a' })), /action must be one of acknowledge/);
    assert.match(String(bad({ action: 'acknowledge' })), /acknowledge needs an alertId or a key/);
    assert.match(String(bad({ action: 'silence' })), /silence needs matchers/);
    assert.match(String(bad({ action: 'silence', matchers: [] })), /matchers must be a non-empty array/);
    assert.match(String(bad({ action: 'expire-silence' })), /needs a silenceId/);
    assert.match(String(bad({ action: 'shelve', alertId: 'a', until: T0 - 1 })), /until must be in the future/);
    assert.match(String(bad({ action: 'shelve', alertId: 'a', until: 'soon' })), /until must be epoch ms or an ISO 8601 time/);
    assert.match(String(bad({ action: 'resolve', alertId: 5 })), /alertId must be a string/);
    assert.match(String(bad({ action: 'resolve', alertId: 'a', comment: 3 })), /comment must be a string/);
  });

  it('finds the user in a name, a user object or nothing', () => {
    assert.equal(userOf(undefined, ' jane '), 'jane');
    assert.equal(userOf({ username: 'admin' }), 'admin');
    assert.equal(userOf({ email: 'a@b.c' }, 'x'), 'a@b.c');
    assert.equal(userOf(undefined, {}, ''), undefined);
  });

  it('records the audit entry of a command and its result', () => {
    const c = parseCommand({ action: 'resolve', alertId: 'a1', comment: 'replaced' }, 'jane', 'link', T0, defaults);
    const changed = makeAlert({ id: 'a1', state: 'resolved' });
    assert.deepEqual(auditRecord(c, { ok: true, alerts: [changed] }), {
      ts: T0, action: 'resolve', by: 'jane', via: 'link', comment: 'replaced', alertIds: ['a1'], target: { alertId: 'a1' }, ok: true,
    });
    assert.deepEqual(auditRecord(c, { ok: false, reason: 'gone', alerts: [] }).reason, 'gone');
  });
});
