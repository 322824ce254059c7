/**
 * Editor configuration of the opcua-endpoint and opcua-in nodes → checked options for the
 * client adapter. Numbers arrive as strings from the editor.
 */
import { PdmError } from '../errors';
import { parseItems, type OpcuaItemSpec } from './opcua-mapping';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
export const AUTH_TYPES = ['anonymous', 'username', 'certificate'] as const;
export const DEADBAND_TYPES = ['none', 'absolute', 'percent'] as const;
export const OUTPUT_MODES = ['batch', 'single'] as const;

export type SecurityModeName = (typeof SECURITY_MODES)[number];
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number] | 'None';
export type DeadbandType = (typeof DEADBAND_TYPES)[number];
export type OutputMode = (typeof OUTPUT_MODES)[number];

export type OpcuaAuth =
  | { type: 'anonymous' }
  | { type: 'username'; username: string; password: string }
  | { type: 'certificate'; certificateFile: string; privateKeyFile: string };

export interface OpcuaEndpointOptions {
  endpointUrl: string;
  securityMode: SecurityModeName;
  securityPolicy: SecurityPolicyName;
  auth: OpcuaAuth;
  /** How long one connection attempt may take before the server counts as not answering. */
  connectTimeoutMs: number;
}

export interface OpcuaEndpointConfig {
  endpointUrl?: unknown;
  securityMode?: unknown;
  securityPolicy?: unknown;
  authType?: unknown;
  userCertificate?: unknown;
  userPrivateKey?: unknown;
  connectTimeout?: unknown;
}

export interface OpcuaEndpointCredentials {
  username?: string;
  password?: string;
}

export interface SubscriptionOptions {
  samplingIntervalMs: number;
  publishingIntervalMs: number;
  /** Values kept per item between two publishes, so a fast sampling loses none. */
  queueSize: number;
  deadband: { type: DeadbandType; value: number };
}

export interface OpcuaInOptions extends SubscriptionOptions {
  items: OpcuaItemSpec[];
  output: OutputMode;
}

export interface OpcuaInConfig {
  items?: unknown;
  samplingInterval?: unknown;
  publishingInterval?: unknown;
  deadbandType?: unknown;
  deadband?: unknown;
  output?: unknown;
}

const DEFAULT_CONNECT_TIMEOUT_S = 10;
const MAX_QUEUE = 1000;

/** `resolvePath` turns a relative certificate path into one under the Node-RED user directory. */
export function endpointOptionsFromConfig(config: OpcuaEndpointConfig, credentials: OpcuaEndpointCredentials | undefined, resolvePath: (p: string) => string): OpcuaEndpointOptions {
  const endpointUrl = typeof config.endpointUrl === 'string' ? config.endpointUrl.trim() : '';
  if (!/^opc\.tcp:\/\/[^/\s:]+(:\d+)?(\/\S*)?$/.test(endpointUrl)) {
    throw new PdmError('INVALID_CONFIG', `endpoint URL must look like opc.tcp://host:4840, got "${endpointUrl}"`);
  }
  const securityMode = oneOf(config.securityMode ?? 'None', SECURITY_MODES, 'security mode');
  const securityPolicy: SecurityPolicyName = securityMode === 'None' ? 'None' : oneOf(config.securityPolicy ?? 'Basic256Sha256', SECURITY_POLICIES, 'security policy');
  const authType = oneOf(config.authType ?? 'anonymous', AUTH_TYPES, 'user authentication');
  let auth: OpcuaAuth;
  if (authType === 'username') {
    const username = credentials?.username ?? '';
    if (username === '') throw new PdmError('INVALID_CONFIG', 'user name authentication needs a user name');
    auth = { type: 'username', username, password: credentials?.password ?? '' };
  } else if (authType === 'certificate') {
    const certificateFile = text(config.userCertificate);
    const privateKeyFile = text(config.userPrivateKey);
    if (certificateFile === '' || privateKeyFile === '') throw new PdmError('INVALID_CONFIG', 'X.509 authentication needs a certificate file and a private key file');
    auth = { type: 'certificate', certificateFile: resolvePath(certificateFile), privateKeyFile: resolvePath(privateKeyFile) };
  } else auth = { type: 'anonymous' };
  const connectTimeoutMs = number(config.connectTimeout, DEFAULT_CONNECT_TIMEOUT_S, 'connect timeout', 1, 300) * 1000;
  return { endpointUrl, securityMode, securityPolicy, auth, connectTimeoutMs };
}

export function inOptionsFromConfig(config: OpcuaInConfig): OpcuaInOptions {
  const samplingIntervalMs = number(config.samplingInterval, 1000, 'sampling interval', 0, 3_600_000);
  const publishingIntervalMs = number(config.publishingInterval, 1000, 'publishing interval', 10, 3_600_000);
  const type = oneOf(config.deadbandType ?? 'none', DEADBAND_TYPES, 'deadband type');
  const value = type === 'none' ? 0 : number(config.deadband, 0, 'deadband', 0, type === 'percent' ? 100 : Number.MAX_VALUE);
  const queueSize = samplingIntervalMs === 0 ? MAX_QUEUE : Math.min(MAX_QUEUE, Math.max(1, Math.ceil(publishingIntervalMs / samplingIntervalMs) + 1));
  return {
    items: parseItems(config.items),
    samplingIntervalMs,
    publishingIntervalMs,
    queueSize,
    deadband: { type, value },
    output: oneOf(config.output ?? 'batch', OUTPUT_MODES, 'output'),
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new PdmError('INVALID_CONFIG', `${what} must be one of ${allowed.join(', ')}, got ${String(value)}`);
}

function number(value: unknown, fallback: number, what: string, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) throw new PdmError('INVALID_CONFIG', `${what} must be between ${min} and ${max}, got ${String(value)}`);
  return n;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}
