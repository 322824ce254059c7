/**
 * Throw-away X.509 certificates for TLS tests, made in memory at test time with node:crypto (P-256
 * keys, ECDSA-SHA256, valid for a day): a CA, and certificates it signs for a server on 127.0.0.1 /
 * localhost or for a client. Nothing is written to disk.
 */
import crypto from 'node:crypto';

export interface Issued {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

export interface TestCa extends Issued {
  /** A certificate for 127.0.0.1 and localhost (usage `server`) or a client name. */
  issue(commonName: string, usage: 'server' | 'client'): Issued;
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const explicit = (n: number, item: Buffer): Buffer => tlv(0xa0 + n, item);
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.from([0]), bytes);
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const trueValue = tlv(0x01, Buffer.from([0xff]));

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString();
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`));
}

const name = (commonName: string): Buffer => sequence(tlv(0x31, sequence(oid(OID.commonName), tlv(0x0c, Buffer.from(commonName)))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  sequence(oid(id), ...(critical ? [trueValue] : []), octetString(value));

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function certificate(subject: string, issuer: string, publicKey: crypto.KeyObject, signer: crypto.KeyObject, extensions: Buffer[]): string {
  const now = Date.now();
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(crypto.randomBytes(12)),
    algorithm,
    name(issuer),
    sequence(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  return pem('CERTIFICATE', sequence(tbs, algorithm, bitString(crypto.sign('sha256', tbs, signer))));
}

const keyPair = (): crypto.KeyPairKeyObjectResult => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyPem = (key: crypto.KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A new CA (a self-signed certificate allowed to sign others). */
export function createTestCa(commonName = 'pdm test CA'): TestCa {
  const ca = keyPair();
  const cert = certificate(commonName, commonName, ca.publicKey, ca.privateKey, [
    extension(OID.basicConstraints, true, sequence(trueValue)),
    // keyCertSign and cRLSign
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([1, 0x06]))),
  ]);
  return {
    cert,
    key: keyPem(ca.privateKey),
    issue: (subject, usage) => {
      const leaf = keyPair();
      const extensions = [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.extKeyUsage, false, sequence(oid(usage === 'server' ? OID.serverAuth : OID.clientAuth))),
      ];
      // IP address 127.0.0.1 ([7]) and DNS name localhost ([2]).
      if (usage === 'server') extensions.push(extension(OID.subjectAltName, false, sequence(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost')))));
      return { cert: certificate(subject, commonName, leaf.publicKey, ca.privateKey, extensions), key: keyPem(leaf.privateKey) };
    },
  };
}
