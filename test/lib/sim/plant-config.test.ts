import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import ModbusRTU from 'modbus-serial';
import { parseArgs, sampleLines } from '../../../nodes/lib/sim/cli';
import { settingsFromConfig } from '../../../nodes/lib/sim/config';
import { PlantSimulator } from '../../../nodes/lib/sim/plant';

describe('plant-sim configuration', () => {
  it('builds N assets of one kind with defaults', () => {
    const s = settingsFromConfig({ assetCount: '3', assetKind: 'motor' });
    assert.deepEqual(s.plant.assets.map((a) => a.id), ['motor-1', 'motor-2', 'motor-3']);
    assert.deepEqual([s.tickMs, s.acceleration, s.plant.seed, s.plant.faults], [1000, 1440, 1, []]);
  });

  it('reads a JSON asset list and scenarios with string numbers from the editor', () => {
    const s = settingsFromConfig({
      assetMode: 'json',
      assetsJson: '[{"id":"P101","kind":"pump"},{"id":"C1","kind":"compressor"}]',
      scenarios: [{ asset: 'C1', fault: 'drift', onsetHours: '1.5', failureHours: '10', sensor: 'flow' }],
    });
    assert.deepEqual(s.plant.faults, [{ asset: 'C1', fault: 'drift', onsetHours: 1.5, failureHours: 10, sensor: 'flow' }]);
  });

  it('reads a random schedule', () => {
    const s = settingsFromConfig({ scheduleMode: 'random', ratePerMonth: '2', minFailureHours: 10, maxFailureHours: 20 });
    assert.deepEqual(s.plant.random, { ratePerMonth: 2, minFailureHours: 10, maxFailureHours: 20 });
    assert.equal(s.plant.faults, undefined);
  });

  for (const [name, config, reason] of [
    ['zero assets', { assetCount: 0 }, /asset count/],
    ['an unknown kind', { assetKind: 'turbine' }, /kind must be one of/],
    ['broken JSON', { assetMode: 'json', assetsJson: '[{' }, /JSON list/],
    ['duplicate ids', { assetMode: 'json', assetsJson: '[{"id":"a","kind":"pump"},{"id":"a","kind":"pump"}]' }, /twice/],
    ['an unknown asset', { scenarios: [{ asset: 'pump-9', fault: 'stuck', onsetHours: 1, failureHours: 1 }] }, /no asset pump-9/],
    ['an unknown fault', { scenarios: [{ asset: 'pump-1', fault: 'rust', onsetHours: 1, failureHours: 1 }] }, /fault must be one of/],
    ['cavitation on a motor', { assetKind: 'motor', scenarios: [{ asset: 'motor-1', fault: 'cavitation', onsetHours: 1, failureHours: 1 }] }, /pressure and flow/],
    ['a missing time to failure', { scenarios: [{ asset: 'pump-1', fault: 'stuck', onsetHours: 1 }] }, /required/],
    ['a sensor the kind lacks', { assetKind: 'motor', scenarios: [{ asset: 'motor-1', fault: 'stuck', onsetHours: 1, failureHours: 1, sensor: 'flow' }] }, /no sensor flow/],
    ['a zero acceleration', { acceleration: 0 }, /acceleration/],
    ['a tiny tick', { tickMs: 1 }, /tick interval/],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.throws(() => settingsFromConfig(config as Parameters<typeof settingsFromConfig>[0]), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_CONFIG');
        assert.match(err.message, reason);
        return true;
      });
    });
  }
});

describe('plant-sim server and waveform options', () => {
  it('are off unless enabled, and take defaults when enabled with blank fields', () => {
    const off = settingsFromConfig({});
    assert.deepEqual([off.modbus, off.mqtt, off.waveform], [undefined, undefined, undefined]);
    const on = settingsFromConfig({ modbusEnabled: true, modbusPort: '', mqttEnabled: true, waveformEnabled: true });
    assert.deepEqual(on.modbus, { port: 5020, host: '127.0.0.1' });
    assert.deepEqual(on.mqtt, { url: '', embeddedPort: 1885, embeddedHost: '127.0.0.1', prefix: 'plant', format: 'reading', qos: 0 });
    assert.deepEqual(on.waveform, { sampleRate: 12800, samples: 12800, bearingDefect: 'outer-race' });
    const opcua = settingsFromConfig({ opcuaEnabled: true, opcuaSecurityModes: 'None, SignAndEncrypt', opcuaAnonymous: false });
    assert.deepEqual(opcua.opcua, { port: 4840, host: '127.0.0.1', securityModes: ['None', 'SignAndEncrypt'], allowAnonymous: false });
  });

  it('rejects bad ports, broker URLs, formats, QoS, prefixes, defects and too many Modbus units', () => {
    assert.throws(() => settingsFromConfig({ modbusEnabled: true, modbusPort: '70000' }), /Modbus port must be a number from 0 to 65535/);
    assert.throws(() => settingsFromConfig({ modbusEnabled: true, assetCount: 248 }), /at most 247 assets/);
    assert.throws(() => settingsFromConfig({ mqttEnabled: true, mqttUrl: 'http://broker' }), /scheme http: is not one of/);
    assert.throws(() => settingsFromConfig({ mqttEnabled: true, mqttFormat: 'xml' }), /MQTT format must be one of reading, telemetry/);
    assert.throws(() => settingsFromConfig({ mqttEnabled: true, mqttQos: '2' }), /QoS must be a number from 0 to 1/);
    assert.throws(() => settingsFromConfig({ mqttEnabled: true, mqttPrefix: 'a/#' }), /wildcards/);
    assert.throws(() => settingsFromConfig({ waveformEnabled: true, bearingDefect: 'cage' }), /bearing defect must be one of/);
    assert.throws(() => settingsFromConfig({ opcuaEnabled: true, opcuaSecurityModes: 'None,Encrypt' }), /OPC UA security modes must be some of/);
    assert.throws(() => settingsFromConfig({ waveformEnabled: true, waveformSamples: '1000.5' }), /whole number of samples/);
  });
});

describe('plant-sim command line', () => {
  it('parses the documented options into the node configuration', () => {
    const o = parseArgs(['--assets', '4', '--acceleration', '1440', '--seed', '1', '--fault', 'pump-1:bearing-wear:24:120', '--hours', '6', '--fast']);
    const s = settingsFromConfig(o.config);
    assert.equal(s.plant.assets.length, 4);
    assert.equal(s.acceleration, 1440);
    assert.deepEqual(s.plant.faults, [{ asset: 'pump-1', fault: 'bearing-wear', onsetHours: 24, failureHours: 120 }]);
    assert.deepEqual([o.hours, o.fast], [6, true]);
    assert.throws(() => parseArgs(['--fast']), /--hours/);
    assert.throws(() => parseArgs(['--bogus']), /unknown option/);
  });

  it('prints truth and readings as JSON lines', () => {
    const sim = new PlantSimulator({ assets: [{ id: 'm', kind: 'motor' }], seed: 1, start: 0, faults: [{ asset: 'm', fault: 'stuck', onsetHours: 0, failureHours: 1 }] });
    const lines = sampleLines(sim.sample(0)).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines[0], { truth: { asset: 'm', fault: 'stuck', kind: 'onset', ts: 0, sensor: 'bearing_temperature' } });
    assert.equal(lines.length, 7);
    assert.deepEqual(Object.keys(lines[1]), ['asset', 'sensor', 'value', 'ts', 'unit']);
  });

  it('parses the server options and refuses to serve a --fast run', () => {
    const o = parseArgs(['--modbus', '5021', '--mqtt-embedded', '1886', '--mqtt-format', 'telemetry', '--mqtt-prefix', 'devices', '--quiet']);
    const s = settingsFromConfig(o.config);
    assert.deepEqual(s.modbus, { port: 5021, host: '127.0.0.1' });
    assert.deepEqual([s.mqtt?.url, s.mqtt?.embeddedPort, s.mqtt?.format, s.mqtt?.prefix, o.quiet], ['', 1886, 'telemetry', 'devices', true]);
    assert.equal(settingsFromConfig(parseArgs(['--mqtt', 'mqtt://broker:1883']).config).mqtt?.url, 'mqtt://broker:1883');
    assert.throws(() => parseArgs(['--modbus', '5020', '--hours', '1', '--fast']), /--fast cannot serve/);
  });

  it('serves the plant over Modbus TCP when run headless', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const cli = path.join(__dirname, '..', '..', '..', 'nodes', 'lib', 'sim', 'cli.js');
    const child = spawn(process.execPath, [cli, '--assets', '2', '--tick', '100', '--modbus', String(port), '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const serving = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => resolve(chunk.toString()));
        child.once('exit', (code) => reject(new Error(`the CLI exited with ${code}`)));
      });
      assert.match(serving, new RegExp(`serving Modbus TCP 127.0.0.1:${port}`));
      await new Promise((resolve) => setTimeout(resolve, 250));
      const client = new ModbusRTU();
      await client.connectTCP('127.0.0.1', { port });
      client.setID(2);
      const { data } = await client.readHoldingRegisters(5, 1);
      client.close(() => undefined);
      assert.ok(data[0] > 2800, `pump-2 speed ${data[0]} rpm`);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    assert.equal(child.exitCode, 0, 'a stopped CLI closes its server and exits cleanly');
  });
});
