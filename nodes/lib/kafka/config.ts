/**
 * kafka-broker settings: the broker list, client id, SASL and TLS, validated from the editor's
 * strings and the node's credentials into one plain object the client adapter understands.
 */
import { PdmError } from '../errors';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface BrokerSettings {
  brokers: string[];
  clientId: string;
  tls?: { rejectUnauthorized: boolean; ca?: string; cert?: string; key?: string };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  connectionTimeoutMs: number;
}

export interface BrokerConfig {
  brokers?: unknown;
  clientId?: unknown;
  tls?: unknown;
  tlsVerify?: unknown;
  sasl?: unknown;
  connectionTimeout?: unknown;
}

export interface BrokerCredentials {
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

const MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];
const DEFAULT_CLIENT_ID = 'node-red-pdm';
const DEFAULT_CONNECTION_TIMEOUT_MS = 3000;

/** The name in a "${NAME}" reference that Node-RED left as it is because the variable is not set. */
export function unsetVariable(value: unknown): string | undefined {
  return typeof value === 'string' ? /^\s*\$\{(\w+)\}\s*$/.exec(value)?.[1] : undefined;
}

/**
 * "host:port, host:port" → ["host:port", …]. An empty list, or a reference to an unset environment
 * variable, is allowed: the nodes then stay idle and say so.
 */
export function parseBrokerList(value: unknown): string[] {
  if (value === undefined || value === null || unsetVariable(value) !== undefined) return [];
  if (typeof value !== 'string') throw new PdmError('INVALID_CONFIG', `brokers must be text like "host:9092", got ${typeof value}`);
  const list = value.split(/[\s,]+/).filter((s) => s !== '');
  for (const entry of list) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) throw new PdmError('INVALID_CONFIG', `broker "${entry}" is not host:port`);
  }
  return list;
}

export function brokerSettingsFromConfig(config: BrokerConfig, credentials: BrokerCredentials = {}): BrokerSettings {
  const clientId = typeof config.clientId === 'string' && config.clientId.trim() !== '' ? config.clientId.trim() : DEFAULT_CLIENT_ID;
  if (!/^[A-Za-z0-9._-]+$/.test(clientId)) throw new PdmError('INVALID_CONFIG', `client id "${clientId}" may hold only letters, digits, ".", "_" and "-"`);
  const timeout = config.connectionTimeout === undefined || config.connectionTimeout === '' ? DEFAULT_CONNECTION_TIMEOUT_MS : Number(config.connectionTimeout);
  if (!Number.isFinite(timeout) || timeout < 100 || timeout > 120_000) throw new PdmError('INVALID_CONFIG', `connection timeout must be 100–120000 ms, got ${String(config.connectionTimeout)}`);
  const settings: BrokerSettings = { brokers: parseBrokerList(config.brokers), clientId, connectionTimeoutMs: timeout };
  if (config.tls === true || config.tls === 'true') {
    settings.tls = {
      rejectUnauthorized: config.tlsVerify !== false && config.tlsVerify !== 'false',
      ...(credentials.ca?.trim() ? { ca: pemText(credentials.ca, 'CA certificate') } : {}),
      ...(credentials.cert?.trim() ? { cert: pemText(credentials.cert, 'client certificate') } : {}),
      ...(credentials.key?.trim() ? { key: pemText(credentials.key, 'client key') } : {}),
    };
    if ((settings.tls.cert === undefined) !== (settings.tls.key === undefined)) throw new PdmError('INVALID_CONFIG', 'a client certificate needs its key, and a key its certificate');
  }
  const mechanism = config.sasl === undefined || config.sasl === '' || config.sasl === 'none' ? undefined : config.sasl;
  if (mechanism !== undefined) {
    if (!MECHANISMS.includes(mechanism as SaslMechanism)) throw new PdmError('INVALID_CONFIG', `SASL mechanism must be one of ${MECHANISMS.join(', ')}, got ${String(mechanism)}`);
    if (!credentials.username) throw new PdmError('INVALID_CONFIG', 'SASL needs a username');
    settings.sasl = { mechanism: mechanism as SaslMechanism, username: credentials.username, password: credentials.password ?? '' };
  }
  return settings;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * PEM text as TLS wants it, one or more blocks with their line breaks. A password field (the
 * client key) drops the line breaks of what is pasted into it, so the base64 of each block is
 * wrapped again; a block with headers (an encrypted legacy key) is kept as it is.
 */
export function pemText(value: string, what: string): string {
  const blocks = [...value.matchAll(PEM_BLOCK)].map(([block, label, body]) => {
    if (body.includes(':')) return block.trim();
    const base64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new PdmError('INVALID_CONFIG', `the ${what} is not valid PEM: the ${label} block holds more than base64`);
    return `-----BEGIN ${label}-----\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----`;
  });
  if (blocks.length === 0) throw new PdmError('INVALID_CONFIG', `the ${what} must be PEM text starting with -----BEGIN`);
  return `${blocks.join('\n')}\n`;
}

/** A positive integer setting with a default, or an INVALID_CONFIG error naming it. */
export function positiveInt(value: unknown, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === '' || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new PdmError('INVALID_CONFIG', `${name} must be a whole number from 1 to ${max}, got ${String(value)}`);
  return n;
}

/** Comma- or space-separated topic names, each a valid Kafka topic name. */
export function parseTopics(value: unknown, fallback: string[]): string[] {
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter((s) => s !== '') : [];
  const topics = list.length === 0 ? fallback : list;
  for (const t of topics) {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(t)) throw new PdmError('INVALID_CONFIG', `"${t}" is not a valid Kafka topic name`);
  }
  return topics;
}
