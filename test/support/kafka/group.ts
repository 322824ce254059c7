/**
 * The group coordinator of the test broker: the classic consumer group protocol (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup) with Kafka's states (Empty, PreparingRebalance,
 * CompletingRebalance, Stable), session and rebalance timeouts, and committed offsets.
 */
import { ErrorCode } from './protocol';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  memberId: string;
  clientId: string;
  sessionTimeout: number;
  rebalanceTimeout: number;
  protocolType: string;
  protocols: Protocol[];
}

export interface JoinResult {
  error: number;
  generation: number;
  protocol: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

type State = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

interface Member {
  id: string;
  sessionTimeout: number;
  rebalanceTimeout: number;
  protocols: Protocol[];
  lastSeen: number;
  assignment: Buffer;
  joining?: (result: JoinResult) => void;
  syncing?: (result: { error: number; assignment: Buffer }) => void;
}

export interface GroupLimits {
  minSessionTimeout: number;
  maxSessionTimeout: number;
  /** How long a group that was empty waits for more members before its first generation. */
  initialRebalanceDelay: number;
}

const EMPTY = Buffer.alloc(0);

export class Group {
  state: State = 'Empty';
  generation = 0;
  private protocolType = '';
  private protocol = '';
  private leader = '';
  private readonly members = new Map<string, Member>();
  private readonly offsets = new Map<string, number>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private delayPassed = true;
  private nextMember = 1;

  constructor(
    readonly id: string,
    private readonly limits: GroupLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get memberCount(): number {
    return this.members.size;
  }

  join(req: JoinRequest, reply: (result: JoinResult) => void): void {
    const fail = (error: number): void => reply({ error, generation: -1, protocol: '', leader: '', memberId: req.memberId, members: [] });
    if (req.sessionTimeout < this.limits.minSessionTimeout || req.sessionTimeout > this.limits.maxSessionTimeout) {
      fail(ErrorCode.INVALID_SESSION_TIMEOUT);
      return;
    }
    if (req.memberId !== '' && !this.members.has(req.memberId)) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID);
      return;
    }
    const incompatible = this.members.size > 0 && (req.protocolType !== this.protocolType || !this.sharesProtocol(req.protocols));
    if (req.protocols.length === 0 || incompatible) {
      fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      return;
    }
    if (this.members.size === 0) this.protocolType = req.protocolType;
    const memberId = req.memberId || `${req.clientId}-${this.nextMember++}`;
    const member: Member = this.members.get(memberId) ?? { id: memberId, sessionTimeout: 0, rebalanceTimeout: 0, protocols: [], lastSeen: 0, assignment: EMPTY };
    Object.assign(member, { sessionTimeout: req.sessionTimeout, rebalanceTimeout: req.rebalanceTimeout, protocols: req.protocols, lastSeen: this.now() });
    member.joining?.({ error: ErrorCode.UNKNOWN_MEMBER_ID, generation: -1, protocol: '', leader: '', memberId, members: [] });
    member.joining = reply;
    this.members.set(memberId, member);
    if (this.state !== 'PreparingRebalance') this.prepareRebalance();
    this.maybeCompleteJoin();
  }

  sync(memberId: string, generation: number, assignments: Array<{ memberId: string; assignment: Buffer }>,
    reply: (result: { error: number; assignment: Buffer }) => void): void {
    const member = this.members.get(memberId);
    if (member === undefined) return reply({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (generation !== this.generation) return reply({ error: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY });
    if (this.state === 'PreparingRebalance') return reply({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    member.lastSeen = this.now();
    if (this.state === 'Stable') return reply({ error: ErrorCode.NONE, assignment: member.assignment });
    member.syncing = reply;
    if (memberId !== this.leader) return;
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    this.state = 'Stable';
    for (const m of this.members.values()) {
      m.assignment = given.get(m.id) ?? EMPTY;
      const waiting = m.syncing;
      m.syncing = undefined;
      waiting?.({ error: ErrorCode.NONE, assignment: m.assignment });
    }
  }

  heartbeat(memberId: string, generation: number): number {
    const member = this.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    member.lastSeen = this.now();
    return this.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(memberId: string): number {
    if (!this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.remove(memberId);
    return ErrorCode.NONE;
  }

  /** Removes members whose session ran out (no heartbeat), which starts a rebalance. */
  expireSessions(): void {
    const now = this.now();
    for (const member of [...this.members.values()]) {
      if (member.joining === undefined && now - member.lastSeen > member.sessionTimeout) this.remove(member.id);
    }
  }

  /** OffsetCommit: a simple commit (generation -1, no member) or one from the current generation. */
  commit(memberId: string, generation: number, entries: Array<{ topic: string; partition: number; offset: number }>): number {
    if (generation !== -1 || memberId !== '') {
      const member = this.members.get(memberId);
      if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generation !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
      if (this.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      member.lastSeen = this.now();
    }
    for (const e of entries) this.offsets.set(`${e.topic}\u0000${e.partition}`, e.offset);
    return ErrorCode.NONE;
  }

  committed(topic: string, partition: number): number {
    return this.offsets.get(`${topic}\u0000${partition}`) ?? -1;
  }

  close(): void {
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = undefined;
  }

  private sharesProtocol(protocols: readonly Protocol[]): boolean {
    return protocols.some((p) => [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member === undefined) return;
    this.members.delete(memberId);
    member.joining?.({ error: ErrorCode.UNKNOWN_MEMBER_ID, generation: -1, protocol: '', leader: '', memberId, members: [] });
    member.syncing?.({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (this.members.size === 0) {
      this.close();
      this.state = 'Empty';
      this.generation++;
      return;
    }
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin();
    else this.prepareRebalance();
  }

  private prepareRebalance(): void {
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    for (const m of this.members.values()) {
      const waiting = m.syncing;
      m.syncing = undefined;
      waiting?.({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    }
    this.close();
    const timeout = wasEmpty && this.limits.initialRebalanceDelay > 0
      ? this.limits.initialRebalanceDelay
      : Math.max(...[...this.members.values()].map((m) => m.rebalanceTimeout));
    this.delayPassed = !wasEmpty || this.limits.initialRebalanceDelay <= 0;
    this.rebalanceTimer = setTimeout(() => this.rebalanceTimedOut(), timeout);
    this.rebalanceTimer.unref();
  }

  private rebalanceTimedOut(): void {
    this.rebalanceTimer = undefined;
    if (!this.delayPassed) {
      this.delayPassed = true;
      this.maybeCompleteJoin();
      if (this.state === 'PreparingRebalance' && this.rebalanceTimer === undefined) {
        this.rebalanceTimer = setTimeout(() => this.rebalanceTimedOut(), Math.max(...[...this.members.values()].map((m) => m.rebalanceTimeout)));
        this.rebalanceTimer.unref();
      }
      return;
    }
    for (const m of [...this.members.values()]) if (m.joining === undefined) this.members.delete(m.id);
    this.completeJoin();
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || !this.delayPassed) return;
    for (const m of this.members.values()) if (m.joining === undefined) return;
    this.completeJoin();
  }

  private completeJoin(): void {
    this.close();
    this.generation++;
    const members = [...this.members.values()];
    if (members.length === 0) {
      this.state = 'Empty';
      return;
    }
    if (!this.members.has(this.leader)) this.leader = members[0].id;
    const leader = this.members.get(this.leader) as Member;
    this.protocol = leader.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))?.name ?? '';
    this.state = 'CompletingRebalance';
    const metadataOf = (m: Member): Buffer => m.protocols.find((p) => p.name === this.protocol)?.metadata ?? EMPTY;
    const all = members.map((m) => ({ memberId: m.id, metadata: metadataOf(m) }));
    for (const m of members) {
      const reply = m.joining as (result: JoinResult) => void;
      m.joining = undefined;
      m.lastSeen = this.now();
      reply({ error: ErrorCode.NONE, generation: this.generation, protocol: this.protocol, leader: this.leader, memberId: m.id, members: m.id === this.leader ? all : [] });
    }
  }
}
