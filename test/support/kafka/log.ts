/**
 * The test broker's storage: topics of partitions, each an in-memory list of v2 record batches
 * kept as the producer sent them (the broker only rewrites the base offset, which the CRC does
 * not cover), with the producer-id / sequence checks of an idempotent producer.
 */
import { crc32c, ErrorCode } from './protocol';

const BATCH_HEADER = 61;
const MAGIC_V2 = 2;
const CODEC_MASK = 0x07;
const SUPPORTED_CODECS = new Set([0 /* none */, 1 /* gzip */]);
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

interface StoredBatch {
  base: number;
  last: number;
  maxTimestamp: number;
  bytes: Buffer;
}

interface SequenceState {
  epoch: number;
  lastBaseSequence: number;
  nextSequence: number;
  lastBaseOffset: number;
}

export class Partition {
  readonly batches: StoredBatch[] = [];
  next = 0;
  private readonly sequences = new Map<number, SequenceState>();
  private readonly waiters = new Set<() => void>();

  /** Calls `wake` once on the next append; returns a function that cancels it. */
  onAppend(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  append(batch: Buffer, producers: ProducerRegistry): { error: number; baseOffset: number } {
    const header = parseBatch(batch);
    if (typeof header === 'number') return { error: header, baseOffset: -1 };
    if (header.producerId >= 0) {
      const epoch = producers.epochOf(header.producerId);
      if (epoch === undefined) return { error: ErrorCode.UNKNOWN_PRODUCER_ID, baseOffset: -1 };
      if (header.producerEpoch !== epoch) return { error: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 };
      const state = this.sequences.get(header.producerId);
      if (state !== undefined && state.epoch === epoch && header.baseSequence === state.lastBaseSequence) {
        return { error: ErrorCode.NONE, baseOffset: state.lastBaseOffset };
      }
      const expected = state === undefined || state.epoch !== epoch ? 0 : state.nextSequence;
      if (header.baseSequence !== expected) return { error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 };
      this.sequences.set(header.producerId, {
        epoch,
        lastBaseSequence: header.baseSequence,
        nextSequence: header.baseSequence + header.count,
        lastBaseOffset: this.next,
      });
    }
    const bytes = Buffer.from(batch);
    bytes.writeBigInt64BE(BigInt(this.next), 0);
    const base = this.next;
    this.batches.push({ base, last: base + header.count - 1, maxTimestamp: header.maxTimestamp, bytes });
    this.next += header.count;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
    return { error: ErrorCode.NONE, baseOffset: base };
  }

  /** Whole batches holding `offset` and later, at least one, then up to `maxBytes`. */
  read(offset: number, maxBytes: number): Buffer[] {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid].last < offset) lo = mid + 1;
      else hi = mid;
    }
    const out: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < this.batches.length; i++) {
      const bytes = this.batches[i].bytes;
      if (out.length > 0 && size + bytes.length > maxBytes) break;
      out.push(bytes);
      size += bytes.length;
    }
    return out;
  }

  /** ListOffsets: -2 earliest, -1 latest, else the first offset of a batch with a timestamp ≥ ts. */
  offsetFor(timestamp: number): number {
    if (timestamp === -2) return 0;
    if (timestamp === -1) return this.next;
    const found = this.batches.find((b) => b.maxTimestamp >= timestamp);
    return found === undefined ? this.next : found.base;
  }
}

export class ProducerRegistry {
  private nextId = 1000;
  private readonly epochs = new Map<number, number>();

  /** InitProducerId without a transactional id: a fresh producer id at epoch 0. */
  allocate(): { producerId: number; epoch: number } {
    const producerId = this.nextId++;
    this.epochs.set(producerId, 0);
    return { producerId, epoch: 0 };
  }

  epochOf(producerId: number): number | undefined {
    return this.epochs.get(producerId);
  }
}

export class Log {
  readonly topics = new Map<string, Partition[]>();
  readonly producers = new ProducerRegistry();

  constructor(private readonly defaultPartitions: number) {}

  static validName(name: string): boolean {
    return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
  }

  create(name: string, partitions: number): number {
    if (!Log.validName(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
    if (this.topics.has(name)) return ErrorCode.TOPIC_ALREADY_EXISTS;
    const count = partitions === -1 ? this.defaultPartitions : partitions;
    if (!Number.isInteger(count) || count < 1 || count > 10_000) return ErrorCode.INVALID_PARTITIONS;
    this.topics.set(name, Array.from({ length: count }, () => new Partition()));
    return ErrorCode.NONE;
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.[index];
  }
}

interface BatchHeader {
  count: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/** The checks a broker makes on a produced v2 batch; a Kafka error code when it fails one. */
function parseBatch(batch: Buffer): BatchHeader | number {
  if (batch.length < BATCH_HEADER) return ErrorCode.CORRUPT_MESSAGE;
  // Exactly one batch per partition from Produce v3 on: its length must be the whole field.
  if (batch.readInt32BE(8) + 12 !== batch.length) return ErrorCode.INVALID_REQUEST;
  if (batch.readInt8(16) !== MAGIC_V2) return ErrorCode.UNSUPPORTED_VERSION;
  if (batch.readUInt32BE(17) !== crc32c(batch, 21)) return ErrorCode.CORRUPT_MESSAGE;
  const attributes = batch.readInt16BE(21);
  if (!SUPPORTED_CODECS.has(attributes & CODEC_MASK)) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if ((attributes & (TRANSACTIONAL_FLAG | CONTROL_FLAG)) !== 0) return ErrorCode.INVALID_REQUEST;
  const lastOffsetDelta = batch.readInt32BE(23);
  const count = batch.readInt32BE(57);
  if (count < 1 || lastOffsetDelta !== count - 1) return ErrorCode.CORRUPT_MESSAGE;
  return {
    count,
    maxTimestamp: Number(batch.readBigInt64BE(35)),
    producerId: Number(batch.readBigInt64BE(43)),
    producerEpoch: batch.readInt16BE(51),
    baseSequence: batch.readInt32BE(53),
  };
}

