import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeOpcuaError } from '../../../nodes/lib/protocols/opcua-errors';

describe('OPC UA error descriptions', () => {
  it('names socket failures by their code', () => {
    assert.match(describeOpcuaError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4840'), { code: 'ECONNREFUSED' })), /connection refused/);
    assert.match(describeOpcuaError(new Error('getaddrinfo ENOTFOUND plc')), /host not found/);
  });

  it('explains rejected users and untrusted certificates', () => {
    assert.equal(describeOpcuaError(new Error('ActivateSession failed: BadUserAccessDenied (0x801f0000)')), 'the server rejected the user name or password (BadUserAccessDenied)');
    assert.equal(
      describeOpcuaError(new Error('ActivateSession failed: BadIdentityTokenRejected (0x80210000)')),
      'the server does not accept the user certificate: its administrator must trust it for user login (BadIdentityTokenRejected)',
    );
    assert.match(describeOpcuaError(new Error('server Certificate verification failed with err BadCertificateUntrusted')), /move it from rejected\/ to trusted\/certs\//);
    assert.match(describeOpcuaError(new Error('Cannot find an Endpoint matching  security mode: 3 policy: x')), /no endpoint with this security mode/);
  });

  it('keeps the first line of anything else', () => {
    assert.equal(describeOpcuaError(new Error('something odd\nstack detail')), 'something odd');
    assert.equal(describeOpcuaError('plain'), 'plain');
  });
});
