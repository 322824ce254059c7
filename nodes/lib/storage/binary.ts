import type { Batch, Cell } from './batch';
import { TABLES, type ColumnType } from './tables';

/**
 * Batches in PostgreSQL's binary formats: rows for COPY, and one array parameter per column for
 * INSERT … unnest. Binary spares the server every text-to-value conversion: timestamps go as
 * microseconds, numbers as IEEE doubles, text as its UTF-8 bytes.
 */
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags field and header extension length. */
const COPY_HEADER_BYTES = COPY_SIGNATURE.length + 8;
/** Dimensions, null flag, element type, length and lower bound of a one-dimensional array. */
const ARRAY_HEADER_BYTES = 20;
const PG_EPOCH_S = Date.UTC(2000, 0, 1) / 1000;
const TWO_32 = 2 ** 32;
const JSONB_VERSION = 1;
/** A UTF-16 code unit never takes more than 3 bytes in UTF-8. */
const MAX_UTF8_PER_UNIT = 3;
/** Strings up to this length are encoded by hand, as a call into Buffer.write costs more. */
const SHORT_TEXT = 32;

/** Bytes of a non-null value of the fixed-size types. */
const FIXED_BYTES: Partial<Record<ColumnType, number>> = { ts: 8, float8: 8, int4: 4 };

/** Element type of each column type's array parameter; JSON travels as text, cast by the statement. */
export const ARRAY_ELEMENT: Record<ColumnType, { oid: number; sql: string }> = {
  ts: { oid: 1184, sql: 'timestamptz' },
  text: { oid: 25, sql: 'text' },
  float8: { oid: 701, sql: 'float8' },
  int4: { oid: 23, sql: 'int4' },
  json: { oid: 25, sql: 'text' },
};

/**
 * Epoch milliseconds as PostgreSQL timestamp microseconds, computed exactly as
 * `to_timestamp(ms / 1000.0)` does (seconds, less the 2000 epoch, times 10^6, rounded half to
 * even), so rows written by earlier versions keep their keys and a replay still meets them.
 */
export function pgMicros(epochMs: number): number {
  return roundHalfEven((epochMs / 1000 - PG_EPOCH_S) * 1e6);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return fraction < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** An upper bound of the bytes `writeValue` needs for one column's values. */
function valuesBound(column: readonly Cell[], type: ColumnType, count: number): number {
  const fixed = FIXED_BYTES[type];
  let bytes = count * 4;
  if (fixed !== undefined) return bytes + count * fixed;
  for (let i = 0; i < count; i++) {
    const value = column[i];
    if (typeof value === 'string') bytes += 1 + value.length * MAX_UTF8_PER_UNIT;
  }
  return bytes;
}

/** Writes a string's UTF-8 bytes after a 4-byte length (and an optional leading byte). */
function writeText(buf: Buffer, offset: number, text: string, lead: number | undefined): number {
  const start = offset + 4;
  const body = lead === undefined ? start : start + 1;
  if (lead !== undefined) buf[start] = lead;
  let at = body;
  let ascii = text.length <= SHORT_TEXT;
  for (let i = 0; ascii && i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) ascii = false;
    else buf[at++] = code;
  }
  if (!ascii) at = body + buf.write(text, body, 'utf8');
  buf.writeInt32BE(at - start, offset);
  return at;
}

/** Writes one value, length first (-1 for NULL); returns the offset after it. */
function writeValue(buf: Buffer, at: number, type: ColumnType, value: Cell, inCopy: boolean): number {
  if (value === null) {
    buf.writeInt32BE(-1, at);
    return at + 4;
  }
  switch (type) {
    case 'ts': {
      const micros = pgMicros(value as number);
      const high = Math.floor(micros / TWO_32);
      buf.writeInt32BE(8, at);
      buf.writeInt32BE(high, at + 4);
      buf.writeUInt32BE(micros - high * TWO_32, at + 8);
      return at + 12;
    }
    case 'float8':
      buf.writeInt32BE(8, at);
      buf.writeDoubleBE(value as number, at + 4);
      return at + 12;
    case 'int4':
      buf.writeInt32BE(4, at);
      buf.writeInt32BE(value as number, at + 4);
      return at + 8;
    case 'text':
      return writeText(buf, at, value as string, undefined);
    case 'json':
      // COPY fills the jsonb column itself (binary jsonb leads with its version); arrays carry text.
      return writeText(buf, at, value as string, inCopy ? JSONB_VERSION : undefined);
  }
}

/** The batch's rows in binary COPY format, in the given row order (every row once). */
export function encodeCopyRows(batch: Batch, order: ArrayLike<number>): Buffer {
  const columns = TABLES[batch.table].columns;
  let size = COPY_HEADER_BYTES + 2 + order.length * 2;
  columns.forEach((column, c) => {
    size += valuesBound(batch.columns[c], column.type, batch.rows);
  });
  const buf = Buffer.allocUnsafe(size);
  COPY_SIGNATURE.copy(buf, 0);
  buf.writeInt32BE(0, COPY_SIGNATURE.length);
  buf.writeInt32BE(0, COPY_SIGNATURE.length + 4);
  let at = COPY_HEADER_BYTES;
  for (let r = 0; r < order.length; r++) {
    const row = order[r];
    buf.writeInt16BE(columns.length, at);
    at += 2;
    for (let c = 0; c < columns.length; c++) at = writeValue(buf, at, columns[c].type, batch.columns[c][row], true);
  }
  buf.writeInt16BE(-1, at);
  return buf.subarray(0, at + 2);
}

/** One column as a binary one-dimensional array of ARRAY_ELEMENT[type], in the given row order. */
export function encodeArray(column: readonly Cell[], type: ColumnType, order: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(ARRAY_HEADER_BYTES + valuesBound(column, type, column.length));
  let at = ARRAY_HEADER_BYTES;
  let hasNull = 0;
  for (let r = 0; r < order.length; r++) {
    const value = column[order[r]];
    if (value === null) hasNull = 1;
    at = writeValue(buf, at, type, value, false);
  }
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNull, 4);
  buf.writeInt32BE(ARRAY_ELEMENT[type].oid, 8);
  buf.writeInt32BE(order.length, 12);
  buf.writeInt32BE(1, 16);
  return buf.subarray(0, at);
}
