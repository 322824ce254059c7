/**
 * plant-sim's real Modbus TCP server polled by node-red-contrib-modbus (modbus-client +
 * modbus-read) in an embedded Node-RED, decoded by modbus-map with the documented register maps:
 * values arrive with the right asset, sensor, unit and timestamp; a server restart mid-stream is
 * survived (the time to resume is printed); registers that cannot be decoded are rejected with
 * a reason.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { NodeMessageInFlow } from 'node-red';
import type { Rejection } from '../../nodes/lib/errors';
import type { Reading } from '../../nodes/lib/reading';
import { sensorsOf } from '../../nodes/lib/sim/machines';
import { registerMaps } from '../../nodes/lib/sim/modbus-server';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';
import { deployChanged, freePort } from './plant-sim-support';

const TICK_MS = 200;

function modbusRead(id: string, unitid: number, topic: string, dataType: string, quantity: number, next: string): FlowNode {
  return {
    id, type: 'modbus-read', name: id, topic, showStatusActivities: false, logIOActivities: false, showErrors: false,
    showWarnings: false, unitid: String(unitid), dataType, adr: '0', quantity: String(quantity), rate: String(TICK_MS),
    rateUnit: 'ms', delayOnStart: false, startDelayTime: '', server: 'client', useIOFile: false, ioFile: '',
    useIOForPayload: false, emptyMsgOnFail: false, keepMsgProperties: false, x: 100, y: 100, wires: [[next], []],
  };
}

function flow(port: number, simDisabled = false): FlowNode[] {
  const motorInput = registerMaps(sensorsOf('motor')).input;
  // A motor has no pressure sensor: its float32 registers hold NaN, which the map must reject.
  motorInput.pressure = { register: 12, type: 'float32', unit: 'bar' };
  // Beyond the 14-register holding block the poll reads.
  const pumpHolding = { ...registerMaps(sensorsOf('pump')).holding, spare: { register: 20 } };
  return onTab([
    {
      id: 'sim', type: 'plant-sim', d: simDisabled, assetMode: 'json',
      assetsJson: JSON.stringify([{ id: 'pump-1', kind: 'pump' }, { id: 'motor-1', kind: 'motor' }]),
      tickMs: TICK_MS, acceleration: 1440, seed: 5, scheduleMode: 'list', scenarios: [],
      modbusEnabled: true, modbusPort: String(port), modbusHost: '127.0.0.1', x: 100, y: 50, wires: [['plant'], [], []],
    },
    {
      id: 'client', type: 'modbus-client', name: 'plant', clienttype: 'tcp', bufferCommands: true, stateLogEnabled: false,
      queueLogEnabled: false, failureLogEnabled: false, tcpHost: '127.0.0.1', tcpPort: String(port), tcpType: 'DEFAULT',
      unit_id: '1', commandDelay: '1', clientTimeout: '1000', reconnectOnTimeout: true, reconnectTimeout: '500',
      parallelUnitIdsAllowed: true,
    },
    modbusRead('read-pump', 1, 'pump-1', 'HoldingRegister', 14, 'map-pump'),
    modbusRead('read-motor', 2, 'motor-1', 'InputRegister', 18, 'map-motor'),
    { id: 'map-pump', type: 'modbus-map', asset: '', map: JSON.stringify(pumpHolding), x: 300, y: 100, wires: [['pump'], ['pump-rejected']] },
    { id: 'map-motor', type: 'modbus-map', asset: '', map: JSON.stringify(motorInput), x: 300, y: 200, wires: [['motor'], ['motor-rejected']] },
    { id: 'plant', type: 'test-sink', x: 300, y: 50, wires: [] },
    { id: 'pump', type: 'test-sink', x: 500, y: 100, wires: [] },
    { id: 'pump-rejected', type: 'test-sink', x: 500, y: 140, wires: [] },
    { id: 'motor', type: 'test-sink', x: 500, y: 200, wires: [] },
    { id: 'motor-rejected', type: 'test-sink', x: 500, y: 240, wires: [] },
  ]);
}

interface Arrival {
  at: number;
  wall: number;
  readings: Reading[];
}

describe('plant-sim Modbus TCP server → modbus-read → modbus-map', () => {
  let runtime: EmbeddedRuntime;
  let port: number;
  const plant: Reading[][] = [];
  const pump: Arrival[] = [];
  const motor: Arrival[] = [];
  const rejected: Array<{ asset: string; error: Rejection }> = [];

  before(async () => {
    port = await freePort();
    onSink('plant', (msg) => plant.push(msg.payload as Reading[]));
    onSink('pump', (msg) => pump.push({ at: performance.now(), wall: Date.now(), readings: msg.payload as Reading[] }));
    onSink('motor', (msg) => motor.push({ at: performance.now(), wall: Date.now(), readings: msg.payload as Reading[] }));
    const reject = (msg: NodeMessageInFlow): void => {
      rejected.push({ asset: String(msg.topic), error: (msg as NodeMessageInFlow & { error: Rejection }).error });
    };
    onSink('pump-rejected', reject);
    onSink('motor-rejected', reject);
    runtime = await startRuntime(flow(port), { captureLevel: 30 });
  });

  after(async () => {
    await runtime?.stop();
  });

  it('delivers the plant\'s values with asset, sensor, unit, and the sample time or the poll time', async () => {
    await waitFor(() => pump.length >= 3 && motor.length >= 3, 15_000, 'polled readings of both assets');
    const last = pump[pump.length - 1];
    assert.deepEqual(
      last.readings.map((r) => [r.asset, r.sensor, r.unit]),
      [
        ['pump-1', 'vibration_rms', 'mm/s'], ['pump-1', 'vibration_peak', 'mm/s'], ['pump-1', 'bearing_temperature', '°C'],
        ['pump-1', 'winding_temperature', '°C'], ['pump-1', 'current', 'A'], ['pump-1', 'speed', 'rpm'],
        ['pump-1', 'pressure', 'bar'], ['pump-1', 'flow', 'm³/h'], ['pump-1', 'running_hours', 'h'],
      ],
    );
    // The input-register map has no timestamp entry: the motor's readings carry the poll time.
    for (const arrival of motor) assert.ok(arrival.readings.every((r) => r.ts <= arrival.wall && r.ts > arrival.wall - 1000), 'stamped when polled');
    // The holding map's sample_time entry stamps the pump's block with the plant tick it holds
    // (simulated time, to the nearest second), and its values are that tick's, to the registers' resolution.
    const decoded = new Map(last.readings.map((r) => [r.sensor, r.value]));
    const stamped = last.readings[0].ts;
    assert.ok(last.readings.every((r) => r.ts === stamped), 'one sample time for the block');
    const scales = registerMaps(sensorsOf('pump')).holding;
    const tick = plant.find((batch) => batch.some((r) => r.asset === 'pump-1' && Math.round(r.ts / 1000) * 1000 === stamped));
    assert.ok(tick, `no plant tick at the sample time ${new Date(stamped).toISOString()}`);
    const matches = tick.filter((r) => r.asset === 'pump-1')
      .every((r) => Math.abs((decoded.get(r.sensor) ?? NaN) - r.value) <= (scales[r.sensor].scale ?? 1) / 2 + 1e-9);
    assert.ok(matches, `decoded ${JSON.stringify([...decoded])} is not the plant tick at its sample time`);
    const running = decoded.get('running_hours') ?? 0;
    assert.ok(running > 0, 'running hours count up at the simulated rate');
    const motorSensors = motor[motor.length - 1].readings.map((r) => `${r.asset}/${r.sensor}`);
    assert.deepEqual(motorSensors.sort(), sensorsOf('motor').map((s) => `motor-1/${s}`).concat('motor-1/running_hours').sort());
  });

  it('rejects registers that cannot be decoded, with a reason', () => {
    const reasons = new Set(rejected.map((r) => `${r.asset}: ${r.error.code} ${r.error.reason}`));
    assert.ok(reasons.has('motor-1: NON_FINITE pressure: decodes to NaN'), [...reasons].join('\n'));
    assert.ok(reasons.has('pump-1: OUT_OF_RANGE spare: needs registers 20..20, the block has 14 (0..13)'), [...reasons].join('\n'));
  });

  it('survives a restart of the plant\'s server mid-stream and measures the time to resume', async () => {
    await deployChanged(runtime, flow(port, true));
    const stoppedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = pump.filter((a) => a.at > stoppedAt + 500).length;
    assert.equal(during, 0, 'no readings while the server is down');
    const restartedAt = performance.now();
    await deployChanged(runtime, flow(port, false));
    const upAt = performance.now();
    await waitFor(() => pump.some((a) => a.at > upAt) && motor.some((a) => a.at > upAt), 15_000, 'readings after the restart');
    const resumed = Math.max(pump.find((a) => a.at > upAt)?.at ?? NaN, motor.find((a) => a.at > upAt)?.at ?? NaN);
    console.log(`Modbus server restart: readings resumed ${(resumed - upAt).toFixed(0)} ms after the server was back `
      + `(${(resumed - restartedAt).toFixed(0)} ms after the redeploy began; client reconnect timeout 500 ms, poll every ${TICK_MS} ms)`);
    const errors = runtime.logs.filter((e) => e.level <= 20 && (e.type === 'modbus-map' || e.type === 'plant-sim'));
    assert.deepEqual(errors, []);
  });
});
