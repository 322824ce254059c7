/**
 * The simulated plant as a Modbus TCP server: one unit id per asset (1 for the first asset, 2 for
 * the second, …, at most 247), read-only, holding the latest readings.
 *
 * Holding registers (function 3), scaled integers, big-endian words:
 *
 *   0  vibration_rms        uint16  × 0.01 mm/s
 *   1  vibration_peak       uint16  × 0.01 mm/s
 *   2  bearing_temperature  int16   × 0.1 °C
 *   3  winding_temperature  int16   × 0.1 °C
 *   4  current              uint16  × 0.1 A
 *   5  speed                uint16  × 1 rpm
 *   6  pressure             uint16  × 0.01 bar     (pumps, compressors)
 *   7  flow                 uint16  × 0.1 m³/h     (pumps, compressors)
 *   8–9   running_hours     uint32  × 0.1 h        (register 8 holds the high word)
 *   10 status               bit 0 = running (speed > 0)
 *   11 missing              bit n = the sensor at register n has no current reading (it holds its last value, or 0)
 *   12–13 sample time       uint32  Unix seconds of the latest update (simulated time)
 *
 * Input registers (function 4): the same values as float32 (big-endian word order), two registers
 * per sensor in the order above (vibration_rms at 0–1 … flow at 14–15, running_hours at 16–17);
 * NaN where a sensor has no current reading or is not fitted.
 *
 * Values beyond an integer type's range are clamped to it. `registerMaps` gives the modbus-map
 * configuration that decodes these blocks. Errors are Modbus exceptions: an unknown unit id
 * answers 0x0B (gateway target failed to respond), an address outside the block 0x02, more than
 * 125 registers 0x03, writes and coil or discrete input reads 0x01 (illegal function).
 */
import { createServer, type AddressInfo } from 'node:net';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { encodeValue, type RegisterMap, type RegisterType } from '../protocols/modbus-map';
import type { Reading } from '../reading';
import { SENSOR_UNITS, type SensorName } from './machines';

interface Slot {
  sensor: SensorName;
  type: RegisterType;
  scale: number;
}

const SLOTS: readonly Slot[] = [
  { sensor: 'vibration_rms', type: 'uint16', scale: 0.01 },
  { sensor: 'vibration_peak', type: 'uint16', scale: 0.01 },
  { sensor: 'bearing_temperature', type: 'int16', scale: 0.1 },
  { sensor: 'winding_temperature', type: 'int16', scale: 0.1 },
  { sensor: 'current', type: 'uint16', scale: 0.1 },
  { sensor: 'speed', type: 'uint16', scale: 1 },
  { sensor: 'pressure', type: 'uint16', scale: 0.01 },
  { sensor: 'flow', type: 'uint16', scale: 0.1 },
];
const SLOT_OF: ReadonlyMap<string, number> = new Map(SLOTS.map((s, i) => [s.sensor, i]));
const RUNNING_HOURS = 8;
const RUNNING_HOURS_SCALE = 0.1;
const STATUS = 10;
const MISSING = 11;
const SAMPLE_TIME = 12;
export const HOLDING_REGISTERS = 14;
export const INPUT_REGISTERS = 2 * SLOTS.length + 2;
export const MAX_UNITS = 247;
const MAX_READ = 125;
const HOUR_MS = 3_600_000;

export const MODBUS_EXCEPTIONS = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  gatewayTargetFailed: 0x0b,
} as const;

/** Thrown into modbus-serial's server, which answers with the exception code. */
class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number, message: string) {
    super(message);
  }
}

export interface ModbusServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Errors of client sockets (a reset connection): reported, never thrown. */
  onSocketError?: (err: Error) => void;
}

export interface ModbusServerStats {
  requests: number;
  exceptions: number;
}

export interface PlantModbusServer {
  port: number;
  /** Unit id of an asset, or undefined when the server does not hold it. */
  unitIdOf(asset: string): number | undefined;
  update(readings: readonly Reading[]): void;
  stats(): ModbusServerStats;
  stop(): Promise<void>;
}

/** modbus-map configurations that decode an asset's holding and input register blocks exactly. */
export function registerMaps(sensors: readonly string[]): { holding: RegisterMap; input: RegisterMap } {
  const holding: RegisterMap = {};
  const input: RegisterMap = {};
  SLOTS.forEach((slot, i) => {
    if (!sensors.includes(slot.sensor)) return;
    const unit = SENSOR_UNITS[slot.sensor];
    holding[slot.sensor] = { register: i, type: slot.type, scale: slot.scale, unit };
    input[slot.sensor] = { register: 2 * i, type: 'float32', unit };
  });
  holding.running_hours = { register: RUNNING_HOURS, type: 'uint32', scale: RUNNING_HOURS_SCALE, unit: 'h' };
  holding.sample_time = { register: SAMPLE_TIME, type: 'uint32', timestamp: 's' };
  input.running_hours = { register: 2 * SLOTS.length, type: 'float32', unit: 'h' };
  return { holding, input };
}

const RANGES: Readonly<Record<RegisterType, [number, number]>> = {
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
  float32: [-Infinity, Infinity],
};

function encodeScaled(value: number, type: RegisterType, scale: number): number[] {
  const [min, max] = RANGES[type];
  return encodeValue(Math.min(max, Math.max(min, Math.round(value / scale))), type);
}

/** One asset's registers and the state behind them. */
class Unit {
  readonly holding = new Array<number>(HOLDING_REGISTERS).fill(0);
  readonly input: number[];
  private runningHours = 0;
  private lastTs: number | undefined;

  constructor() {
    this.input = [];
    for (let i = 0; i < SLOTS.length; i++) this.input.push(...encodeValue(NaN, 'float32'));
    this.input.push(...encodeValue(0, 'float32'));
    this.holding[MISSING] = 0xff;
  }

  /** Applies one asset's readings of one update. */
  apply(readings: readonly Reading[]): void {
    let missing = 0;
    const present = new Array<boolean>(SLOTS.length).fill(false);
    let ts = this.lastTs ?? -Infinity;
    let speed = 0;
    for (const reading of readings) {
      const slot = SLOT_OF.get(reading.sensor);
      if (slot === undefined || !Number.isFinite(reading.value)) continue;
      present[slot] = true;
      const { type, scale } = SLOTS[slot];
      this.holding[slot] = encodeScaled(reading.value, type, scale)[0];
      this.input.splice(2 * slot, 2, ...encodeValue(reading.value, 'float32'));
      if (reading.sensor === 'speed') speed = reading.value;
      if (Number.isFinite(reading.ts) && reading.ts > ts) ts = reading.ts;
    }
    for (let i = 0; i < SLOTS.length; i++) {
      if (present[i]) continue;
      missing |= 1 << i;
      this.input.splice(2 * i, 2, ...encodeValue(NaN, 'float32'));
    }
    if (Number.isFinite(ts)) {
      if (this.lastTs !== undefined && speed > 0) this.runningHours += (ts - this.lastTs) / HOUR_MS;
      this.lastTs = ts;
      this.holding.splice(SAMPLE_TIME, 2, ...encodeScaled(ts / 1000, 'uint32', 1));
    }
    this.holding.splice(RUNNING_HOURS, 2, ...encodeScaled(this.runningHours, 'uint32', RUNNING_HOURS_SCALE));
    this.input.splice(2 * SLOTS.length, 2, ...encodeValue(this.runningHours, 'float32'));
    this.holding[STATUS] = speed > 0 ? 1 : 0;
    this.holding[MISSING] = missing;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function listen(vector: IServiceVector, host: string, port: number): Promise<ServerTCP> {
  const server = new ServerTCP(vector, { host, port });
  return new Promise((resolve, reject) => {
    server.once('initialized', () => resolve(server));
    server.once('serverError', (err: Error) => reject(err));
  });
}

/** Serves `assets` (ids) as unit ids 1, 2, … in this order. */
export async function startPlantModbusServer(assets: readonly string[], options: ModbusServerOptions): Promise<PlantModbusServer> {
  if (assets.length === 0 || assets.length > MAX_UNITS) throw new Error(`a Modbus server holds 1 to ${MAX_UNITS} assets, got ${assets.length}`);
  const units = new Map<number, Unit>();
  const unitIds = new Map<string, number>();
  assets.forEach((asset, i) => {
    units.set(i + 1, new Unit());
    unitIds.set(asset, i + 1);
  });
  const stats: ModbusServerStats = { requests: 0, exceptions: 0 };

  const fail = (code: number, message: string): never => {
    stats.exceptions++;
    throw new ModbusException(code, message);
  };
  const read = (block: 'holding' | 'input', addr: number, length: number, unitId: number): number[] => {
    stats.requests++;
    const unit = units.get(unitId);
    if (unit === undefined) return fail(MODBUS_EXCEPTIONS.gatewayTargetFailed, `no unit ${unitId}`);
    if (length > MAX_READ) return fail(MODBUS_EXCEPTIONS.illegalDataValue, `${length} registers asked, at most ${MAX_READ}`);
    const registers = unit[block];
    if (addr + length > registers.length) return fail(MODBUS_EXCEPTIONS.illegalDataAddress, `registers ${addr}..${addr + length - 1} are outside 0..${registers.length - 1}`);
    return registers.slice(addr, addr + length);
  };
  const refuse = (): never => {
    stats.requests++;
    return fail(MODBUS_EXCEPTIONS.illegalFunction, 'the simulated plant is read-only and has no coils or discrete inputs');
  };
  const vector: IServiceVector = {
    getHoldingRegister: (addr: number, unitId: number) => read('holding', addr, 1, unitId)[0],
    getMultipleHoldingRegisters: (addr: number, length: number, unitId: number) => read('holding', addr, length, unitId),
    getInputRegister: (addr: number, unitId: number) => read('input', addr, 1, unitId)[0],
    getMultipleInputRegisters: (addr: number, length: number, unitId: number) => read('input', addr, length, unitId),
    getCoil: refuse,
    getDiscreteInput: refuse,
    setCoil: refuse,
    setRegister: refuse,
    setRegisterArray: refuse,
  };

  const host = options.host ?? '127.0.0.1';
  let server: ServerTCP | undefined;
  let port = options.port;
  // modbus-serial takes port 0 for its default 502, so a free port is found first; another
  // process may take it in between, hence the retries.
  for (let attempt = 0; server === undefined; attempt++) {
    if (options.port === 0) port = await freePort(host);
    try {
      server = await listen(vector, host, port);
    } catch (err) {
      if (options.port !== 0 || attempt >= 2 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  const report = (err: Error | null): void => {
    if (err) options.onSocketError?.(err);
  };
  server.on('socketError', report);
  server.on('error', report);
  const running = server;
  let stopped: Promise<void> | undefined;

  return {
    port,
    unitIdOf: (asset) => unitIds.get(asset),
    update(readings) {
      const byAsset = new Map<string, Reading[]>();
      for (const reading of readings) {
        const list = byAsset.get(reading.asset);
        if (list) list.push(reading);
        else byAsset.set(reading.asset, [reading]);
      }
      for (const [asset, list] of byAsset) {
        const id = unitIds.get(asset);
        if (id !== undefined) units.get(id)?.apply(list);
      }
    },
    stats: () => ({ ...stats }),
    stop() {
      stopped ??= new Promise<void>((resolve) => running.close(() => resolve()));
      return stopped;
    },
  };
}
