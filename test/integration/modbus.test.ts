/**
 * A real Modbus TCP server on loopback, polled by node-red-contrib-modbus `modbus-read` in an
 * embedded Node-RED, decoded by modbus-map: the registers a device holds come out as readings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServerTCP } from '@openp4nr/modbus-serial';
import type { NodeMessageInFlow } from 'node-red';
import type { Reading } from '../../nodes/lib/reading';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import { freePort } from './plant-sim-support';

const START = 100;
/** Holding registers 100..105 of a pump controller: vibration, spare, temperature, current, run hours (uint32). */
const HOLDING = [250, 0, 655, 312, 0x0001, 0x86a0];

function startServer(port: number): Promise<ServerTCP> {
  return new Promise((resolve, reject) => {
    const server = new ServerTCP(
      { getHoldingRegister: (addr: number) => HOLDING[addr - START] ?? 0 },
      { host: '127.0.0.1', port, unitID: 1 },
    );
    server.once('initialized', () => resolve(server));
    server.once('serverError', reject);
  });
}

function flow(port: number): FlowNode[] {
  return onTab([
    {
      id: 'client', type: 'modbus-client', name: 'pump controller', clienttype: 'tcp', bufferCommands: true,
      stateLogEnabled: false, queueLogEnabled: false, failureLogEnabled: false, tcpHost: '127.0.0.1',
      tcpPort: String(port), tcpType: 'DEFAULT', unit_id: '1', commandDelay: '1', clientTimeout: '1000',
      reconnectOnTimeout: true, reconnectTimeout: '2000', parallelUnitIdsAllowed: true,
    },
    {
      id: 'read', type: 'modbus-read', name: 'poll', topic: 'pump-1 registers', showStatusActivities: false,
      logIOActivities: false, showErrors: false, showWarnings: false, unitid: '1', dataType: 'HoldingRegister',
      adr: String(START), quantity: String(HOLDING.length), rate: '200', rateUnit: 'ms', delayOnStart: false,
      startDelayTime: '', server: 'client', useIOFile: false, ioFile: '', useIOForPayload: false,
      emptyMsgOnFail: false, keepMsgProperties: false, x: 100, y: 100, wires: [['map'], []],
    },
    {
      id: 'map', type: 'modbus-map', asset: 'pump-1', x: 300, y: 100, wires: [['readings'], ['rejected']],
      map: JSON.stringify({
        vibration: { register: 0, scale: 0.01, unit: 'mm/s' },
        temperature: { register: 2, scale: 0.1, unit: '°C' },
        current: { register: 3, scale: 0.1, unit: 'A' },
        runHours: { register: 4, type: 'uint32', unit: 'h' },
      }),
    },
    { id: 'readings', type: 'test-sink', x: 500, y: 100, wires: [] },
    { id: 'rejected', type: 'test-sink', x: 500, y: 140, wires: [] },
  ]);
}

interface ModbusMessage extends NodeMessageInFlow {
  responseBuffer?: { data?: number[] };
}

describe('modbus-read → modbus-map against a Modbus TCP server', () => {
  let runtime: EmbeddedRuntime;
  let server: ServerTCP;

  before(async () => {
    const port = await freePort();
    server = await startServer(port);
    runtime = await startRuntime(flow(port), { captureLevel: 20 });
  });

  after(async () => {
    await runtime?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('decodes the polled holding registers into readings', async () => {
    const decoded: ModbusMessage[] = [];
    const rejected: NodeMessageInFlow[] = [];
    onSink('readings', (msg) => decoded.push(msg as ModbusMessage));
    onSink('rejected', (msg) => rejected.push(msg));
    await waitFor(() => decoded.length > 0, 15_000, 'decoded registers');
    const [msg] = decoded;
    const readings = msg.payload as Reading[];
    assert.deepEqual(
      readings.map((r) => [r.asset, r.sensor, Number(r.value.toFixed(6)), r.unit, r.quality]),
      [
        ['pump-1', 'vibration', 2.5, 'mm/s', 'good'],
        ['pump-1', 'temperature', 65.5, '°C', 'good'],
        ['pump-1', 'current', 31.2, 'A', 'good'],
        ['pump-1', 'runHours', 100000, 'h', 'good'],
      ],
    );
    assert.equal(msg.topic, 'pump-1 registers');
    assert.deepEqual(msg.responseBuffer?.data, HOLDING);
    assert.deepEqual(rejected, []);
    assert.deepEqual(runtime.logs.filter((entry) => entry.type === 'modbus-map'), []);
  });
});
