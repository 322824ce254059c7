import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointOptionsFromConfig, inOptionsFromConfig } from '../../../nodes/lib/protocols/opcua-config';

const resolve = (p: string): string => `/user/${p}`;

describe('opcua-endpoint configuration', () => {
  it('defaults to no security, anonymous and a 10 s connect timeout', () => {
    assert.deepEqual(endpointOptionsFromConfig({ endpointUrl: ' opc.tcp://plc:4840 ' }, undefined, resolve), {
      endpointUrl: 'opc.tcp://plc:4840', securityMode: 'None', securityPolicy: 'None', auth: { type: 'anonymous' }, connectTimeoutMs: 10_000,
    });
  });

  it('reads a secured endpoint with a user name and password', () => {
    const o = endpointOptionsFromConfig({ endpointUrl: 'opc.tcp://plc:4840/UA', securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', authType: 'username', connectTimeout: '3' },
      { username: 'op', password: 'pw' }, resolve);
    assert.deepEqual([o.securityMode, o.securityPolicy, o.auth, o.connectTimeoutMs], ['SignAndEncrypt', 'Aes256_Sha256_RsaPss', { type: 'username', username: 'op', password: 'pw' }, 3000]);
  });

  it('resolves X.509 user files against the user directory', () => {
    const o = endpointOptionsFromConfig({ endpointUrl: 'opc.tcp://plc:4840', authType: 'certificate', userCertificate: 'u.pem', userPrivateKey: 'k.pem' }, undefined, resolve);
    assert.deepEqual(o.auth, { type: 'certificate', certificateFile: '/user/u.pem', privateKeyFile: '/user/k.pem' });
  });

  for (const [name, config, reason] of [
    ['an http URL', { endpointUrl: 'http://plc' }, /opc\.tcp/],
    ['an empty URL', { endpointUrl: '' }, /opc\.tcp/],
    ['an unknown mode', { endpointUrl: 'opc.tcp://a:1', securityMode: 'Encrypt' }, /security mode/],
    ['a deprecated policy', { endpointUrl: 'opc.tcp://a:1', securityMode: 'Sign', securityPolicy: 'Basic128Rsa15' }, /security policy/],
    ['a user without name', { endpointUrl: 'opc.tcp://a:1', authType: 'username' }, /user name/],
    ['a certificate without key', { endpointUrl: 'opc.tcp://a:1', authType: 'certificate', userCertificate: 'c.pem' }, /private key/],
    ['a zero timeout', { endpointUrl: 'opc.tcp://a:1', connectTimeout: '0' }, /connect timeout/],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.throws(() => endpointOptionsFromConfig(config, undefined, resolve), (err: Error & { code?: string }) => err.code === 'INVALID_CONFIG' && reason.test(err.message));
    });
  }
});

describe('opcua-in configuration', () => {
  it('has 1 s sampling and publishing, no deadband, batches', () => {
    const o = inOptionsFromConfig({ items: [{ item: 'ns=1;s=a.b' }] });
    assert.deepEqual([o.samplingIntervalMs, o.publishingIntervalMs, o.queueSize, o.deadband, o.output], [1000, 1000, 2, { type: 'none', value: 0 }, 'batch']);
  });

  it('queues enough values per item for one publish of fast samples', () => {
    assert.equal(inOptionsFromConfig({ items: [{ item: 'i=1' }], samplingInterval: '100', publishingInterval: '1000' }).queueSize, 11);
    assert.equal(inOptionsFromConfig({ items: [{ item: 'i=1' }], samplingInterval: 0 }).queueSize, 1000);
  });

  it('reads a deadband', () => {
    assert.deepEqual(inOptionsFromConfig({ items: [{ item: 'i=1' }], deadbandType: 'percent', deadband: '2.5' }).deadband, { type: 'percent', value: 2.5 });
  });

  for (const [name, config, reason] of [
    ['no items', {}, /items list is empty/],
    ['a 5 ms publishing interval', { publishingInterval: 5 }, /publishing interval/],
    ['a negative sampling interval', { samplingInterval: '-1' }, /sampling interval/],
    ['a percent deadband over 100', { deadbandType: 'percent', deadband: 150 }, /deadband/],
    ['an unknown output', { output: 'stream' }, /output/],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.throws(() => inOptionsFromConfig({ items: name === 'no items' ? undefined : [{ item: 'i=1' }], ...config }),
        (err: Error & { code?: string }) => err.code === 'INVALID_CONFIG' && reason.test(err.message));
    });
  }
});
