/**
 * The one place that talks to node-opcua's client. An OpcuaConnection keeps one session to one
 * endpoint: it retries the first connection itself (each attempt bounded by a timeout, so a
 * server that never answers gives a clear reason), then leaves keep-alive, reconnection and the
 * repair of sessions and subscriptions to node-opcua, reporting every change as a state.
 */
import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import {
  crypto_utils,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua';
import { describeError, PdmError } from '../errors';
import type { OpcuaEndpointOptions } from './opcua-config';
import { describeOpcuaError } from './opcua-errors';

export type OpcuaConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'error' | 'closed';

export interface OpcuaClientOptions extends OpcuaEndpointOptions {
  /** Client certificate store: own/, trusted/, rejected/, issuers/. */
  pkiDir: string;
  applicationName: string;
  /** First delay between failed connection attempts; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export interface OpcuaConnectionEvents {
  state: [state: OpcuaConnectionState, reason: string | undefined];
  /** A new session (first connection, or a new client after the previous one gave up). */
  session: [session: ClientSession];
}

const MODES: Readonly<Record<OpcuaEndpointOptions['securityMode'], MessageSecurityMode>> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

const POLICIES: Readonly<Record<OpcuaEndpointOptions['securityPolicy'], SecurityPolicy>> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

/** node-opcua's reconnection keeps trying with these delays once a session was established. */
const RECONNECT_STRATEGY = { maxRetry: 1, initialDelay: 500, maxDelay: 2000, randomisationFactor: 0.1 };
const KEEPALIVE_MS = 5000;
const SESSION_TIMEOUT_MS = 60_000;

export class OpcuaConnection extends EventEmitter<OpcuaConnectionEvents> {
  private client: OPCUAClient | undefined;
  private current: ClientSession | undefined;
  private certificates: OPCUACertificateManager | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private attempt = 0;
  private stateNow: OpcuaConnectionState = 'closed';
  private reasonNow: string | undefined;

  constructor(private readonly options: OpcuaClientOptions) {
    super();
    // Every opcua-in node on this endpoint listens.
    this.setMaxListeners(0);
  }

  get state(): OpcuaConnectionState {
    return this.stateNow;
  }

  get reason(): string | undefined {
    return this.reasonNow;
  }

  get session(): ClientSession | undefined {
    return this.stateNow === 'connected' ? this.current : undefined;
  }

  /** Starts connecting in the background; never throws, reports through 'state'. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  /** Resolves with a session, waiting up to the connect timeout for one. */
  async waitForSession(): Promise<ClientSession> {
    this.start();
    const ready = this.session;
    if (ready) return ready;
    return new Promise<ClientSession>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(this.reasonNow ?? `no answer from ${this.options.endpointUrl}`)), this.options.connectTimeoutMs);
      const onState = (state: OpcuaConnectionState, reason: string | undefined): void => {
        if (state === 'connected' && this.current) finish(undefined, this.current);
        else if (state === 'error' || state === 'closed') finish(new Error(reason ?? state));
      };
      const finish = (err: Error | undefined, session?: ClientSession): void => {
        clearTimeout(timer);
        this.off('state', onState);
        if (session) resolve(session);
        else reject(err);
      };
      this.on('state', onState);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.teardown();
    await this.certificates?.dispose();
    this.setState('closed', undefined);
    this.removeAllListeners();
  }

  private setState(state: OpcuaConnectionState, reason: string | undefined): void {
    if (state === this.stateNow && reason === this.reasonNow) return;
    this.stateNow = state;
    this.reasonNow = reason;
    this.emit('state', state, reason);
  }

  private async connect(): Promise<void> {
    // While retrying after a failure the state stays 'error' with its reason.
    if (this.attempt === 0) this.setState('connecting', undefined);
    try {
      const client = await this.createClient();
      if (this.closed) return;
      this.client = client;
      const session = await withTimeout(this.open(client), this.options.connectTimeoutMs, () => `no answer from ${this.options.endpointUrl} within ${this.options.connectTimeoutMs / 1000} s`);
      if (this.closed || this.client !== client) {
        await session.close().catch(() => undefined);
        return;
      }
      this.attempt = 0;
      this.current = session;
      this.watchSession(client, session);
      this.setState('connected', undefined);
      this.emit('session', session);
    } catch (err) {
      if (this.closed) return;
      await this.teardown();
      this.attempt++;
      const base = this.options.retryDelayMs ?? 2000;
      const delay = Math.min(this.options.maxRetryDelayMs ?? 15_000, base * 2 ** Math.min(this.attempt - 1, 8));
      this.setState('error', describeOpcuaError(err));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.connect();
      }, delay);
    }
  }

  private async createClient(): Promise<OPCUAClient> {
    // A fresh store per attempt after a failure: it reads trusted/ again, so a server certificate
    // that an operator has just moved there is taken without a restart.
    if (this.certificates && this.attempt > 0) {
      await this.certificates.dispose();
      this.certificates = undefined;
    }
    if (!this.certificates) {
      this.certificates = new OPCUACertificateManager({ rootFolder: this.options.pkiDir, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
      await this.certificates.initialize();
    }
    const client = OPCUAClient.create({
      applicationName: this.options.applicationName,
      endpointMustExist: false,
      securityMode: MODES[this.options.securityMode],
      securityPolicy: POLICIES[this.options.securityPolicy],
      connectionStrategy: RECONNECT_STRATEGY,
      keepSessionAlive: true,
      keepAliveInterval: KEEPALIVE_MS,
      requestedSessionTimeout: SESSION_TIMEOUT_MS,
      clientCertificateManager: this.certificates,
      transportTimeout: this.options.connectTimeoutMs,
    });
    // The client certificate takes seconds to create the first time: not part of the timed attempt.
    await client.createDefaultCertificate();
    return client;
  }

  private async open(client: OPCUAClient): Promise<ClientSession> {
    await client.connect(this.options.endpointUrl);
    return client.createSession(userIdentity(this.options.auth));
  }

  private watchSession(client: OPCUAClient, session: ClientSession): void {
    const mine = (): boolean => this.client === client && !this.closed;
    client.on('connection_lost', () => mine() && this.setState('reconnecting', `connection to ${this.options.endpointUrl} lost`));
    client.on('reconnection_attempt_has_failed', (err: Error) => mine() && this.setState('reconnecting', describeOpcuaError(err)));
    client.on('connection_reestablished', () => mine() && this.setState('connected', undefined));
    client.on('after_reconnection', (err?: Error | null) => {
      if (mine() && err) this.setState('reconnecting', describeOpcuaError(err));
    });
    session.on('session_closed', () => {
      if (!mine()) return;
      // The server ended the session for good (not a reconnection): start over with a new client.
      this.setState('reconnecting', 'the server closed the session');
      void this.teardown().then(() => {
        if (!this.closed) void this.connect();
      });
    });
  }

  private async teardown(): Promise<void> {
    const client = this.client;
    const session = this.current;
    this.client = undefined;
    this.current = undefined;
    if (!client) return;
    client.removeAllListeners();
    try {
      if (session) await withTimeout(session.close(), 2000, () => 'session close timed out');
    } catch {
      // The server may already be gone; the client is dropped either way.
    }
    try {
      await withTimeout(client.disconnect(), 3000, () => 'disconnect timed out');
    } catch (err) {
      this.reasonNow ??= describeError(err);
    }
  }
}

export function userIdentity(auth: OpcuaEndpointOptions['auth']): UserIdentityInfo {
  if (auth.type === 'username') return { type: UserTokenType.UserName, userName: auth.username, password: auth.password };
  if (auth.type === 'certificate') {
    const certificate = fs.readFileSync(auth.certificateFile);
    const der = certificate.includes('-----BEGIN CERTIFICATE-----') ? new X509Certificate(certificate).raw : certificate;
    const privateKey = crypto_utils.makePrivateKeyFromPem(fs.readFileSync(auth.privateKeyFile, 'utf8'));
    if (!crypto_utils.certificateMatchesPrivateKey(der, privateKey)) {
      throw new PdmError('INVALID_CONFIG', `the private key ${auth.privateKeyFile} does not belong to the user certificate ${auth.certificateFile}`);
    }
    return { type: UserTokenType.Certificate, certificateData: der, keyOperations: crypto_utils.keyOperationsFromPrivateKey(privateKey) };
  }
  return { type: UserTokenType.Anonymous };
}

export function withTimeout<T>(work: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  // A late rejection of the abandoned work must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** What an opcua-endpoint config node offers the nodes that use it. */
export interface OpcuaEndpointHandle {
  /** Set when the configuration cannot be used; no connection is made then. */
  readonly configError: string | undefined;
  /** The shared connection, created on first use. */
  connection(): OpcuaConnection | undefined;
}
