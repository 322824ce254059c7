/**
 * kafka-broker's SASL and TLS settings end to end, against test brokers of their own (a real
 * cluster's users and certificates are not known here): kafka-out and kafka-in work with PLAIN,
 * SCRAM-SHA-256 and SCRAM-SHA-512, over TLS with the CA verified and a client certificate, and with
 * SCRAM inside TLS; a wrong password, an untrusted CA or a missing client certificate shows why in
 * the status.
 */
import assert from 'node:assert/strict';
import { afterEach, before, after, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import { recorder } from '../support/node-helper';
import { startTestKafka, type TestKafka } from '../support/kafka/broker';
import { kafkaNodes as nodes, statuses, unique, type FlowItem, type StatusLike } from '../support/kafka/nodes';
import type { SaslMechanismName } from '../support/kafka/sasl';
import { createTestCa, type TestCa } from '../support/tls-certs';
import { waitFor } from '../support/runtime';

helper.init(require.resolve('node-red'));

const USER = { username: 'plant', password: 'right-password' };
const MECHANISMS: Array<[SaslMechanismName, string]> = [['PLAIN', 'plain'], ['SCRAM-SHA-256', 'scram-sha-256'], ['SCRAM-SHA-512', 'scram-sha-512']];

/** kafka-out → topic → kafka-in → helper `got`, all through the kafka-broker `b`. */
function roundTrip(topic: string, broker: Record<string, unknown>): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'b', type: 'kafka-broker', ...broker },
    { id: 'out', z: 'f', type: 'kafka-out', broker: 'b', topic, lingerMs: 1, wires: [] },
    { id: 'in', z: 'f', type: 'kafka-in', broker: 'b', topics: topic, groupId: unique('secure'), output: 'message', commitInterval: 100, sessionTimeout: 6, wires: [['got'], [], []] },
    { id: 'got', z: 'f', type: 'helper' },
  ];
}

/** Sends three readings through kafka-out and waits for kafka-in to hand them on, in order. */
async function assertRoundTrip(): Promise<void> {
  const got = recorder<NodeMessage & { payload: { value: number } | Array<{ value: number }> }>('got');
  const out = helper.getNode('out');
  for (let i = 0; i < 3; i++) out.receive({ payload: { asset: 'press-1', sensor: 'force', value: i, ts: 1_700_000_000_000 + i } } as NodeMessage);
  // kafka-out puts an asset's readings of one linger period into one record: a message may hold several.
  const values = (): number[] => got.messages.flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload])).map((r) => r.value);
  await waitFor(() => values().length >= 3, 20_000, 'the three readings back');
  assert.deepEqual(values(), [0, 1, 2]);
}

/** The first red status, once there is one. */
async function firstError(seen: StatusLike[], what: string): Promise<string> {
  await waitFor(() => seen.some((s) => s.fill === 'red'), 20_000, what);
  return String(seen.find((s) => s.fill === 'red')?.text);
}

const errorLogs = (): unknown[] => helper.log().args.filter((a: Array<{ level: number }>) => a[0].level <= 20);

describe('kafka-broker security', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  for (const [mechanism, setting] of MECHANISMS) {
    it(`kafka-out and kafka-in authenticate with SASL ${mechanism}`, async () => {
      // A broker that offers only this mechanism, so nothing else can have been used.
      const broker = await startTestKafka({ sasl: { ...USER, mechanisms: [mechanism] } });
      try {
        await helper.load(nodes, roundTrip(unique('pdm.sasl'), { brokers: broker.address, sasl: setting }), { b: USER });
        await assertRoundTrip();
        assert.ok(broker.authentications.succeeded >= 2, 'the producer and the consumer authenticated');
        assert.equal(broker.authentications.failed, 0);
        assert.deepEqual(broker.unsupported, []);
      } finally {
        await helper.unload();
        await broker.close();
      }
    });
  }

  for (const [mechanism, setting] of MECHANISMS) {
    it(`a wrong ${mechanism} password shows in the status of both nodes, retried with a growing pause`, async () => {
      const broker = await startTestKafka({ sasl: { ...USER, mechanisms: [mechanism] } });
      try {
        await helper.load(nodes, roundTrip(unique('pdm.denied'), { brokers: broker.address, sasl: setting }), { b: { username: USER.username, password: 'wrong-password' } });
        const outStatus = statuses(helper.getNode('out'));
        const inStatus = statuses(helper.getNode('in'));
        const reason = mechanism === 'PLAIN' ? 'invalid username or password' : `invalid credentials with SASL mechanism ${mechanism}`;
        for (const [seen, node] of [[outStatus, 'kafka-out'], [inStatus, 'kafka-in']] as const) {
          assert.match(await firstError(seen, `${node} red`), new RegExp(`^authentication failed: .*${reason} · retry in 1 s$`));
        }
        // Each failed attempt doubles the pause (0.5, 1, 2, 4 s …): the nodes keep trying, visibly and ever more slowly.
        await waitFor(() => outStatus.some((s) => / · retry in 4 s$/.test(String(s.text))), 30_000, 'the fourth failed attempt');
        // kafka-out has failed four times by now, kafka-in about as often (they start together):
        // one attempt per status shown, no hidden retries besides (kafkajs's own would triple them).
        const failed = broker.authentications.failed;
        assert.ok(failed >= 6 && failed <= 10, `${failed} failed attempts for four by each node`);
        assert.equal(broker.authentications.succeeded, 0);
        assert.ok(!outStatus.concat(inStatus).some((s) => s.fill === 'green'), 'never shown as connected');
        assert.deepEqual(errorLogs(), []);
      } finally {
        await helper.unload();
        await broker.close();
      }
    });
  }

  describe('over TLS', () => {
    let ca: TestCa;
    let broker: TestKafka;
    let client: { cert: string; key: string };

    before(async () => {
      ca = createTestCa();
      // The broker requires a client certificate signed by the same CA (mutual TLS).
      broker = await startTestKafka({ tls: { ...ca.issue('127.0.0.1', 'server'), ca: ca.cert } });
      client = ca.issue('node-red', 'client');
    });
    after(() => broker.close());

    it('kafka-out and kafka-in connect with the CA verified and a client certificate', async () => {
      // A password field drops the key's line breaks: the broker node restores them.
      const flatKey = client.key.replace(/\n/g, '');
      await helper.load(nodes, roundTrip(unique('pdm.tls'), { brokers: broker.address, tls: true, tlsVerify: true }), { b: { ca: ca.cert, cert: client.cert, key: flatKey } });
      await assertRoundTrip();
      assert.deepEqual(broker.unsupported, []);
    });

    it('an untrusted CA or a missing client certificate shows as a TLS problem; unverified, the same broker is reached', async () => {
      const other = createTestCa('another CA');
      const flow: FlowItem[] = [
        { id: 'f', type: 'tab' },
        { id: 'untrusted', type: 'kafka-broker', brokers: broker.address, tls: true, tlsVerify: true, connectionTimeout: 2000 },
        { id: 'anonymous', type: 'kafka-broker', brokers: broker.address, tls: true, tlsVerify: true, connectionTimeout: 2000 },
        { id: 'unverified', type: 'kafka-broker', brokers: broker.address, tls: true, tlsVerify: false, connectionTimeout: 2000 },
        { id: 'out1', z: 'f', type: 'kafka-out', broker: 'untrusted', wires: [] },
        { id: 'out2', z: 'f', type: 'kafka-out', broker: 'anonymous', wires: [] },
        { id: 'out3', z: 'f', type: 'kafka-out', broker: 'unverified', wires: [] },
      ];
      await helper.load(nodes, flow, {
        untrusted: { ca: other.cert, cert: client.cert, key: client.key },
        anonymous: { ca: ca.cert },
        unverified: { cert: client.cert, key: client.key },
      });
      const [untrusted, anonymous, unverified] = ['out1', 'out2', 'out3'].map((id) => statuses(helper.getNode(id)));
      assert.match(await firstError(untrusted, 'a status for the untrusted CA'), /^TLS handshake failed: the broker's certificate is not signed by a trusted CA \([A-Z_]+\) · retry in \d+ s$/);
      assert.match(await firstError(anonymous, 'a status for the missing client certificate'), /^TLS handshake failed: the broker ended the handshake: certificate required · retry in \d+ s$/);
      await waitFor(() => unverified.some((s) => s.fill === 'green'), 20_000, 'the unverified connection');
      assert.ok(!unverified.some((s) => s.fill === 'red'));
    });

    it('authenticates with SCRAM-SHA-512 inside TLS', async () => {
      const secured = await startTestKafka({ tls: ca.issue('127.0.0.1', 'server'), sasl: { ...USER, mechanisms: ['SCRAM-SHA-512'] } });
      try {
        await helper.load(nodes, roundTrip(unique('pdm.tls.scram'), { brokers: secured.address, tls: true, sasl: 'scram-sha-512' }), { b: { ...USER, ca: ca.cert } });
        await assertRoundTrip();
        assert.ok(secured.authentications.succeeded >= 2);
        assert.deepEqual(secured.unsupported, []);
      } finally {
        await helper.unload();
        await secured.close();
      }
    });

    it('refuses a CA that is not PEM text, naming the field', async () => {
      await helper.load(nodes, roundTrip(unique('pdm.badpem'), { brokers: broker.address, tls: true }), { b: { ca: 'not a certificate' } });
      const logged = helper.log().args.map((a: Array<{ msg?: unknown }>) => String(a[0].msg));
      assert.ok(logged.some((m: string) => /the CA certificate must be PEM text/.test(m)), logged.join('\n'));
    });
  });
});
