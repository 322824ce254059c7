/**
 * A single-node Kafka broker for tests, speaking the part of the wire protocol that kafkajs uses
 * (ApiVersions, Metadata, CreateTopics, Produce, Fetch, ListOffsets, FindCoordinator, JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, InitProducerId, SASL PLAIN and
 * SCRAM), in plain TCP or TLS. It advertises one version of each API and closes the connection on
 * any request it does not implement, as Kafka does. A test fixture only: production uses Apache Kafka.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { Group, type GroupLimits } from './group';
import { Log } from './log';
import { ErrorCode, Reader, TruncatedRequest, Writer } from './protocol';
import { SaslServer, type SaslExchange, type SaslMechanismName } from './sasl';

export interface TestKafkaOptions {
  port?: number;
  /** Partitions of a topic created on first use or with -1 partitions. */
  partitions?: number;
  autoCreateTopics?: boolean;
  /** When set, clients must authenticate as this user with one of the mechanisms (default: all three). */
  sasl?: { username: string; password: string; mechanisms?: SaslMechanismName[] };
  /** When set, the broker speaks TLS with this key and certificate (PEM); with `ca`, clients must present a certificate it signed. */
  tls?: { key: string; cert: string; ca?: string };
  groups?: Partial<GroupLimits>;
}

export interface TestKafka {
  /** host:port, the form of a kafka-broker's broker list. */
  readonly address: string;
  readonly log: Log;
  /** Requests the broker refused to serve, as "ApiName vN": none is expected from kafkajs. */
  readonly unsupported: string[];
  /** SASL exchanges that ended, by outcome. */
  readonly authentications: { succeeded: number; failed: number };
  group(id: string): Group | undefined;
  /** Ends every client connection at once, as a broker restart would. */
  dropConnections(): void;
  close(): Promise<void>;
}

const Api = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, SaslHandshake: 17, ApiVersions: 18,
  CreateTopics: 19, InitProducerId: 22, SaslAuthenticate: 36,
} as const;

/** [min, max] version served per API key. */
const VERSIONS = new Map<number, [number, number]>([
  [Api.Produce, [3, 3]], [Api.Fetch, [4, 4]], [Api.ListOffsets, [1, 1]], [Api.Metadata, [1, 1]],
  [Api.OffsetCommit, [2, 2]], [Api.OffsetFetch, [1, 1]], [Api.FindCoordinator, [0, 0]], [Api.JoinGroup, [1, 1]],
  [Api.Heartbeat, [0, 0]], [Api.LeaveGroup, [0, 0]], [Api.SyncGroup, [0, 0]], [Api.SaslHandshake, [0, 1]],
  [Api.ApiVersions, [0, 2]], [Api.CreateTopics, [0, 0]], [Api.InitProducerId, [0, 0]], [Api.SaslAuthenticate, [0, 0]],
]);
const API_NAMES = new Map<number, string>(Object.entries(Api).map(([name, key]) => [key, name]));
const MAX_FRAME = 64 * 1024 * 1024;
const NODE_ID = 0;
const SESSION_CHECK_MS = 100;

interface Header {
  apiKey: number;
  version: number;
  correlationId: number;
  clientId: string;
}

class Connection {
  authenticated: boolean;
  sasl: SaslExchange | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  closed = false;

  constructor(readonly socket: net.Socket, private readonly broker: Broker) {
    this.authenticated = broker.sasl === undefined;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (size < 0 || size > MAX_FRAME) {
        this.socket.destroy();
        return;
      }
      if (this.pending.length < size + 4) return;
      const frame = this.pending.subarray(4, size + 4);
      this.pending = this.pending.subarray(size + 4);
      // One request at a time per connection, answered in order, as a Kafka broker does.
      this.queue = this.queue.then(() => this.serve(frame));
    }
  }

  private async serve(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const reader = new Reader(frame);
    let header: Header;
    try {
      header = { apiKey: reader.int16(), version: reader.int16(), correlationId: reader.int32(), clientId: reader.nullableString() ?? '' };
    } catch {
      this.socket.destroy();
      return;
    }
    try {
      const body = await this.broker.handle(this, header, reader);
      if (body === undefined) {
        this.socket.destroy();
        return;
      }
      if (body === null || this.closed) return;
      const out = new Writer().int32(header.correlationId);
      this.socket.write(out.raw(body.frame().subarray(4)).frame());
    } catch (err) {
      if (!(err instanceof TruncatedRequest)) throw err;
      this.broker.unsupported.push(`${API_NAMES.get(header.apiKey) ?? header.apiKey} v${header.version} (malformed)`);
      this.socket.destroy();
    }
  }
}

/** A handler's answer: a body, null for no response (acks=0), undefined to close the connection. */
type Answer = Writer | null | undefined;

class Broker implements TestKafka {
  readonly log: Log;
  readonly unsupported: string[] = [];
  readonly authentications = { succeeded: 0, failed: 0 };
  readonly sasl: SaslServer | undefined;
  private readonly groups = new Map<string, Group>();
  private readonly connections = new Set<Connection>();
  private readonly sessionTimer: NodeJS.Timeout;
  private readonly limits: GroupLimits;
  private closing = false;
  host = '127.0.0.1';
  port = 0;

  constructor(readonly options: TestKafkaOptions, private readonly server: net.Server) {
    this.log = new Log(options.partitions ?? 4);
    this.sasl = options.sasl ? new SaslServer(options.sasl, options.sasl.mechanisms) : undefined;
    this.limits = { minSessionTimeout: 1000, maxSessionTimeout: 300_000, initialRebalanceDelay: 0, ...options.groups };
    this.sessionTimer = setInterval(() => {
      for (const g of this.groups.values()) g.expireSessions();
    }, SESSION_CHECK_MS);
    this.sessionTimer.unref();
    server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      const connection = new Connection(socket, this);
      this.connections.add(connection);
      socket.on('close', () => this.connections.delete(connection));
    });
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  group(id: string): Group | undefined {
    return this.groups.get(id);
  }

  dropConnections(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sessionTimer);
    for (const g of this.groups.values()) g.close();
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async handle(conn: Connection, h: Header, r: Reader): Promise<Answer> {
    const range = VERSIONS.get(h.apiKey);
    if (range === undefined || h.version < range[0] || h.version > range[1]) {
      this.unsupported.push(`${API_NAMES.get(h.apiKey) ?? `api ${h.apiKey}`} v${h.version}`);
      // ApiVersions answers an unknown version with a v0 body so the client can retry lower.
      return h.apiKey === Api.ApiVersions ? this.apiVersions(ErrorCode.UNSUPPORTED_VERSION, 0) : undefined;
    }
    if (!conn.authenticated && h.apiKey !== Api.ApiVersions && h.apiKey !== Api.SaslHandshake && h.apiKey !== Api.SaslAuthenticate) {
      this.unsupported.push(`${API_NAMES.get(h.apiKey)} before authentication`);
      return undefined;
    }
    switch (h.apiKey) {
      case Api.ApiVersions: return this.apiVersions(ErrorCode.NONE, h.version);
      case Api.SaslHandshake: return this.saslHandshake(conn, r);
      case Api.SaslAuthenticate: return this.saslAuthenticate(conn, r);
      case Api.Metadata: return this.metadata(r);
      case Api.CreateTopics: return this.createTopics(r);
      case Api.InitProducerId: return this.initProducerId(r);
      case Api.Produce: return this.produce(r);
      case Api.Fetch: return this.fetch(r, conn);
      case Api.ListOffsets: return this.listOffsets(r);
      case Api.FindCoordinator:
        r.string();
        return new Writer().int16(ErrorCode.NONE).int32(NODE_ID).string(this.host).int32(this.port);
      case Api.JoinGroup: return this.joinGroup(r, h.clientId);
      case Api.SyncGroup: return this.syncGroup(r);
      case Api.Heartbeat: {
        const group = this.groups.get(r.string());
        const generation = r.int32();
        const memberId = r.string();
        return new Writer().int16(group ? group.heartbeat(memberId, generation) : ErrorCode.UNKNOWN_MEMBER_ID);
      }
      case Api.LeaveGroup: {
        const group = this.groups.get(r.string());
        const memberId = r.string();
        return new Writer().int16(group ? group.leave(memberId) : ErrorCode.UNKNOWN_MEMBER_ID);
      }
      case Api.OffsetCommit: return this.offsetCommit(r);
      case Api.OffsetFetch: return this.offsetFetch(r);
      default: return undefined;
    }
  }

  private apiVersions(error: number, version: number): Writer {
    const w = new Writer().int16(error).array([...VERSIONS], (w, [key, [min, max]]) => w.int16(key).int16(min).int16(max));
    return version >= 1 ? w.int32(0) : w;
  }

  private saslHandshake(conn: Connection, r: Reader): Answer {
    const mechanism = r.string();
    if (conn.authenticated) return undefined;
    conn.sasl = this.sasl?.start(mechanism);
    return new Writer().int16(conn.sasl ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM).array(this.sasl?.mechanisms ?? [], (w, m) => w.string(m));
  }

  private saslAuthenticate(conn: Connection, r: Reader): Answer {
    const token = r.bytes();
    if (conn.sasl === undefined || conn.authenticated) {
      return new Writer().int16(ErrorCode.ILLEGAL_SASL_STATE).string('no SASL handshake on this connection').bytes(Buffer.alloc(0));
    }
    const step = conn.sasl.step(token);
    if ('failed' in step) {
      // As Kafka does: say so, then close the connection.
      this.authentications.failed++;
      conn.sasl = undefined;
      setImmediate(() => conn.socket.destroy());
      return new Writer().int16(ErrorCode.SASL_AUTHENTICATION_FAILED).string(step.failed).bytes(Buffer.alloc(0));
    }
    if (step.done) {
      this.authentications.succeeded++;
      conn.authenticated = true;
      conn.sasl = undefined;
    }
    return new Writer().int16(ErrorCode.NONE).string(null).bytes(step.token);
  }

  private metadata(r: Reader): Writer {
    const requested = r.nullableArray((x) => x.string());
    const names = requested ?? [...this.log.topics.keys()];
    if (requested !== null && (this.options.autoCreateTopics ?? true)) {
      for (const name of requested) if (!this.log.topics.has(name)) this.log.create(name, -1);
    }
    return new Writer()
      .array([NODE_ID], (w, id) => w.int32(id).string(this.host).int32(this.port).string(null))
      .int32(NODE_ID)
      .array(names, (w, name) => {
        const partitions = this.log.topics.get(name);
        const error = partitions ? ErrorCode.NONE : Log.validName(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
        w.int16(error).string(name).bool(false).array(partitions ? partitions.map((_, i) => i) : [], (w, i) =>
          w.int16(ErrorCode.NONE).int32(i).int32(NODE_ID).array([NODE_ID], (w, n) => w.int32(n)).array([NODE_ID], (w, n) => w.int32(n)));
      });
  }

  private createTopics(r: Reader): Writer {
    const topics = r.array((x) => {
      const name = x.string();
      const partitions = x.int32();
      x.int16();
      x.array((y) => [y.int32(), y.array((z) => z.int32())]);
      x.array((y) => [y.string(), y.nullableString()]);
      return { name, partitions };
    });
    r.int32();
    return new Writer().array(topics, (w, t) => w.string(t.name).int16(this.log.create(t.name, t.partitions)));
  }

  private initProducerId(r: Reader): Writer {
    const transactionalId = r.nullableString();
    r.int32();
    if (transactionalId !== null) {
      // Transactions are not implemented: refuse rather than pretend.
      return new Writer().int32(0).int16(ErrorCode.INVALID_REQUEST).int64(-1).int16(-1);
    }
    const { producerId, epoch } = this.log.producers.allocate();
    return new Writer().int32(0).int16(ErrorCode.NONE).int64(producerId).int16(epoch);
  }

  private produce(r: Reader): Answer {
    const transactionalId = r.nullableString();
    const acks = r.int16();
    r.int32();
    const topics = r.array((x) => ({
      name: x.string(),
      partitions: x.array((y) => ({ index: y.int32(), records: y.nullableBytes() })),
    }));
    const answer = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (transactionalId !== null) return { index: p.index, error: ErrorCode.INVALID_REQUEST, offset: -1 };
        if (acks !== 0 && acks !== 1 && acks !== -1) return { index: p.index, error: ErrorCode.INVALID_REQUIRED_ACKS, offset: -1 };
        const partition = this.log.partition(t.name, p.index);
        if (partition === undefined) return { index: p.index, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1 };
        if (p.records === null) return { index: p.index, error: ErrorCode.CORRUPT_MESSAGE, offset: -1 };
        const { error, baseOffset } = partition.append(p.records, this.log.producers);
        return { index: p.index, error, offset: baseOffset };
      }),
    }));
    if (acks === 0) return null;
    return new Writer()
      .array(answer, (w, t) => w.string(t.name).array(t.partitions, (w, p) => w.int32(p.index).int16(p.error).int64(p.offset).int64(-1)))
      .int32(0);
  }

  private async fetch(r: Reader, conn: Connection): Promise<Writer> {
    r.int32();
    const maxWait = r.int32();
    const minBytes = r.int32();
    const maxBytes = r.int32();
    r.int8();
    const topics = r.array((x) => ({
      name: x.string(),
      partitions: x.array((y) => ({ index: y.int32(), offset: y.int64(), maxBytes: y.int32() })),
    }));
    let answer = this.collect(topics, maxBytes);
    if (answer.bytes < Math.max(1, minBytes) && maxWait > 0 && !this.closing) {
      await new Promise<void>((resolve) => {
        const cancels: Array<() => void> = [];
        const finish = (): void => {
          clearTimeout(timer);
          conn.socket.off('close', finish);
          for (const cancel of cancels) cancel();
          resolve();
        };
        const timer = setTimeout(finish, maxWait);
        conn.socket.once('close', finish);
        for (const t of topics) for (const p of t.partitions) {
          const partition = this.log.partition(t.name, p.index);
          if (partition) cancels.push(partition.onAppend(finish));
        }
      });
      answer = this.collect(topics, maxBytes);
    }
    return new Writer().int32(0).array(answer.topics, (w, t) =>
      w.string(t.name).array(t.partitions, (w, p) => {
        w.int32(p.index).int16(p.error).int64(p.highWatermark).int64(p.highWatermark).array([], () => undefined);
        w.int32(p.size);
        for (const b of p.batches) w.raw(b);
      }));
  }

  private collect(topics: Array<{ name: string; partitions: Array<{ index: number; offset: number; maxBytes: number }> }>, maxBytes: number) {
    let budget = maxBytes;
    let bytes = 0;
    const out = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const partition = this.log.partition(t.name, p.index);
        const none = { index: p.index, highWatermark: -1, batches: [] as Buffer[], size: 0 };
        if (partition === undefined) return { ...none, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (p.offset < 0 || p.offset > partition.next) return { ...none, error: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: partition.next };
        const batches = budget > 0 ? partition.read(p.offset, Math.min(p.maxBytes, budget)) : [];
        const size = batches.reduce((n, b) => n + b.length, 0);
        budget -= size;
        bytes += size;
        return { index: p.index, error: ErrorCode.NONE, highWatermark: partition.next, batches, size };
      }),
    }));
    return { topics: out, bytes };
  }

  private listOffsets(r: Reader): Writer {
    r.int32();
    const topics = r.array((x) => ({ name: x.string(), partitions: x.array((y) => ({ index: y.int32(), timestamp: y.int64() })) }));
    return new Writer().array(topics, (w, t) => w.string(t.name).array(t.partitions, (w, p) => {
      const partition = this.log.partition(t.name, p.index);
      if (partition === undefined) w.int32(p.index).int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
      else w.int32(p.index).int16(ErrorCode.NONE).int64(-1).int64(partition.offsetFor(p.timestamp));
    }));
  }

  private groupFor(id: string): Group {
    let group = this.groups.get(id);
    if (group === undefined) {
      group = new Group(id, this.limits);
      this.groups.set(id, group);
    }
    return group;
  }

  private joinGroup(r: Reader, clientId: string): Promise<Writer> {
    const groupId = r.string();
    const sessionTimeout = r.int32();
    const rebalanceTimeout = r.int32();
    const memberId = r.string();
    const protocolType = r.string();
    const protocols = r.array((x) => ({ name: x.string(), metadata: x.bytes() }));
    return new Promise((resolve) => {
      this.groupFor(groupId).join({ memberId, clientId, sessionTimeout, rebalanceTimeout, protocolType, protocols }, (j) =>
        resolve(new Writer().int16(j.error).int32(j.generation).string(j.protocol).string(j.leader).string(j.memberId)
          .array(j.members, (w, m) => w.string(m.memberId).bytes(m.metadata))));
    });
  }

  private syncGroup(r: Reader): Promise<Writer> {
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    const assignments = r.array((x) => ({ memberId: x.string(), assignment: x.bytes() }));
    const group = this.groups.get(groupId);
    if (group === undefined) return Promise.resolve(new Writer().int16(ErrorCode.UNKNOWN_MEMBER_ID).bytes(Buffer.alloc(0)));
    return new Promise((resolve) => group.sync(memberId, generation, assignments, (s) => resolve(new Writer().int16(s.error).bytes(s.assignment))));
  }

  private offsetCommit(r: Reader): Writer {
    const group = this.groupFor(r.string());
    const generation = r.int32();
    const memberId = r.string();
    r.int64();
    const topics = r.array((x) => ({ name: x.string(), partitions: x.array((y) => ({ index: y.int32(), offset: y.int64(), metadata: y.nullableString() })) }));
    const entries = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.index, offset: p.offset })));
    const error = group.commit(memberId, generation, entries);
    return new Writer().array(topics, (w, t) => w.string(t.name).array(t.partitions, (w, p) => {
      const known = this.log.partition(t.name, p.index) !== undefined;
      w.int32(p.index).int16(error !== ErrorCode.NONE ? error : known ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }));
  }

  private offsetFetch(r: Reader): Writer {
    const group = this.groups.get(r.string());
    const topics = r.array((x) => ({ name: x.string(), partitions: x.array((y) => y.int32()) }));
    return new Writer().array(topics, (w, t) => w.string(t.name).array(t.partitions, (w, p) =>
      w.int32(p).int64(group ? group.committed(t.name, p) : -1).string('').int16(ErrorCode.NONE)));
  }
}

/** Starts a test broker on 127.0.0.1 (a free port unless one is given). */
export async function startTestKafka(options: TestKafkaOptions = {}): Promise<TestKafka> {
  const server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: options.tls.ca !== undefined, rejectUnauthorized: options.tls.ca !== undefined })
    : net.createServer();
  const broker = new Broker(options, server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  broker.port = (server.address() as AddressInfo).port;
  return broker;
}
