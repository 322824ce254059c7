/**
 * The test broker's SCRAM server against RFC 7677's worked example (SCRAM-SHA-256, user "user",
 * password "pencil"), and its refusals: a wrong proof, a changed nonce, a stranger, a second round.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SaslServer, type SaslExchange, type SaslStep } from '../../support/kafka/sasl';

const RFC7677 = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function rfcServer(password = 'pencil'): SaslExchange {
  const server = new SaslServer({ username: 'user', password }, ['SCRAM-SHA-256'], {
    salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
    iterations: 4096,
    serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  });
  return server.start('SCRAM-SHA-256') as SaslExchange;
}

const text = (step: SaslStep): string => ('failed' in step ? `failed: ${step.failed}` : step.token.toString());

describe('test broker SCRAM', () => {
  it('answers RFC 7677 with its server-first message and verifies the proof', () => {
    const exchange = rfcServer();
    assert.equal(text(exchange.step(Buffer.from(RFC7677.clientFirst))), RFC7677.serverFirst);
    const final = exchange.step(Buffer.from(RFC7677.clientFinal));
    assert.deepEqual(final, { token: Buffer.from(RFC7677.serverFinal), done: true });
    assert.match(text(exchange.step(Buffer.from(RFC7677.clientFinal))), /^failed: /, 'nothing after the last round');
  });

  it('refuses a proof made with another password, a changed nonce and an unknown user', () => {
    const wrongPassword = rfcServer('not-pencil');
    wrongPassword.step(Buffer.from(RFC7677.clientFirst));
    assert.equal(text(wrongPassword.step(Buffer.from(RFC7677.clientFinal))), 'failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256');

    const changedNonce = rfcServer();
    changedNonce.step(Buffer.from(RFC7677.clientFirst));
    assert.match(text(changedNonce.step(Buffer.from(RFC7677.clientFinal.replace('$k0,', '$k1,')))), /^failed: /);

    assert.match(text(rfcServer().step(Buffer.from('n,,n=someone,r=abc'))), /^failed: /);
    assert.match(text(rfcServer().step(Buffer.from('p=tls-unique,,n=user,r=abc'))), /^failed: /, 'no channel binding');
    assert.match(text(rfcServer().step(Buffer.from('n,,n=us=er,r=abc'))), /^failed: /, 'an "=" not escaped');
  });

  it('offers only the mechanisms it is given', () => {
    const server = new SaslServer({ username: 'u', password: 'p' }, ['SCRAM-SHA-512']);
    assert.equal(server.start('PLAIN'), undefined);
    assert.equal(server.start('SCRAM-SHA-256'), undefined);
    assert.ok(server.start('SCRAM-SHA-512'));
  });
});
