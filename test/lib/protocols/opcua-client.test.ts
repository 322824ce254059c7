import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { OPCUACertificateManager, UserTokenType } from 'node-opcua';
import { userIdentity, withTimeout } from '../../../nodes/lib/protocols/opcua-client';
import { PKI_ROOT } from './opcua-fixture';

const USER_PKI = path.join(PKI_ROOT, 'x509-user');
const CERT_PEM = path.join(USER_PKI, 'own', 'certs', 'user.pem');
const KEY_PEM = path.join(USER_PKI, 'own', 'private', 'private_key.pem');

describe('OPC UA user identity', () => {
  before(async () => {
    if (fs.existsSync(CERT_PEM)) return;
    const store = new OPCUACertificateManager({ rootFolder: USER_PKI, disableFileWatchers: true });
    await store.initialize();
    await store.createSelfSignedCertificate({ applicationUri: 'urn:test:operator', subject: '/CN=operator', outputFile: CERT_PEM, startDate: new Date(), validity: 3650, dns: [] });
    await store.dispose();
  });

  it('is anonymous or a user name and password as configured', () => {
    assert.deepEqual(userIdentity({ type: 'anonymous' }), { type: UserTokenType.Anonymous });
    assert.deepEqual(userIdentity({ type: 'username', username: 'op', password: 'pw' }), { type: UserTokenType.UserName, userName: 'op', password: 'pw' });
  });

  it('reads an X.509 user certificate as DER from PEM or DER files, with its PEM key as a signing key', () => {
    const der = new X509Certificate(fs.readFileSync(CERT_PEM)).raw;
    const derFile = path.join(USER_PKI, 'user.der');
    fs.writeFileSync(derFile, der);
    for (const certificateFile of [CERT_PEM, derFile]) {
      const identity = userIdentity({ type: 'certificate', certificateFile, privateKeyFile: KEY_PEM });
      assert.equal(identity.type, UserTokenType.Certificate);
      if (identity.type !== UserTokenType.Certificate) return;
      assert.ok(Buffer.from(identity.certificateData).equals(der), certificateFile);
      assert.equal(identity.privateKey, undefined);
      assert.equal(typeof identity.keyOperations?.sign, 'function');
    }
  });

  it('refuses a private key that does not belong to the certificate', () => {
    const otherKey = path.join(USER_PKI, 'other_key.pem');
    fs.writeFileSync(otherKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.throws(() => userIdentity({ type: 'certificate', certificateFile: CERT_PEM, privateKeyFile: otherKey }), /does not belong to the user certificate/);
  });

  it('fails clearly on a missing certificate file', () => {
    assert.throws(() => userIdentity({ type: 'certificate', certificateFile: path.join(USER_PKI, 'nope.pem'), privateKeyFile: KEY_PEM }), /ENOENT/);
  });
});

describe('withTimeout', () => {
  it('passes a result through and fails slow work with the message', async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 1000, () => 'late'), 7);
    await assert.rejects(withTimeout(new Promise(() => undefined), 10, () => 'no answer'), /no answer/);
  });

  it('does not leave a late rejection unhandled', async () => {
    let rejectLate: (err: Error) => void = () => undefined;
    const late = new Promise<never>((_, reject) => {
      rejectLate = reject;
    });
    await assert.rejects(withTimeout(late, 10, () => 'timeout'), /timeout/);
    rejectLate(new Error('after the timeout'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
