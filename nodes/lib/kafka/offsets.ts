/**
 * At-least-once bookkeeping for a consumer: each partition's delivered offset ranges in order,
 * marked done as the flow finishes them; the offset to commit is the end of the longest run of
 * done ranges from the start, so a message still in the flow is never committed past.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface CommitOffset extends TopicPartition {
  /** The next offset to read: last done offset + 1, as Kafka commits it. */
  offset: string;
}

interface Range {
  readonly owner: PartitionState;
  readonly last: bigint;
  readonly count: number;
  done: boolean;
}

interface PartitionState {
  topic: string;
  partition: number;
  ranges: Range[];
  /** Index of the first range not yet done (ranges before it are dropped lazily). */
  head: number;
  /** Offset to commit next time, or undefined when nothing new is done. */
  pending: bigint | undefined;
  dropped: boolean;
}

/** A delivered range, handed back to done(). */
export type Delivery = Readonly<Range>;

const COMPACT_AT = 1024;

export class OffsetTracker {
  private readonly partitions = new Map<string, PartitionState>();
  private inFlightCount = 0;

  /** Messages delivered and not yet done. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Records that offsets first..last of a partition went into the flow as one unit of `count` messages. */
  deliver(topic: string, partition: number, last: string, count: number): Delivery {
    const key = keyOf(topic, partition);
    let state = this.partitions.get(key);
    if (state === undefined) {
      state = { topic, partition, ranges: [], head: 0, pending: undefined, dropped: false };
      this.partitions.set(key, state);
    }
    const range: Range = { owner: state, last: BigInt(last), count, done: false };
    state.ranges.push(range);
    this.inFlightCount += count;
    return range;
  }

  /** Marks a delivery done; a delivery of a partition dropped since (revoked) is ignored. */
  done(delivery: Delivery): void {
    const range = delivery as Range;
    if (range.done) return;
    range.done = true;
    const state = range.owner;
    if (state.dropped) return;
    this.inFlightCount -= range.count;
    let head = state.head;
    while (head < state.ranges.length && state.ranges[head].done) {
      state.pending = state.ranges[head].last + 1n;
      head++;
    }
    state.head = head;
    if (head >= COMPACT_AT || head === state.ranges.length) {
      state.ranges.splice(0, head);
      state.head = 0;
    }
  }

  /** Offsets that became committable since the last call. */
  takeCommits(): CommitOffset[] {
    const out: CommitOffset[] = [];
    for (const state of this.partitions.values()) {
      if (state.pending === undefined) continue;
      out.push({ topic: state.topic, partition: state.partition, offset: state.pending.toString() });
      state.pending = undefined;
    }
    return out;
  }

  /** Puts offsets back after a failed commit, unless a later one is already waiting. */
  restore(commits: readonly CommitOffset[]): void {
    for (const c of commits) {
      const state = this.partitions.get(keyOf(c.topic, c.partition));
      if (state !== undefined && state.pending === undefined) state.pending = BigInt(c.offset);
    }
  }

  /** Forgets partitions this consumer no longer owns; their late done() calls change nothing. */
  drop(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const key = keyOf(p.topic, p.partition);
      const state = this.partitions.get(key);
      if (state === undefined) continue;
      for (let i = state.head; i < state.ranges.length; i++) {
        if (!state.ranges[i].done) this.inFlightCount -= state.ranges[i].count;
      }
      state.dropped = true;
      this.partitions.delete(key);
    }
  }

  /** Partitions with something tracked. */
  tracked(): TopicPartition[] {
    return [...this.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
