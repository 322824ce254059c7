/**
 * Shared set-up for the OPC UA tests: free ports, and PKI folders kept in the temp directory
 * across runs (creating an RSA certificate takes seconds on a small machine).
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PKI_ROOT = path.join(os.tmpdir(), 'pdm-opcua-test-pki');
export const SERVER_PKI = path.join(PKI_ROOT, 'server');

export const TEST_ASSETS = [
  { asset: 'pump-1', sensors: [{ sensor: 'vibration', unit: 'mm/s' }, { sensor: 'temperature', unit: '°C' }] },
  { asset: 'motor-1', sensors: [{ sensor: 'current', unit: 'A' }] },
];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
