import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ModbusRTU from 'modbus-serial';
import { decodeRegisters, parseRegisterMap } from '../../../nodes/lib/protocols/modbus-map';
import type { Reading } from '../../../nodes/lib/reading';
import { sensorsOf } from '../../../nodes/lib/sim/machines';
import { MODBUS_EXCEPTIONS, registerMaps, startPlantModbusServer, type PlantModbusServer } from '../../../nodes/lib/sim/modbus-server';
import { PlantSimulator } from '../../../nodes/lib/sim/plant';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function client(): ModbusRTU {
  const c = new ModbusRTU();
  c.setTimeout(2000);
  return c;
}

async function exceptionOf(request: Promise<unknown>): Promise<number | undefined> {
  try {
    await request;
  } catch (err) {
    return (err as { modbusCode?: number }).modbusCode;
  }
  assert.fail('the request should have been answered with a Modbus exception');
}

describe('plant Modbus TCP server', () => {
  let server: PlantModbusServer;
  let modbus: ModbusRTU;
  const plant = new PlantSimulator({ assets: [{ id: 'pump-1', kind: 'pump' }, { id: 'motor-1', kind: 'motor' }], seed: 7, start: T0 });

  before(async () => {
    server = await startPlantModbusServer(['pump-1', 'motor-1'], { port: 0 });
    modbus = client();
    await modbus.connectTCP('127.0.0.1', { port: server.port });
  });

  after(async () => {
    modbus?.close();
    await server?.stop();
  });

  it('serves each asset as a unit id whose registers the documented maps decode to its readings', async () => {
    const { readings } = plant.sample(T0);
    server.update(readings);
    for (const [asset, kind] of [['pump-1', 'pump'], ['motor-1', 'motor']] as const) {
      const unitId = server.unitIdOf(asset);
      assert.ok(unitId !== undefined);
      modbus.setID(unitId);
      const maps = registerMaps(sensorsOf(kind));
      const holding = await modbus.readHoldingRegisters(0, 14);
      const input = await modbus.readInputRegisters(0, 18);
      const expected = readings.filter((r) => r.asset === asset);
      const fromHolding = decodeRegisters(holding.data, parseRegisterMap(maps.holding), { asset, ts: T0 });
      const fromInput = decodeRegisters(input.data, parseRegisterMap(maps.input), { asset, ts: T0 });
      assert.deepEqual(fromHolding.rejections, []);
      assert.deepEqual(fromInput.rejections, []);
      for (const reading of expected) {
        const resolution = reading.sensor.startsWith('vibration') || reading.sensor === 'pressure' ? 0.005 : 0.5;
        const h = fromHolding.readings.find((r) => r.sensor === reading.sensor);
        const f = fromInput.readings.find((r) => r.sensor === reading.sensor);
        assert.ok(h && Math.abs(h.value - reading.value) <= resolution + 1e-9, `${asset} ${reading.sensor}: ${h?.value} vs ${reading.value}`);
        assert.ok(f && Math.abs(f.value - reading.value) <= 1e-4 * Math.abs(reading.value), `${asset} ${reading.sensor} float32`);
        assert.equal(h.unit, reading.unit);
      }
      assert.equal(fromHolding.readings.length, expected.length + 1, 'every sensor and the running hours');
      assert.equal(holding.data[10], 1, 'running');
      assert.equal(holding.data[11], kind === 'motor' ? 0b1100_0000 : 0, 'a motor has no pressure and flow');
      assert.equal(holding.data[12] * 0x10000 + holding.data[13], T0 / 1000, 'sample time');
    }
  });

  it('counts running hours over two registers while the machine runs', async () => {
    const base: Reading[] = [{ asset: 'pump-1', sensor: 'speed', value: 2950, ts: T0, unit: 'rpm' }];
    server.update(base.map((r) => ({ ...r, ts: T0 + 7000 * HOUR })));
    modbus.setID(1);
    const { data } = await modbus.readHoldingRegisters(8, 2);
    // 7000 h in tenths of an hour: more than one 16-bit register holds.
    assert.equal(data[0] * 0x10000 + data[1], 70_000);
    assert.ok(data[0] > 0);
  });

  it('marks a sensor without a current reading as missing: bit in register 11, NaN as float32', async () => {
    server.update([{ asset: 'pump-1', sensor: 'speed', value: 0, ts: T0 + 7001 * HOUR, unit: 'rpm' }]);
    modbus.setID(1);
    const holding = await modbus.readHoldingRegisters(10, 2);
    assert.deepEqual(holding.data, [0, 0b1101_1111], 'stopped; every sensor but speed missing');
    const input = await modbus.readInputRegisters(0, 2);
    const decoded = decodeRegisters(input.data, parseRegisterMap({ vibration_rms: { register: 0, type: 'float32' } }), { asset: 'pump-1', ts: 0 });
    assert.equal(decoded.readings.length, 0);
    assert.match(decoded.rejections[0].reason, /vibration_rms: decodes to NaN/);
  });

  it('clamps values beyond the register type to its range', async () => {
    server.update([
      { asset: 'motor-1', sensor: 'vibration_rms', value: 1e6, ts: T0, unit: 'mm/s' },
      { asset: 'motor-1', sensor: 'bearing_temperature', value: -5000, ts: T0, unit: '°C' },
    ]);
    modbus.setID(2);
    const { data } = await modbus.readHoldingRegisters(0, 3);
    assert.deepEqual([data[0], data[2]], [0xffff, 0x8000]);
  });

  it('answers an unknown unit, a bad address, an oversized read and a write with Modbus exceptions and keeps serving', async () => {
    modbus.setID(9);
    assert.equal(await exceptionOf(modbus.readHoldingRegisters(0, 1)), MODBUS_EXCEPTIONS.gatewayTargetFailed);
    modbus.setID(1);
    assert.equal(await exceptionOf(modbus.readHoldingRegisters(10, 10)), MODBUS_EXCEPTIONS.illegalDataAddress);
    assert.equal(await exceptionOf(modbus.readInputRegisters(18, 1)), MODBUS_EXCEPTIONS.illegalDataAddress);
    assert.equal(await exceptionOf(modbus.readHoldingRegisters(0, 126)), MODBUS_EXCEPTIONS.illegalDataValue);
    assert.equal(await exceptionOf(modbus.writeRegister(0, 1)), MODBUS_EXCEPTIONS.illegalFunction);
    assert.equal(await exceptionOf(modbus.readCoils(0, 1)), MODBUS_EXCEPTIONS.illegalFunction);
    const { data } = await modbus.readHoldingRegisters(5, 1);
    assert.equal(data.length, 1);
    assert.ok(server.stats().exceptions >= 6);
  });

  it('refuses an empty or oversized asset list and a port in use', async () => {
    await assert.rejects(startPlantModbusServer([], { port: 0 }), /1 to 247 assets/);
    await assert.rejects(startPlantModbusServer(['a'], { port: server.port }), /EADDRINUSE/);
  });
});
