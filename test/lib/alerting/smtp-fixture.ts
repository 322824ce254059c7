/** A real SMTP server (smtp-server) on loopback that keeps what it accepts, for tests and the benchmark. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent, with quoted-printable bodies decoded. */
  text: string;
  headers: Map<string, string>;
  /** performance.now() when the server accepted the message. */
  acceptedAt: number;
}

export interface TestSmtp {
  port: number;
  mails: ReceivedMail[];
  next(n?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Called for each accepted mail, as it is accepted. */
  onMail?: (mail: ReceivedMail) => void;
  close(): Promise<void>;
}

export interface SmtpOptions {
  /** Require this login. */
  login?: { user: string; password: string };
  /** Refuse these recipients with 550. */
  reject?: string[];
  /** Keep only headers, for the benchmark. */
  headersOnly?: boolean;
}

function decodeQuotedPrintable(raw: string): string {
  const bytes = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => `%${hex}`);
  try {
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, '%25'));
  } catch {
    return raw;
  }
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=), adjacent ones joined. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  );
}

function parseHeaders(raw: string): Map<string, string> {
  const headers = new Map<string, string>();
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return headers;
}

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const fixture: TestSmtp = {
    port: 0,
    mails,
    next(n = 1, timeoutMs = 5000) {
      const target = mails.length + n;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`smtp: ${mails.length}/${target} mails`)), timeoutMs);
        const check = (): void => {
          if (mails.length >= target) {
            clearTimeout(timer);
            resolve(mails.slice(target - n, target));
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    disabledCommands: options.login ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.login,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.login?.user && auth.password === options.login?.password) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid login'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.reject?.includes(address.address)) callback(Object.assign(new Error(`No such user ${address.address}`), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          text: options.headersOnly ? '' : decodeQuotedPrintable(raw),
          headers: parseHeaders(raw),
          acceptedAt: performance.now(),
        };
        mails.push(mail);
        fixture.onMail?.(mail);
        waiters.splice(0).forEach((wake) => wake());
        callback(null, 'queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fixture.port = (server.server.address() as AddressInfo).port;
  return fixture;
}
