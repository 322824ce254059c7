/**
 * The environment variables the shipped flows read (flows/*.json name their broker and database
 * as ${MQTT_HOST}, ${PG_MODE}, …), derived from the URLs an operator sets, with embedded
 * defaults when they are unset. Used by settings.ts and by the tests that deploy those flows.
 */
import { PdmError } from '../errors';

export interface FlowEnvironmentDefaults {
  /** Port of the embedded MQTT broker when MQTT_URL is unset. */
  mqttEmbeddedPort: number;
}

/** Where the simulated plant serves OPC UA and Modbus TCP unless PLANT_OPCUA_PORT / PLANT_MODBUS_PORT say otherwise. */
const PLANT_OPCUA_PORT = '4840';
const PLANT_MODBUS_PORT = '5020';

/** The variables to set: only those not already set, so an explicit MQTT_HOST or PG_SCHEMA wins. */
export function flowEnvironment(env: NodeJS.ProcessEnv, defaults: FlowEnvironmentDefaults): Record<string, string> {
  const derived: Record<string, string> = { ...mqttEnvironment(env.MQTT_URL, defaults.mqttEmbeddedPort), ...pgEnvironment(env.PG_URL) };
  derived.PG_SCHEMA = 'pdm';
  const mqttHost = env.MQTT_HOST || derived.MQTT_HOST;
  const mqttPort = env.MQTT_PORT || derived.MQTT_PORT;
  // The simulated plant publishes to the broker the flows subscribe to, credentials included.
  derived.MQTT_BROKER_URL = env.MQTT_URL || `mqtt://${mqttHost}:${mqttPort}`;
  derived.PLANT_OPCUA_PORT = PLANT_OPCUA_PORT;
  derived.PLANT_MODBUS_PORT = PLANT_MODBUS_PORT;
  derived.OPCUA_ENDPOINT = `opc.tcp://127.0.0.1:${env.PLANT_OPCUA_PORT || PLANT_OPCUA_PORT}`;
  const missing: Record<string, string> = {};
  for (const [name, value] of Object.entries(derived)) {
    if (env[name] === undefined || env[name] === '') missing[name] = value;
  }
  return missing;
}

function parseUrl(value: string, name: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PdmError('INVALID_CONFIG', `${name} is not a URL: ${value.replace(/\/\/[^@/]*@/, '//…@')}`);
  }
  if (!protocols.includes(url.protocol)) throw new PdmError('INVALID_CONFIG', `${name} must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  return url;
}

function mqttEnvironment(mqttUrl: string | undefined, embeddedPort: number): Record<string, string> {
  if (!mqttUrl) return { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(embeddedPort) };
  const url = parseUrl(mqttUrl, 'MQTT_URL', ['mqtt:', 'tcp:']);
  return { MQTT_HOST: url.hostname, MQTT_PORT: url.port || '1883' };
}

/** PG_URL → the timescale-db fields; user and password go to PGUSER / PGPASSWORD, which pg reads itself. */
function pgEnvironment(pgUrl: string | undefined): Record<string, string> {
  if (!pgUrl) return { PG_MODE: 'embedded', PG_HOST: '', PG_PORT: '5432', PG_DATABASE: 'postgres' };
  const url = parseUrl(pgUrl, 'PG_URL', ['postgres:', 'postgresql:']);
  const vars: Record<string, string> = {
    PG_MODE: 'server',
    PG_HOST: url.hostname,
    PG_PORT: url.port || '5432',
    PG_DATABASE: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
  if (url.username) vars.PGUSER = decodeURIComponent(url.username);
  if (url.password) vars.PGPASSWORD = decodeURIComponent(url.password);
  return vars;
}
