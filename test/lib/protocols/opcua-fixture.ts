/**
 * Shared set-up for the OPC UA tests: free ports, and PKI folders kept in the temp directory
 * across runs (creating an RSA certificate takes seconds on a small machine).
 */
import fs from 'node:fs';
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

/**
 * Copies the server's own certificate into a client PKI's trust list, as an operator does by
 * moving it from rejected/ to trusted/certs/.
 */
export function trustServerCertificate(clientPki: string): void {
  const ownCerts = path.join(SERVER_PKI, 'own', 'certs');
  const trusted = path.join(clientPki, 'trusted', 'certs');
  fs.mkdirSync(trusted, { recursive: true });
  for (const file of fs.readdirSync(ownCerts)) {
    if (file.endsWith('.pem') || file.endsWith('.der')) fs.copyFileSync(path.join(ownCerts, file), path.join(trusted, `plant-sim-${file}`));
  }
}
