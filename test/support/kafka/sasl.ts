/**
 * The server side of SASL for the test broker: PLAIN (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512
 * (RFC 5802, RFC 7677) as Kafka runs them inside SaslAuthenticate requests. SCRAM keeps only the
 * salted keys of the password, as a Kafka cluster does, and verifies the client's proof.
 */
import crypto from 'node:crypto';

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SASL_MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface SaslUser {
  username: string;
  password: string;
}

/** A step of an exchange: the token to send back (done once authenticated), or why it failed. */
export type SaslStep = { token: Buffer; done: boolean } | { failed: string };

export interface SaslExchange {
  step(token: Buffer): SaslStep;
}

/** Salt, iteration count and server nonce: random unless given (the RFC's test vectors give them). */
export interface ScramParameters {
  salt?: Buffer;
  iterations?: number;
  serverNonce?: () => string;
}

const SCRAM_HASH = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;
const DEFAULT_ITERATIONS = 4096;

/** Kafka's answer to any failed SCRAM exchange: it does not say which part was wrong. */
const scramFailure = (mechanism: string): SaslStep => ({ failed: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}` });

export class SaslServer {
  private readonly scram = new Map<keyof typeof SCRAM_HASH, ScramCredential>();

  constructor(private readonly user: SaslUser, readonly mechanisms: readonly SaslMechanismName[] = SASL_MECHANISMS, parameters: ScramParameters = {}) {
    for (const mechanism of mechanisms) {
      if (mechanism !== 'PLAIN') this.scram.set(mechanism, new ScramCredential(mechanism, user, parameters));
    }
  }

  /** A new exchange for an offered mechanism, or undefined. */
  start(mechanism: string): SaslExchange | undefined {
    if (!this.mechanisms.includes(mechanism as SaslMechanismName)) return undefined;
    if (mechanism === 'PLAIN') return { step: (token) => this.plain(token) };
    return (this.scram.get(mechanism as keyof typeof SCRAM_HASH) as ScramCredential).exchange();
  }

  private plain(token: Buffer): SaslStep {
    // authzid NUL authcid NUL password
    const [, username, password] = token.toString('utf8').split('\u0000');
    if (username !== this.user.username || password !== this.user.password) return { failed: 'Authentication failed: invalid username or password' };
    return { token: Buffer.alloc(0), done: true };
  }
}

/** What the first round settled: the client's bare message, its GS2 header, our answer and the full nonce. */
interface ScramFirst {
  bare: string;
  gs2Header: string;
  serverFirst: string;
  nonce: string;
}

class ScramCredential {
  private readonly hash: 'sha256' | 'sha512';
  private readonly salt: Buffer;
  private readonly iterations: number;
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;
  private readonly serverNonce: () => string;

  constructor(private readonly mechanism: keyof typeof SCRAM_HASH, private readonly user: SaslUser, parameters: ScramParameters) {
    this.hash = SCRAM_HASH[mechanism];
    this.salt = parameters.salt ?? crypto.randomBytes(16);
    this.iterations = parameters.iterations ?? DEFAULT_ITERATIONS;
    this.serverNonce = parameters.serverNonce ?? (() => crypto.randomBytes(18).toString('base64'));
    const length = crypto.createHash(this.hash).digest().length;
    const salted = crypto.pbkdf2Sync(user.password, this.salt, this.iterations, length, this.hash);
    this.storedKey = this.digest(this.hmac(salted, 'Client Key'));
    this.serverKey = this.hmac(salted, 'Server Key');
  }

  exchange(): SaslExchange {
    let first: ScramFirst | undefined;
    let finished = false;
    return {
      step: (token) => {
        if (finished) return scramFailure(this.mechanism);
        const message = token.toString('utf8');
        if (first === undefined) {
          const parsed = this.clientFirst(message);
          if (parsed === undefined) {
            finished = true;
            return scramFailure(this.mechanism);
          }
          first = parsed;
          return { token: Buffer.from(first.serverFirst), done: false };
        }
        finished = true;
        const signature = this.clientFinal(message, first);
        return signature === undefined ? scramFailure(this.mechanism) : { token: Buffer.from(`v=${signature}`), done: true };
      },
    };
  }

  /** client-first-message = gs2-header client-first-message-bare; undefined unless it names our user. */
  private clientFirst(message: string): ScramFirst | undefined {
    // No channel binding ("n" or "y"), an optional authzid.
    const match = /^([ny]),(a=[^,]*)?,(n=([^,]*),r=([\x21-\x2b\x2d-\x7e]+)(,[a-z]=[^,]*)*)$/.exec(message);
    if (match === null || /(^|,)m=/.test(match[6] ?? '')) return undefined;
    const username = decodeSaslName(match[4]);
    if (username === undefined || username !== this.user.username) return undefined;
    const nonce = match[5] + this.serverNonce();
    const serverFirst = `r=${nonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
    return { bare: match[3], gs2Header: `${match[1]},${match[2] ?? ''},`, serverFirst, nonce };
  }

  /** client-final-message = c=…,r=…,p=proof; the server signature when the proof is right. */
  private clientFinal(message: string, first: ScramFirst): string | undefined {
    const match = /^(c=([^,]*),r=([^,]*)(?:,[a-z]=[^,]*)*),p=([A-Za-z0-9+/=]+)$/.exec(message);
    if (match === null || match[2] !== Buffer.from(first.gs2Header).toString('base64') || match[3] !== first.nonce) return undefined;
    const authMessage = `${first.bare},${first.serverFirst},${match[1]}`;
    const proof = Buffer.from(match[4], 'base64');
    const clientSignature = this.hmac(this.storedKey, authMessage);
    if (proof.length !== clientSignature.length) return undefined;
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ clientSignature[i]));
    if (!crypto.timingSafeEqual(this.digest(clientKey), this.storedKey)) return undefined;
    return this.hmac(this.serverKey, authMessage).toString('base64');
  }

  private hmac(key: Buffer, text: string): Buffer {
    return crypto.createHmac(this.hash, key).update(text).digest();
  }

  private digest(data: Buffer): Buffer {
    return crypto.createHash(this.hash).update(data).digest();
  }
}

/** saslname: "=2C" is ",", "=3D" is "="; any other "=" makes the name invalid. */
function decodeSaslName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
