import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { startPlantOutlets } from '../../../nodes/lib/sim/outlets';

const ASSETS = [{ id: 'pump-1', kind: 'pump' as const }];

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('plant outlets', () => {
  it('start nothing when nothing is configured', async () => {
    const outlets = await startPlantOutlets(ASSETS, {});
    assert.deepEqual(outlets.describe(), []);
    outlets.update([]);
    await outlets.stop();
  });

  it('stop the outlets already started when a later one fails, and name the one that failed', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const free = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    try {
      await assert.rejects(
        startPlantOutlets(ASSETS, {
          modbus: { port: free, host: '127.0.0.1' },
          mqtt: { url: '', embeddedPort: taken, embeddedHost: '127.0.0.1', prefix: 'p', format: 'reading', qos: 0 },
        }),
        new RegExp(`embedded MQTT broker on 127.0.0.1:${taken} not started: .*EADDRINUSE`),
      );
      assert.equal(await listening(free), false, 'the Modbus server started first was stopped');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuse to serve OPC UA without a certificate folder', async () => {
    await assert.rejects(
      startPlantOutlets(ASSETS, { opcua: { port: 4840, host: '127.0.0.1', securityModes: ['None'], allowAnonymous: true } }),
      /OPC UA server on 127.0.0.1:4840 not started: no folder for its certificates/,
    );
  });
});
