/**
 * Kafka wire primitives for the test broker: a reader and a writer for the fixed-size (non
 * "flexible") encodings, the error codes it answers with, and CRC-32C for record batches.
 */

export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
} as const;

/** Thrown while decoding a request that is shorter than its own fields say. */
export class TruncatedRequest extends Error {}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    if (this.pos + n > this.buf.length) throw new TruncatedRequest(`request ends ${this.pos + n - this.buf.length} bytes early`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  /** int64 as a number: offsets, timestamps and producer ids stay far below 2^53 here. */
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.need(8)));
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const at = this.need(length);
    return this.buf.toString('utf8', at, at + length);
  }

  string(): string {
    const value = this.nullableString();
    if (value === null) throw new TruncatedRequest('a required string is null');
    return value;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length < 0) return null;
    const at = this.need(length);
    return this.buf.subarray(at, at + length);
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const length = this.int32();
    if (length < 0) return null;
    if (length > this.remaining) throw new TruncatedRequest(`array of ${length} items in ${this.remaining} bytes`);
    const out: T[] = [];
    for (let i = 0; i < length; i++) out.push(item(this));
    return out;
  }

  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }
}

export class Writer {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private fixed(n: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(n);
    write(b);
    this.chunks.push(b);
    this.size += n;
    return this;
  }

  int8(v: number): this {
    return this.fixed(1, (b) => b.writeInt8(v));
  }

  int16(v: number): this {
    return this.fixed(2, (b) => b.writeInt16BE(v));
  }

  int32(v: number): this {
    return this.fixed(4, (b) => b.writeInt32BE(v));
  }

  int64(v: number): this {
    return this.fixed(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const b = Buffer.from(v, 'utf8');
    this.int16(b.length);
    return this.raw(b);
  }

  bytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }

  /** Bytes written as they are, without a length (record batches inside a records field). */
  raw(b: Buffer): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  array<T>(items: readonly T[] | null, write: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  get length(): number {
    return this.size;
  }

  /** The frame: a 4-byte size, then everything written. */
  frame(): Buffer {
    const head = Buffer.alloc(4);
    head.writeInt32BE(this.size);
    return Buffer.concat([head, ...this.chunks], this.size + 4);
  }
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum of a v2 record batch. */
export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC32C_TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
