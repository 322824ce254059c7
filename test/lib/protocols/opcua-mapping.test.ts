import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertDistinct, dataValueToReading, needsFacts, parseItems, parseTarget, resolveItem, statusName, type DataValueLike, type ResolvedItem,
} from '../../../nodes/lib/protocols/opcua-mapping';

const ITEM: ResolvedItem = { nodeId: 'ns=1;s=pump-1.vibration', asset: 'pump-1', sensor: 'vibration', unit: 'mm/s' };
const TS = Date.UTC(2026, 0, 1, 8);
const now = (): number => 42;

function dv(value: unknown, code: number, name: string, source: Date | null = new Date(TS), server: Date | null = null): DataValueLike {
  return { value: { value }, statusCode: { value: code, name }, sourceTimestamp: source, serverTimestamp: server };
}

describe('OPC UA item targets', () => {
  it('reads NodeIds of every identifier kind as they are', () => {
    for (const id of ['ns=1;s=pump-1.vibration', 'ns=2;i=1042', 'i=2258', 'nsu=urn:plant;s=x', 'ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63', 'ns=1;b=AQID']) {
      assert.deepEqual(parseTarget(` ${id} `), { kind: 'nodeId', nodeId: id });
    }
  });

  it('reads browse paths from the Objects folder with namespace 1 by default', () => {
    assert.deepEqual(parseTarget('/Plant/pump-1/vibration'), {
      kind: 'path',
      segments: [{ namespaceIndex: 1, name: 'Plant' }, { namespaceIndex: 1, name: 'pump-1' }, { namespaceIndex: 1, name: 'vibration' }],
    });
    assert.deepEqual(parseTarget('/Objects/3:Line/2:Temp'), {
      kind: 'path', segments: [{ namespaceIndex: 3, name: 'Line' }, { namespaceIndex: 2, name: 'Temp' }],
    });
  });

  for (const [text, reason] of [['', /empty/], ['pump-1.vibration', /neither a NodeId/], ['/Plant//x', /empty segment/], ['/Objects', /empty segment/]] as const) {
    it(`rejects "${text}"`, () => {
      assert.throws(() => parseTarget(text), (err: Error & { code?: string }) => err.code === 'INVALID_CONFIG' && reason.test(err.message));
    });
  }

  it('reads the table rows, trimming and dropping empty names', () => {
    const [a, b] = parseItems([{ item: 'ns=1;s=a.b', asset: ' P1 ', sensor: '', unit: 'bar' }, { item: '/Plant/p/t' }]);
    assert.deepEqual(a, { label: 'ns=1;s=a.b', target: { kind: 'nodeId', nodeId: 'ns=1;s=a.b' }, asset: 'P1', unit: 'bar' });
    assert.equal(needsFacts(a), true);
    assert.equal(b.target.kind, 'path');
    assert.equal(needsFacts(parseItems([{ item: 'i=1', asset: 'a', sensor: 's', unit: 'u' }])[0]), false);
  });

  for (const [name, rows, reason] of [
    ['no list', undefined, /empty/],
    ['an empty list', [], /empty/],
    ['a row without item', [{ asset: 'a' }], /item 1 has no NodeId/],
    ['a numeric asset', [{ item: 'i=1', asset: 5 }], /asset must be text/],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseItems(rows), (err: Error & { code?: string }) => err.code === 'INVALID_CONFIG' && reason.test(err.message));
    });
  }
});

describe('OPC UA asset/sensor mapping', () => {
  it('prefers the table, then the browse names of the node and its parent', () => {
    const [spec] = parseItems([{ item: 'ns=2;i=7' }]);
    assert.deepEqual(resolveItem(spec, { nodeId: 'ns=2;i=7', browseName: 'temp', parentBrowseName: 'kiln', unit: '°C' }),
      { nodeId: 'ns=2;i=7', asset: 'kiln', sensor: 'temp', unit: '°C' });
    const [named] = parseItems([{ item: 'ns=2;i=7', asset: 'K1', sensor: 'T', unit: 'K' }]);
    assert.deepEqual(resolveItem(named, { nodeId: 'ns=2;i=7', browseName: 'temp', parentBrowseName: 'kiln', unit: '°C' }),
      { nodeId: 'ns=2;i=7', asset: 'K1', sensor: 'T', unit: 'K' });
  });

  it('names a browse path item by its last two segments and leaves an empty unit out', () => {
    const [spec] = parseItems([{ item: '/Plant/pump-1/vibration' }]);
    assert.deepEqual(resolveItem(spec, { nodeId: 'ns=1;s=x', browseName: 'other', parentBrowseName: 'other', unit: '' }),
      { nodeId: 'ns=1;s=x', asset: 'pump-1', sensor: 'vibration' });
  });

  it('fails an item with no name for the asset', () => {
    const [spec] = parseItems([{ item: 'i=2258' }]);
    assert.throws(() => resolveItem(spec, { nodeId: 'i=2258', browseName: 'CurrentTime' }), /no asset name/);
  });

  it('refuses two items on one asset/sensor', () => {
    assert.throws(() => assertDistinct([ITEM, { ...ITEM, nodeId: 'ns=1;s=other' }]), /pump-1\/vibration is mapped from both/);
    assert.doesNotThrow(() => assertDistinct([ITEM, { ...ITEM, sensor: 'temperature' }]));
  });
});

describe('OPC UA DataValue to reading', () => {
  it('makes a good reading with the source timestamp and unit', () => {
    assert.deepEqual(dataValueToReading(ITEM, dv(4.5, 0, 'Good'), now),
      { ok: true, reading: { asset: 'pump-1', sensor: 'vibration', value: 4.5, ts: TS, quality: 'good', unit: 'mm/s' } });
  });

  it('marks an Uncertain value uncertain', () => {
    const r = dataValueToReading(ITEM, dv(4.5, 0x40900000, 'UncertainLastUsableValue'), now);
    assert.equal(r.ok && r.reading.quality, 'uncertain');
  });

  it('falls back to the server timestamp, then the clock', () => {
    const server = new Date(TS + 5);
    const a = dataValueToReading(ITEM, dv(1, 0, 'Good', null, server), now);
    assert.equal(a.ok && a.reading.ts, TS + 5);
    const b = dataValueToReading(ITEM, dv(1, 0, 'Good', null, null), now);
    assert.equal(b.ok && b.reading.ts, 42);
  });

  it('rejects a Bad value naming the status code', () => {
    const r = dataValueToReading(ITEM, dv(0, 0x808c0000, 'BadSensorFailure'), now);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.error, { code: 'BAD_QUALITY', reason: 'OPC UA status BadSensorFailure (0x808C0000)' });
    assert.deepEqual(r.input, { nodeId: ITEM.nodeId, asset: 'pump-1', sensor: 'vibration', value: 0, statusCode: 'BadSensorFailure (0x808C0000)', ts: TS });
  });

  it('converts booleans and exact 64-bit integers', () => {
    const t = dataValueToReading(ITEM, dv(true, 0, 'Good'), now);
    assert.equal(t.ok && t.reading.value, 1);
    const big = dataValueToReading(ITEM, dv([1, 5], 0, 'Good'), now);
    assert.equal(big.ok && big.reading.value, 2 ** 32 + 5);
  });

  for (const [name, value, code] of [
    ['text', 'running', 'NOT_A_NUMBER'],
    ['an array', [1, 2, 3], 'NOT_A_NUMBER'],
    ['an empty value', null, 'MISSING_FIELD'],
    ['NaN', NaN, 'NON_FINITE'],
    ['a 64-bit integer beyond 2^53', [0xffffffff, 1], 'OUT_OF_RANGE'],
  ] as const) {
    it(`rejects ${name}`, () => {
      const r = dataValueToReading(ITEM, dv(value, 0, 'Good'), now);
      assert.equal(!r.ok && r.error.code, code);
    });
  }

  it('rejects an invalid source timestamp', () => {
    const r = dataValueToReading(ITEM, dv(1, 0, 'Good', new Date(NaN)), now);
    assert.equal(!r.ok && r.error.code, 'BAD_TIMESTAMP');
  });

  it('names a status code without a name by its hex value', () => {
    assert.equal(statusName({ value: 0x80000000 }), '0x80000000');
  });
});
