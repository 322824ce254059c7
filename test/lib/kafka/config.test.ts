import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerSettingsFromConfig, parseBrokerList, parseTopics, pemText, unsetVariable } from '../../../nodes/lib/kafka/config';
import { classifyKafkaError } from '../../../nodes/lib/kafka/errors';
import { decodeRecord, groupByKey, PartitionKeys, toRecords, topicOf } from '../../../nodes/lib/kafka/records';

describe('kafka settings', () => {
  it('reads a broker list and rejects what is not host:port', () => {
    assert.deepEqual(parseBrokerList('k1:9092, k2:9093 [::1]:9094'), ['k1:9092', 'k2:9093', '[::1]:9094']);
    assert.deepEqual(parseBrokerList(''), []);
    assert.deepEqual(parseBrokerList('${KAFKA_BROKERS}'), [], 'an unset variable leaves the nodes idle');
    assert.equal(unsetVariable('${KAFKA_BROKERS}'), 'KAFKA_BROKERS');
    assert.throws(() => parseBrokerList('k1'), /"k1" is not host:port/);
    assert.throws(() => parseBrokerList('k1:70000'), /not host:port/);
    assert.throws(() => parseBrokerList(42), /must be text/);
  });

  it('takes SASL and TLS from the credentials', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n';
    const s = brokerSettingsFromConfig({ brokers: 'k:9092', sasl: 'scram-sha-512', tls: true, tlsVerify: false }, { username: 'u', password: 'p', ca });
    assert.deepEqual(s.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    assert.deepEqual(s.tls, { rejectUnauthorized: false, ca });
    assert.deepEqual(brokerSettingsFromConfig({ brokers: 'k:9092', tls: true }).tls, { rejectUnauthorized: true }, 'verified unless unticked');
    assert.throws(() => brokerSettingsFromConfig({ brokers: 'k:9092', tls: true }, { cert: ca }), /client certificate needs its key/);
    assert.throws(() => brokerSettingsFromConfig({ brokers: 'k:9092', tls: true }, { ca: 'PEM' }), /CA certificate must be PEM text/);
    assert.equal(s.clientId, 'node-red-pdm');
    assert.throws(() => brokerSettingsFromConfig({ brokers: 'k:9092', sasl: 'gssapi' }), /SASL mechanism must be one of/);
    assert.throws(() => brokerSettingsFromConfig({ brokers: 'k:9092', sasl: 'plain' }), /needs a username/);
    assert.throws(() => brokerSettingsFromConfig({ brokers: 'k:9092', clientId: 'a b' }), /client id/);
    assert.throws(() => brokerSettingsFromConfig({ brokers: 'k:9092', connectionTimeout: 'x' }), /connection timeout/);
  });

  it('restores the line breaks of PEM text pasted into a one-line field', () => {
    const body = 'A'.repeat(100);
    const wrapped = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'A'.repeat(36)}\n-----END PRIVATE KEY-----\n`;
    assert.equal(pemText(`-----BEGIN PRIVATE KEY-----${body}-----END PRIVATE KEY-----`, 'client key'), wrapped);
    assert.equal(pemText(wrapped, 'client key'), wrapped, 'well-formed text stays as it is');
    const chain = pemText('-----BEGIN CERTIFICATE-----QUJD-----END CERTIFICATE----- -----BEGIN CERTIFICATE-----REVG-----END CERTIFICATE-----', 'CA certificate');
    assert.equal(chain, '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nREVG\n-----END CERTIFICATE-----\n');
    assert.throws(() => pemText('-----BEGIN CERTIFICATE-----QU#D-----END CERTIFICATE-----', 'CA certificate'), /CA certificate is not valid PEM/);
  });

  it('validates topic names', () => {
    assert.deepEqual(parseTopics('', ['maintenance.sensors.raw']), ['maintenance.sensors.raw']);
    assert.deepEqual(parseTopics('a, b.c', []), ['a', 'b.c']);
    assert.throws(() => parseTopics('bad/topic', []), /not a valid Kafka topic name/);
  });
});

describe('kafka errors', () => {
  it('names the problem from the error chain, not from message text', () => {
    const refused = { name: 'KafkaJSNumberOfRetriesExceeded', message: 'x', cause: { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED', message: 'Connection error: connect ECONNREFUSED' } };
    assert.deepEqual(classifyKafkaError(refused), { problem: 'refused', detail: 'Connection error: connect ECONNREFUSED' });
    assert.equal(classifyKafkaError({ name: 'KafkaJSConnectionError', code: 'ENOTFOUND', message: 'y' }).problem, 'dns');
    assert.equal(classifyKafkaError({ name: 'KafkaJSSASLAuthenticationError', message: 'SASL PLAIN authentication failed' }).problem, 'auth');
    assert.equal(classifyKafkaError({ name: 'KafkaJSProtocolError', type: 'SASL_AUTHENTICATION_FAILED', message: 'z' }).problem, 'auth');
    assert.deepEqual(classifyKafkaError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self signed' }), { problem: 'tls', detail: "the broker's certificate is not signed by a trusted CA (DEPTH_ZERO_SELF_SIGNED_CERT)" });
    const alert = { name: 'KafkaJSConnectionError', code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'Connection error: 80AC…:SSL alert number 116\n' };
    assert.deepEqual(classifyKafkaError(alert), { problem: 'tls', detail: 'the broker ended the handshake: certificate required' });
    assert.equal(classifyKafkaError(new Error('something else')).problem, 'other');
    const loop: { message: string; cause?: unknown } = { message: 'loop' };
    loop.cause = loop;
    assert.equal(classifyKafkaError(loop).problem, 'other');
  });
});

describe('kafka records', () => {
  it('keys each item by its asset and stamps it with its event time', () => {
    const { records, rejected } = toRecords([{ asset: 'p1', sensor: 't', value: 1, ts: 1_700_000_000_000 }, { asset: 'p2', id: 'x', updatedAt: 5 }, { sensor: 't' }, 7], 'asset');
    assert.deepEqual(records.map((r) => [r.key, r.timestamp]), [['p1', 1_700_000_000_000], ['p2', 5]]);
    assert.deepEqual(JSON.parse(records[0].value), { asset: 'p1', sensor: 't', value: 1, ts: 1_700_000_000_000 });
    assert.deepEqual(rejected.map((r) => r.error.code), ['MISSING_FIELD', 'INVALID_PAYLOAD']);
  });

  it('groups the records of a send into one JSON array per key, in order', () => {
    const grouped = groupByKey([
      { key: 'p1', value: '{"v":1}', timestamp: 10 }, { key: 'p2', value: '{"v":2}', timestamp: 11 }, { key: 'p1', value: '{"v":3}', timestamp: 12 },
    ]);
    assert.deepEqual(grouped, [{ key: 'p1', value: '[{"v":1},{"v":3}]', timestamp: 10 }, { key: 'p2', value: '[{"v":2}]', timestamp: 11 }]);
  });

  it('remembers the keys seen per partition, up to a limit, for the hand-over', () => {
    const keys = new PartitionKeys(3);
    keys.add('raw/0', { asset: 'p1', sensor: 't' }, 'p1');
    keys.add('raw/0', { asset: 'p1', sensor: 't' }, 'p1');
    keys.add('raw/0', { asset: 'p1', sensor: 'v' }, 'p1');
    keys.add('raw/0', { id: 'alert-1' }, 'p2');
    keys.add('raw/0', { asset: 'p3' }, 'p3');
    keys.add('raw/1', 'text', null);
    assert.deepEqual(keys.take('raw/0'), ['p1/t', 'p1/v', 'p2']);
    assert.deepEqual(keys.take('raw/0'), [], 'taken once');
    assert.deepEqual(keys.take('raw/1'), []);
  });

  it('refuses a payload with too many items', () => {
    const { records, rejected } = toRecords(new Array(100_001).fill({ asset: 'a' }), 'asset');
    assert.equal(records.length, 0);
    assert.equal(rejected[0].error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('decodes JSON values and reports what is not JSON', () => {
    const ok = decodeRecord({ offset: '3', key: Buffer.from('p1'), value: Buffer.from('{"asset":"p1","sensor":"t"}'), timestamp: '1' }, 'json');
    assert.deepEqual(ok, { value: { asset: 'p1', sensor: 't' }, key: 'p1' });
    assert.equal(topicOf(ok.value, ok.key), 'p1/t');
    const bad = decodeRecord({ offset: '4', key: null, value: Buffer.from('not json'), timestamp: '1' }, 'json');
    assert.equal(bad.error?.code, 'INVALID_PAYLOAD');
    assert.match(String(bad.error?.reason), /offset 4 is not JSON/);
    assert.deepEqual(decodeRecord({ offset: '5', key: null, value: Buffer.from('text'), timestamp: '1' }, 'string'), { value: 'text', key: null });
  });
});
