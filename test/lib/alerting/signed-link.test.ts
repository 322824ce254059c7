import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkSecret, linkUrl, signLink, verifyLink, type LinkClaims } from '../../../nodes/lib/alerting/signed-link';
import { T0 } from './fixtures';

const SECRET = 'a-long-enough-link-secret';
const claims: LinkClaims = { alertId: 'pump-1/temp@1', action: 'acknowledge', expires: T0 + 3_600_000, recipient: 'ops@plant.example' };

describe('signed links', () => {
  it('verifies its own token and gives back the claims', () => {
    const token = signLink(claims, SECRET);
    assert.deepEqual(verifyLink(token, SECRET, T0), { ok: true, claims });
  });

  it('refuses expired, altered, foreign and malformed tokens with the reason', () => {
    const token = signLink(claims, SECRET);
    const expired = verifyLink(token, SECRET, claims.expires + 1);
    assert.equal(expired.ok, false);
    assert.match(expired.ok ? '' : expired.reason, /expired at 2023-11-14T23:13:20.000Z/);
    const [body, mac] = token.split('.');
    const altered = Buffer.from(JSON.stringify({ a: claims.alertId, x: 'resolve', e: claims.expires / 1000, r: claims.recipient })).toString('base64url');
    assert.deepEqual(verifyLink(`${altered}.${mac}`, SECRET, T0), { ok: false, reason: 'the link signature is not valid' });
    assert.deepEqual(verifyLink(token, 'another-secret-of-16+', T0), { ok: false, reason: 'the link signature is not valid' });
    assert.deepEqual(verifyLink(`${body}.${mac}.x`, SECRET, T0), { ok: false, reason: 'the link token is malformed' });
    assert.deepEqual(verifyLink(undefined, SECRET, T0), { ok: false, reason: 'the link has no token' });
    assert.deepEqual(verifyLink('x'.repeat(5000), SECRET, T0), { ok: false, reason: 'the link token is too long' });
    const notJson = Buffer.from('nope').toString('base64url');
    const signed = `${notJson}.${signLink(claims, SECRET).split('.')[1]}`;
    assert.equal(verifyLink(signed, SECRET, T0).ok, false);
  });

  it('refuses a signed token whose action a link may not carry', () => {
    const body = Buffer.from(JSON.stringify({ a: 'x', x: 'silence', e: T0 / 1000 + 60, r: 'r' })).toString('base64url');
    const token = `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
    assert.deepEqual(verifyLink(token, SECRET, T0), { ok: false, reason: 'the link token is malformed' });
  });

  it('needs a secret of 16 characters or more', () => {
    assert.throws(() => checkSecret('short'), /at least 16 characters/);
    assert.throws(() => checkSecret(undefined), /at least 16 characters/);
    assert.equal(checkSecret(SECRET), SECRET);
  });

  it('builds the public URL of a link', () => {
    assert.equal(linkUrl('https://nr.example/api/', '/alert-ack/n1', 'a.b+c'), 'https://nr.example/api/alert-ack/n1?t=a.b%2Bc');
  });
});
