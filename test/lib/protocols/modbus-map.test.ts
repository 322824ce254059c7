import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import {
  decodeRegisters,
  encodeValue,
  parseRegisterMap,
  REGISTER_TYPES,
  type RegisterMapEntry,
} from '../../../nodes/lib/protocols/modbus-map';

const TS = 1_700_000_000_000;

function decodeOne(registers: unknown[], entry: RegisterMapEntry): number {
  const { readings, rejections } = decodeRegisters(registers, parseRegisterMap({ x: entry }), { asset: 'a', ts: TS });
  assert.deepEqual(rejections, []);
  return readings[0].value;
}

function rejectionsOf(registers: unknown[], map: Record<string, RegisterMapEntry>): Array<{ code: string; reason: string }> {
  return decodeRegisters(registers, parseRegisterMap(map), { asset: 'a', ts: TS }).rejections;
}

describe('modbus register map: decoding', () => {
  it('decodes the issue map from a pump block into good readings', () => {
    const map = '{"vibration": {"register": 0, "scale": 0.01}, "temperature": {"register": 2, "scale": 0.1}, "current": {"register": 3, "scale": 0.1}}';
    const { readings, rejections } = decodeRegisters([250, 0, 655, 312], parseRegisterMap(map), { asset: 'pump-1', ts: TS });
    assert.deepEqual(rejections, []);
    assert.deepEqual(
      readings.map((r) => [r.asset, r.sensor, Number(r.value.toFixed(6)), r.ts, r.quality]),
      [['pump-1', 'vibration', 2.5, TS, 'good'], ['pump-1', 'temperature', 65.5, TS, 'good'], ['pump-1', 'current', 31.2, TS, 'good']],
    );
    assert.equal(readings[0].unit, undefined);
  });

  it('decodes a uint32 counter over two registers: [0x0001, 0x86A0] is 100000', () => {
    assert.equal(decodeOne([0x0001, 0x86a0], { register: 0, type: 'uint32' }), 100000);
    assert.equal(decodeOne([0x86a0, 0x0001], { register: 0, type: 'uint32', wordOrder: 'little' }), 100000);
    assert.equal(decodeOne([0xffff, 0xffff], { register: 0, type: 'uint32' }), 4294967295);
  });

  it('decodes 16-bit words unsigned by default and signed as int16', () => {
    assert.equal(decodeOne([0xfff6], { register: 0 }), 65526);
    assert.equal(decodeOne([0xfff6], { register: 0, type: 'int16' }), -10);
    assert.equal(decodeOne([0x8000], { register: 0, type: 'int16' }), -32768);
    assert.equal(decodeOne([0x7fff], { register: 0, type: 'int16' }), 32767);
  });

  it('decodes int32 in both word orders', () => {
    assert.equal(decodeOne([0xffff, 0xfffe], { register: 0, type: 'int32' }), -2);
    assert.equal(decodeOne([0xfffe, 0xffff], { register: 0, type: 'int32', wordOrder: 'little' }), -2);
    assert.equal(decodeOne([0x7fff, 0xffff], { register: 0, type: 'int32' }), 2147483647);
  });

  it('decodes float32 70.5 = 0x428D0000 in every word and byte order', () => {
    assert.equal(decodeOne([0x428d, 0x0000], { register: 0, type: 'float32' }), 70.5);
    assert.equal(decodeOne([0x0000, 0x428d], { register: 0, type: 'float32', wordOrder: 'little' }), 70.5);
    assert.equal(decodeOne([0x8d42, 0x0000], { register: 0, type: 'float32', byteOrder: 'little' }), 70.5);
    assert.equal(decodeOne([0x0000, 0x8d42], { register: 0, type: 'float32', wordOrder: 'little', byteOrder: 'little' }), 70.5);
  });

  it('swaps bytes within a 16-bit register', () => {
    assert.equal(decodeOne([0x3412], { register: 0, byteOrder: 'little' }), 0x1234);
    assert.equal(decodeOne([0xf6ff], { register: 0, type: 'int16', byteOrder: 'little' }), -10);
  });

  it('applies scale, then offset, and reads at the register offset', () => {
    assert.equal(decodeOne([9, 9, 1000], { register: 2, scale: 0.5, offset: -40 }), 460);
    assert.equal(decodeOne([0, 0xffce], { register: 1, type: 'int16', scale: 0.1, offset: 1 }), -4);
  });

  it('round-trips every type and order through encodeValue', () => {
    const samples: Record<string, number[]> = {
      uint16: [0, 1, 65535], int16: [-32768, -1, 0, 32767], uint32: [0, 100000, 4294967295],
      int32: [-2147483648, -1, 2147483647], float32: [70.5, -0.125, 3.4e38, 1e-30],
    };
    for (const type of REGISTER_TYPES) {
      for (const wordOrder of ['big', 'little'] as const) {
        for (const byteOrder of ['big', 'little'] as const) {
          for (const value of samples[type]) {
            const registers = encodeValue(value, type, wordOrder, byteOrder);
            assert.equal(registers.length, type.endsWith('16') ? 1 : 2);
            const decoded = decodeOne(registers, { register: 0, type, wordOrder, byteOrder });
            const expected = type === 'float32' ? Math.fround(value) : value;
            assert.equal(decoded, expected, `${type} ${wordOrder}/${byteOrder} ${value}`);
          }
        }
      }
    }
    assert.deepEqual(encodeValue(70.5, 'float32'), [0x428d, 0x0000]);
    assert.deepEqual(encodeValue(100000, 'uint32'), [0x0001, 0x86a0]);
  });

  it('takes asset and unit from the entry, the asset from the context otherwise', () => {
    const fields = parseRegisterMap({ t: { register: 0, unit: '°C' }, p: { register: 1, asset: 'pump-2' } });
    const { readings } = decodeRegisters([1, 2], fields, { asset: 'pump-1', ts: TS });
    assert.deepEqual(readings, [
      { asset: 'pump-1', sensor: 't', value: 1, ts: TS, quality: 'good', unit: '°C' },
      { asset: 'pump-2', sensor: 'p', value: 2, ts: TS, quality: 'good' },
    ]);
  });
});

describe('modbus register map: rejections', () => {
  it('rejects entries beyond a short block and keeps the others', () => {
    const fields = parseRegisterMap({ a: { register: 0 }, b: { register: 3 }, hours: { register: 2, type: 'uint32' } });
    const { readings, rejections } = decodeRegisters([1, 2, 3], fields, { asset: 'x', ts: TS });
    assert.deepEqual(readings.map((r) => r.sensor), ['a']);
    assert.deepEqual(rejections.map((r) => r.code), ['OUT_OF_RANGE', 'OUT_OF_RANGE']);
    assert.match(rejections[0].reason, /^b: needs registers 3\.\.3, the block has 3/);
    assert.match(rejections[1].reason, /^hours: needs registers 2\.\.3/);
  });

  it('rejects register values that are not integers 0..65535', () => {
    for (const bad of [-1, 65536, 1.5, '7', null, NaN]) {
      const [error] = rejectionsOf([bad], { s: { register: 0 } });
      assert.equal(error.code, 'OUT_OF_RANGE', String(bad));
      assert.match(error.reason, /^s: register 0 is .*, not an integer 0\.\.65535$/);
    }
    const [second] = rejectionsOf([1, 70000], { s: { register: 0, type: 'uint32' } });
    assert.match(second.reason, /register 1 is 70000/);
  });

  it('rejects a float32 that decodes to NaN or infinity', () => {
    assert.equal(rejectionsOf([0x7fc0, 0], { f: { register: 0, type: 'float32' } })[0].code, 'NON_FINITE');
    assert.equal(rejectionsOf([0x7f80, 0], { f: { register: 0, type: 'float32' } })[0].code, 'NON_FINITE');
  });

  it('rejects readings without any asset', () => {
    const { rejections } = decodeRegisters([1], parseRegisterMap({ s: { register: 0 } }), { ts: TS });
    assert.equal(rejections[0].code, 'MISSING_FIELD');
  });

  it('stamps the block with a timestamp entry in epoch seconds or milliseconds instead of the arrival time', () => {
    const seconds = 1_700_000_123;
    const inSeconds = decodeRegisters([42, ...encodeValue(seconds, 'uint32')], parseRegisterMap({
      level: { register: 0 }, sampled: { register: 1, type: 'uint32', timestamp: 's' },
    }), { asset: 'a', ts: TS });
    assert.deepEqual(inSeconds.rejections, []);
    assert.deepEqual(inSeconds.readings.map((r) => [r.sensor, r.value, r.ts]), [['level', 42, seconds * 1000]]);
    // Scale and offset apply first, as for any entry; the unit then says what the result counts.
    const tenths = decodeRegisters([7, ...encodeValue(17_000_000, 'uint32')], parseRegisterMap({
      level: { register: 0 }, sampled: { register: 1, type: 'uint32', scale: 100_000, timestamp: 'ms' },
    }), { asset: 'a', ts: TS });
    assert.equal(tenths.readings[0].ts, 1_700_000_000_000);
  });

  it('rejects the whole block when its timestamp cannot be decoded, since every reading would carry a wrong time', () => {
    const map = parseRegisterMap({ level: { register: 0 }, other: { register: 1 }, sampled: { register: 2, type: 'int32', timestamp: 's' } });
    const short = decodeRegisters([1, 2, 3], map, { asset: 'a', ts: TS });
    assert.deepEqual(short.readings, []);
    assert.deepEqual(short.rejections.map((r) => r.code), ['OUT_OF_RANGE']);
    assert.match(short.rejections[0].reason, /^sampled: needs registers 2\.\.3/);
    const negative = decodeRegisters([1, 2, ...encodeValue(-5, 'int32')], map, { asset: 'a', ts: TS });
    assert.deepEqual(negative.readings, []);
    assert.deepEqual(negative.rejections.map((r) => [r.code, r.reason]), [['BAD_TIMESTAMP', 'sampled: -5 is not an epoch time in s']]);
    const unset = decodeRegisters([1, 2, 0, 0], map, { asset: 'a', ts: TS });
    assert.deepEqual(unset.rejections.map((r) => [r.code, r.reason]), [['BAD_TIMESTAMP', 'sampled: 0 is not an epoch time in s']]);
  });
});

describe('modbus register map: validation', () => {
  function configError(map: unknown): PdmError {
    try {
      parseRegisterMap(map);
    } catch (err) {
      assert.ok(err instanceof PdmError);
      assert.equal(err.code, 'INVALID_CONFIG');
      return err;
    }
    assert.fail('expected INVALID_CONFIG');
  }

  it('fills in the defaults', () => {
    assert.deepEqual(parseRegisterMap('{"v": {"register": 5}}'), [
      { sensor: 'v', register: 5, type: 'uint16', words: 1, scale: 1, offset: 0, wordOrder: 'big', byteOrder: 'big' },
    ]);
  });

  it('names the bad entry and field', () => {
    assert.match(configError({ temp: {} }).message, /entry "temp": register must be an integer/);
    assert.match(configError({ temp: { register: -1 } }).message, /"temp": register/);
    assert.match(configError({ temp: { register: 1.5 } }).message, /"temp": register/);
    assert.match(configError({ temp: { register: 0, type: 'int64' } }).message, /"temp": type must be one of int16/);
    assert.match(configError({ temp: { register: 0, scale: '0.1' } }).message, /"temp": scale/);
    assert.match(configError({ temp: { register: 0, offset: null } }).message, /"temp": offset/);
    assert.match(configError({ temp: { register: 0, wordOrder: 'middle' } }).message, /"temp": wordOrder/);
    assert.match(configError({ temp: { register: 0, byteOrder: 'swap' } }).message, /"temp": byteOrder/);
    assert.match(configError({ temp: { register: 0, unit: 5 } }).message, /"temp": unit/);
    assert.match(configError({ temp: { register: 0, asset: '' } }).message, /"temp": asset/);
    assert.match(configError({ temp: { register: 0, scal: 2 } }).message, /"temp": unknown field "scal"/);
    assert.match(configError({ temp: 3 }).message, /"temp": must be an object/);
    assert.match(configError({ temp: { register: 0, timestamp: 'h' } }).message, /"temp": timestamp must be "s" or "ms"/);
  });

  it('accepts one timestamp entry and needs at least one sensor beside it', () => {
    assert.match(configError({ t1: { register: 0, type: 'uint32', timestamp: 's' }, t2: { register: 2, type: 'uint32', timestamp: 's' }, v: { register: 4 } }).message,
      /2 timestamp entries \(t1, t2\)/);
    assert.match(configError({ t: { register: 0, type: 'uint32', timestamp: 's' } }).message, /no sensor entries/);
  });

  it('rejects maps that are not objects of entries', () => {
    assert.match(configError('{"a": ').message, /not valid JSON/);
    assert.match(configError('[]').message, /must be an object/);
    assert.match(configError({}).message, /no sensor entries/);
    assert.match(configError('').message, /not valid JSON/);
  });
});
