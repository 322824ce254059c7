import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBasicAuth, socketBasicAuth, type HandshakeSocket } from '../../../nodes/lib/server/socket-auth';

interface FakeSocket extends HandshakeSocket {
  closed: boolean;
  disconnected: boolean;
}

function socket(authorization?: string, options: { url?: string; xdomain?: boolean } = {}): FakeSocket {
  const s: FakeSocket = {
    closed: false,
    disconnected: false,
    handshake: { headers: authorization === undefined ? {} : { authorization }, xdomain: options.xdomain ?? false },
    client: { conn: { request: { url: options.url ?? '/dashboard/socket.io/?EIO=4&transport=polling' }, close: () => { s.closed = true; } } },
    disconnect: () => { s.disconnected = true; },
  };
  return s;
}

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

/** Runs the middleware; resolves with the error passed to next, null for success, 'no-next' when it ended the socket. */
function check(middleware: ReturnType<typeof socketBasicAuth>, s: HandshakeSocket): Promise<Error | null | 'no-next'> {
  return new Promise((resolve) => {
    middleware(s, (err) => resolve(err ?? null));
    setTimeout(() => resolve('no-next'), 50);
  });
}

describe('socket basic auth', () => {
  const compares: string[] = [];
  const compare = async (password: string, hash: string): Promise<boolean> => {
    compares.push(password);
    return hash === `hash-of-${password}`;
  };
  const account = { user: 'operator', hash: 'hash-of-right' };

  it('parses Basic credentials, passwords with colons included', () => {
    assert.deepEqual(parseBasicAuth(basic('operator:a:b')), { user: 'operator', password: 'a:b' });
    assert.equal(parseBasicAuth(undefined), undefined);
    assert.equal(parseBasicAuth('Bearer abc'), undefined);
    assert.equal(parseBasicAuth(basic('no-colon')), undefined);
    assert.equal(parseBasicAuth(['Basic x']), undefined);
  });

  it('accepts the right user and password and remembers the header', async () => {
    const middleware = socketBasicAuth(account, compare);
    compares.length = 0;
    assert.equal(await check(middleware, socket(basic('operator:right'))), null);
    assert.equal(await check(middleware, socket(basic('operator:right'))), null);
    assert.deepEqual(compares, ['right'], 'one bcrypt compare for repeated connections');
  });

  it('refuses a missing header, a wrong user, a wrong password and a failing compare', async () => {
    const middleware = socketBasicAuth(account, compare);
    for (const header of [undefined, basic('admin:right'), basic('operator:wrong'), 'Basic !!!']) {
      const result = await check(middleware, socket(header));
      assert.ok(result instanceof Error && result.message === 'unauthorized', String(header));
    }
    const failing = socketBasicAuth(account, () => Promise.reject(new Error('bcrypt failed')));
    const result = await check(failing, socket(basic('operator:right')));
    assert.ok(result instanceof Error && result.message === 'unauthorized');
  });

  it('keeps the dashboards\' own checks: no direct websocket, no cross-origin', async () => {
    const middleware = socketBasicAuth(account, compare);
    const direct = socket(basic('operator:right'), { url: '/dashboard/socket.io/?EIO=4&transport=websocket' });
    assert.equal(await check(middleware, direct), 'no-next');
    assert.equal(direct.closed, true);
    const crossOrigin = socket(basic('operator:right'), { xdomain: true });
    assert.equal(await check(middleware, crossOrigin), 'no-next');
    assert.equal(crossOrigin.disconnected, true);
  });
});
