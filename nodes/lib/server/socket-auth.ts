/**
 * HTTP Basic authentication for the dashboards' socket.io connections. Node-RED's httpNodeAuth
 * protects the dashboards' pages, but socket.io listens on the HTTP server itself, beside
 * express, so its handshake is checked here against the same user and bcrypt hash.
 */

/** The parts of a socket.io Socket the check reads. */
export interface HandshakeSocket {
  handshake: { headers: Record<string, string | string[] | undefined>; xdomain: boolean };
  client: { conn: { request: { url?: string }; close(): void } };
  disconnect(close?: boolean): void;
}

export type SocketMiddleware = (socket: HandshakeSocket, next: (err?: Error) => void) => void;

export interface BasicAuthUser {
  user: string;
  /** bcrypt hash of the password. */
  hash: string;
}

/** Verified Authorization headers kept, so a page with many reconnects costs one bcrypt compare. */
const MAX_REMEMBERED = 100;

export function parseBasicAuth(header: string | string[] | undefined): { user: string; password: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The dashboards' own default checks (no websocket without the polling handshake first, same
 * origin only), then the credentials. `compare` is bcrypt's compare, injected so tests stay fast.
 */
export function socketBasicAuth(account: BasicAuthUser, compare: (password: string, hash: string) => Promise<boolean>): SocketMiddleware {
  const remembered = new Set<string>();
  return (socket, next) => {
    if ((socket.client.conn.request.url ?? '').includes('transport=websocket')) {
      socket.client.conn.close();
      return;
    }
    if (socket.handshake.xdomain !== false) {
      socket.disconnect(true);
      return;
    }
    const header = socket.handshake.headers.authorization;
    if (typeof header === 'string' && remembered.has(header)) {
      next();
      return;
    }
    const credentials = parseBasicAuth(header);
    if (!credentials || credentials.user !== account.user) {
      next(new Error('unauthorized'));
      return;
    }
    compare(credentials.password, account.hash).then(
      (ok) => {
        if (!ok) {
          next(new Error('unauthorized'));
          return;
        }
        if (remembered.size >= MAX_REMEMBERED) remembered.clear();
        remembered.add(header as string);
        next();
      },
      () => next(new Error('unauthorized')),
    );
  };
}
