/**
 * Modbus register blocks → canonical readings. A register map names each sensor and says where
 * its value sits in the block and how to decode it. `register` is the index into the block, i.e.
 * the offset from the request's start address (register 0 = the first register read).
 */
import { PdmError, rejection, type Rejection } from '../errors';
import { isRecord, type Reading } from '../reading';

export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
/** Word order of 32-bit values: 'big' = the first register holds the high word. */
export type WordOrder = 'big' | 'little';
/** Byte order within one register: 'big' as Modbus sends it, 'little' = the two bytes swapped. */
export type ByteOrder = 'big' | 'little';

export const REGISTER_TYPES: readonly RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32'];
const ORDERS: readonly string[] = ['big', 'little'];
const ENTRY_FIELDS: readonly string[] = ['register', 'type', 'scale', 'offset', 'unit', 'asset', 'wordOrder', 'byteOrder', 'timestamp'];
/** Units of a timestamp entry: the decoded value (after scale and offset) counts these since the Unix epoch. */
export type TimestampUnit = 's' | 'ms';
const TIMESTAMP_UNITS: readonly string[] = ['s', 'ms'];
const MS_PER: Readonly<Record<TimestampUnit, number>> = { s: 1000, ms: 1 };
const MAX_REGISTER = 65535;

/** One entry of the map as written in the editor; the map's key is the sensor name. */
export interface RegisterMapEntry {
  register: number;
  /** Default 'uint16': a Modbus register is an unsigned 16-bit word. */
  type?: RegisterType;
  /** value = raw × scale + offset; defaults 1 and 0. */
  scale?: number;
  offset?: number;
  unit?: string;
  asset?: string;
  wordOrder?: WordOrder;
  byteOrder?: ByteOrder;
  /** Marks the entry as the block's sample time (epoch seconds or milliseconds) rather than a sensor. */
  timestamp?: TimestampUnit;
}

export type RegisterMap = Record<string, RegisterMapEntry>;

/** A checked map entry with every default filled in. */
export interface RegisterField {
  sensor: string;
  register: number;
  type: RegisterType;
  /** Registers the value spans: 1 or 2. */
  words: 1 | 2;
  scale: number;
  offset: number;
  unit?: string;
  asset?: string;
  wordOrder: WordOrder;
  byteOrder: ByteOrder;
  timestamp?: TimestampUnit;
}

export interface DecodeContext {
  /** Asset for entries that name none. */
  asset?: string;
  ts: number;
}

export interface DecodeResult {
  readings: Reading[];
  /** One per map entry that could not be decoded; the reason names the sensor. */
  rejections: Rejection[];
}

/** Checks a register map (an object, or its JSON text) and fills in the defaults. */
export function parseRegisterMap(input: unknown): RegisterField[] {
  let map = input;
  if (typeof input === 'string') {
    try {
      map = JSON.parse(input) as unknown;
    } catch (err) {
      throw new PdmError('INVALID_CONFIG', `register map is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!isRecord(map)) throw new PdmError('INVALID_CONFIG', 'register map must be an object of sensor name → entry');
  const fields = Object.keys(map).map((sensor) => parseEntry(sensor, map[sensor]));
  const clocks = fields.filter((f) => f.timestamp !== undefined);
  if (clocks.length > 1) {
    throw new PdmError('INVALID_CONFIG', `register map has ${clocks.length} timestamp entries (${clocks.map((f) => f.sensor).join(', ')}); a block has one sample time`);
  }
  if (fields.length === clocks.length) throw new PdmError('INVALID_CONFIG', 'register map has no sensor entries');
  return fields;
}

function parseEntry(sensor: string, entry: unknown): RegisterField {
  const bad = (reason: string): PdmError => new PdmError('INVALID_CONFIG', `register map entry "${sensor}": ${reason}`);
  if (sensor.trim() === '') throw bad('the sensor name must not be empty');
  if (!isRecord(entry)) throw bad('must be an object like {"register": 0}');
  const unknown = Object.keys(entry).find((key) => !ENTRY_FIELDS.includes(key));
  if (unknown !== undefined) throw bad(`unknown field "${unknown}" (fields: ${ENTRY_FIELDS.join(', ')})`);
  const { register } = entry;
  if (typeof register !== 'number' || !Number.isInteger(register) || register < 0 || register > MAX_REGISTER) {
    throw bad(`register must be an integer 0..${MAX_REGISTER}`);
  }
  const type = entry.type === undefined ? 'uint16' : entry.type;
  if (!REGISTER_TYPES.includes(type as RegisterType)) throw bad(`type must be one of ${REGISTER_TYPES.join(', ')}`);
  const scale = entry.scale === undefined ? 1 : entry.scale;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw bad('scale must be a finite number');
  const offset = entry.offset === undefined ? 0 : entry.offset;
  if (typeof offset !== 'number' || !Number.isFinite(offset)) throw bad('offset must be a finite number');
  const wordOrder = entry.wordOrder === undefined ? 'big' : entry.wordOrder;
  if (!ORDERS.includes(wordOrder as string)) throw bad('wordOrder must be "big" or "little"');
  const byteOrder = entry.byteOrder === undefined ? 'big' : entry.byteOrder;
  if (!ORDERS.includes(byteOrder as string)) throw bad('byteOrder must be "big" or "little"');
  const field: RegisterField = {
    sensor,
    register,
    type: type as RegisterType,
    words: type === 'int16' || type === 'uint16' ? 1 : 2,
    scale,
    offset,
    wordOrder: wordOrder as WordOrder,
    byteOrder: byteOrder as ByteOrder,
  };
  if (entry.unit !== undefined) {
    if (typeof entry.unit !== 'string') throw bad('unit must be a string');
    field.unit = entry.unit;
  }
  if (entry.asset !== undefined) {
    if (typeof entry.asset !== 'string' || entry.asset === '') throw bad('asset must be a non-empty string');
    field.asset = entry.asset;
  }
  if (entry.timestamp !== undefined) {
    if (!TIMESTAMP_UNITS.includes(entry.timestamp as string)) throw bad('timestamp must be "s" or "ms" (the unit of the epoch time the registers hold)');
    field.timestamp = entry.timestamp as TimestampUnit;
  }
  return field;
}

const scratch = new DataView(new ArrayBuffer(4));

/**
 * Decodes every map entry from one register block; quality is 'good' for each reading. A timestamp
 * entry, when the map has one, stamps the readings instead of `context.ts`; when it cannot be
 * decoded the whole block is rejected, since its readings would carry a wrong event time.
 */
export function decodeRegisters(registers: readonly unknown[], fields: readonly RegisterField[], context: DecodeContext): DecodeResult {
  const readings: Reading[] = [];
  const rejections: Rejection[] = [];
  let ts = context.ts;
  const clock = fields.find((f) => f.timestamp !== undefined);
  if (clock?.timestamp !== undefined) {
    const decoded = decodeField(registers, clock);
    if (typeof decoded !== 'number') return { readings, rejections: [decoded] };
    ts = decoded * MS_PER[clock.timestamp];
    // Devices commonly hold 0 until their first sample.
    if (!Number.isSafeInteger(Math.round(ts)) || ts <= 0) {
      return { readings, rejections: [rejection('BAD_TIMESTAMP', `${clock.sensor}: ${decoded} is not an epoch time in ${clock.timestamp}`)] };
    }
  }
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (field.timestamp !== undefined) continue;
    const asset = field.asset ?? context.asset;
    if (asset === undefined || asset === '') {
      rejections.push(rejection('MISSING_FIELD', `${field.sensor}: no asset (set it in the node, the map entry or msg.topic)`));
      continue;
    }
    const value = decodeField(registers, field);
    if (typeof value !== 'number') {
      rejections.push(value);
      continue;
    }
    const reading: Reading = { asset, sensor: field.sensor, value, ts, quality: 'good' };
    if (field.unit !== undefined) reading.unit = field.unit;
    readings.push(reading);
  }
  return { readings, rejections };
}

/** One entry's scaled value, or why the block cannot give it. */
function decodeField(registers: readonly unknown[], field: RegisterField): number | Rejection {
  const end = field.register + field.words;
  if (end > registers.length) {
    return rejection('OUT_OF_RANGE', `${field.sensor}: needs registers ${field.register}..${end - 1}, the block has ${registers.length} (0..${registers.length - 1})`);
  }
  const first = wordAt(registers, field.register, field.byteOrder);
  const second = field.words === 2 ? wordAt(registers, field.register + 1, field.byteOrder) : 0;
  if (first < 0 || second < 0) {
    const at = first < 0 ? field.register : field.register + 1;
    return rejection('OUT_OF_RANGE', `${field.sensor}: register ${at} is ${String(registers[at])}, not an integer 0..65535`);
  }
  const value = rawValue(field, first, second) * field.scale + field.offset;
  if (!Number.isFinite(value)) return rejection('NON_FINITE', `${field.sensor}: decodes to ${value}`);
  return value;
}

/** The register at `index` as a 16-bit word in Modbus (big-endian) byte order, or -1 when it is not one. */
function wordAt(registers: readonly unknown[], index: number, byteOrder: ByteOrder): number {
  const word = registers[index];
  if (typeof word !== 'number' || !Number.isInteger(word) || word < 0 || word > 0xffff) return -1;
  return byteOrder === 'big' ? word : swapBytes(word);
}

function swapBytes(word: number): number {
  return ((word & 0xff) << 8) | (word >>> 8);
}

function rawValue(field: RegisterField, first: number, second: number): number {
  switch (field.type) {
    case 'uint16':
      return first;
    case 'int16':
      return first >= 0x8000 ? first - 0x10000 : first;
  }
  const high = field.wordOrder === 'big' ? first : second;
  const low = field.wordOrder === 'big' ? second : first;
  if (field.type === 'float32') {
    scratch.setUint16(0, high);
    scratch.setUint16(2, low);
    return scratch.getFloat32(0);
  }
  const unsigned = high * 0x10000 + low;
  return field.type === 'int32' && unsigned >= 0x80000000 ? unsigned - 0x100000000 : unsigned;
}

/**
 * The registers a device would hold for `value` (before scale and offset): the inverse of the
 * decoding, for simulators and for checking a map against a known value.
 */
export function encodeValue(value: number, type: RegisterType, wordOrder: WordOrder = 'big', byteOrder: ByteOrder = 'big'): number[] {
  const view = new DataView(new ArrayBuffer(4));
  switch (type) {
    case 'uint16':
      view.setUint16(0, value);
      break;
    case 'int16':
      view.setInt16(0, value);
      break;
    case 'uint32':
      view.setUint32(0, value);
      break;
    case 'int32':
      view.setInt32(0, value);
      break;
    case 'float32':
      view.setFloat32(0, value);
      break;
  }
  const words = type === 'uint16' || type === 'int16' ? [view.getUint16(0)] : [view.getUint16(0), view.getUint16(2)];
  if (words.length === 2 && wordOrder === 'little') words.reverse();
  return byteOrder === 'big' ? words : words.map(swapBytes);
}
