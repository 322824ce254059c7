/**
 * opcua-in with an X.509 user identity over SignAndEncrypt against the plant's OPC UA server:
 * a user certificate in the server's trusted user certificates logs in and values flow; one
 * that is not is refused with a status that says so, and the server files it as rejected.
 * The user certificates and keys are made afresh in a temporary folder for every run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPCUACertificateManager } from 'node-opcua';
import type { NodeMessageInFlow } from 'node-red';
import type { Reading } from '../../nodes/lib/reading';
import { startPlantOpcuaServer, type PlantOpcuaServer } from '../../nodes/lib/sim/opcua-server';
import { freePort, SERVER_PKI, TEST_ASSETS } from '../lib/protocols/opcua-fixture';
import { onSink, onTab, startRuntime, waitFor, type EmbeddedRuntime, type FlowNode } from '../support/runtime';

interface UserCertificate {
  certificateFile: string;
  privateKeyFile: string;
}

interface StatusMsg extends NodeMessageInFlow {
  status: { fill?: string; text?: string };
}

/** A self-signed user certificate with its own RSA key, as an operator would be issued. */
async function createUserCertificate(folder: string, name: string): Promise<UserCertificate> {
  const store = new OPCUACertificateManager({ rootFolder: path.join(folder, name), disableFileWatchers: true });
  await store.initialize();
  const certificateFile = path.join(store.rootDir, 'own', 'certs', `${name}.pem`);
  await store.createSelfSignedCertificate({ applicationUri: `urn:plant:user:${name}`, subject: `/CN=${name}`, outputFile: certificateFile, startDate: new Date(), validity: 30, dns: [] });
  await store.dispose();
  return { certificateFile, privateKeyFile: path.join(store.rootDir, 'own', 'private', 'private_key.pem') };
}

function x509Flow(endpointUrl: string, user: UserCertificate): FlowNode[] {
  return onTab([
    {
      id: 'ep', type: 'opcua-endpoint', endpointUrl, connectTimeout: 10, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256',
      authType: 'certificate', userCertificate: user.certificateFile, userPrivateKey: user.privateKeyFile,
    },
    {
      id: 'in', type: 'opcua-in', endpoint: 'ep', samplingInterval: 0, publishingInterval: 100, output: 'batch', x: 100, y: 100,
      items: [{ item: 'ns=1;s=pump-1.vibration' }, { item: '/Plant/motor-1/current' }],
      wires: [['readings'], []],
    },
    { id: 'readings', type: 'test-sink', x: 300, y: 100, wires: [] },
    { id: 'st', type: 'status', scope: ['in'], x: 100, y: 200, wires: [['status']] },
    { id: 'status', type: 'test-sink', x: 300, y: 200, wires: [] },
  ]);
}

describe('opcua-in with an X.509 user identity', () => {
  let runtime: EmbeddedRuntime;
  let server: PlantOpcuaServer;
  let feeder: NodeJS.Timeout;
  let folder: string;
  let trusted: UserCertificate;
  let stranger: UserCertificate;
  let userPkiDir: string;
  const readings: Reading[] = [];
  const statuses: StatusMsg['status'][] = [];

  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-opcua-x509-'));
    [trusted, stranger] = [await createUserCertificate(folder, 'operator'), await createUserCertificate(folder, 'stranger')];
    userPkiDir = path.join(folder, 'server-users');
    // The server's administrator trusts the operator's certificate for user login.
    fs.mkdirSync(path.join(userPkiDir, 'trusted', 'certs'), { recursive: true });
    fs.copyFileSync(trusted.certificateFile, path.join(userPkiDir, 'trusted', 'certs', 'operator.pem'));
    server = await startPlantOpcuaServer(TEST_ASSETS, {
      port: await freePort(), host: '127.0.0.1', pkiDir: SERVER_PKI, userPkiDir, allowAnonymous: false, users: [], securityModes: ['SignAndEncrypt'],
    });
    let serial = 0;
    feeder = setInterval(() => {
      serial++;
      const ts = Date.now();
      server.update([{ asset: 'pump-1', sensor: 'vibration', value: serial, ts }, { asset: 'motor-1', sensor: 'current', value: 10, ts }]);
    }, 100);

    runtime = await startRuntime([{ id: 'empty', type: 'tab', label: 'empty' }]);
    // The client trusts the server certificate, as the help describes.
    const clientTrusted = path.join(runtime.userDir, 'opcua', 'pki', 'trusted', 'certs');
    fs.mkdirSync(clientTrusted, { recursive: true });
    fs.copyFileSync(path.join(SERVER_PKI, 'own', 'certs', 'certificate.pem'), path.join(clientTrusted, 'plant-sim.pem'));
    onSink('readings', (msg) => readings.push(...(msg.payload as Reading[])));
    onSink('status', (msg) => statuses.push((msg as StatusMsg).status));
  });

  after(async () => {
    clearInterval(feeder);
    await runtime?.stop();
    await server?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('logs in with a trusted user certificate and receives values over SignAndEncrypt', async () => {
    readings.length = 0;
    statuses.length = 0;
    await runtime.deploy(x509Flow(server.endpointUrl, trusted));
    await waitFor(() => readings.some((r) => r.sensor === 'vibration') && readings.some((r) => r.sensor === 'current'), 60_000, 'readings with the X.509 user');
    const current = readings.find((r) => r.sensor === 'current') as Reading;
    assert.deepEqual([current.asset, current.unit, current.value, current.quality], ['motor-1', 'A', 10, 'good']);
    await waitFor(() => statuses.some((s) => s.fill === 'green'), 10_000, 'a green status');
  });

  it('is refused with a clear status for a user certificate the server does not trust', async () => {
    await runtime.deploy([{ id: 'empty', type: 'tab', label: 'empty' }]);
    readings.length = 0;
    statuses.length = 0;
    await runtime.deploy(x509Flow(server.endpointUrl, stranger));
    await waitFor(() => statuses.some((s) => s.fill === 'red'), 60_000, 'a red status');
    const red = statuses.find((s) => s.fill === 'red');
    assert.match(String(red?.text), /does not accept the user certificate.*BadIdentityTokenRejected/);
    assert.equal(readings.length, 0);
    // Where the server's administrator finds it, to trust it by moving it to trusted/certs/.
    const rejected = fs.readdirSync(path.join(userPkiDir, 'rejected'));
    assert.equal(rejected.length, 1, rejected.join(', '));
    await runtime.deploy([{ id: 'empty', type: 'tab', label: 'empty' }]);
  });
});
