/** The plant-sim node's editor fields (strings and numbers as the editor stores them) → options. */
import { PdmError } from '../errors';
import { isRecord } from '../reading';
import { PLANT_FAULTS_ALL, faultApplies, type PlantFault } from './faults';
import { ASSET_KINDS, sensorsOf, type AssetKind, type SensorName } from './machines';
import { DEFAULT_EMBEDDED_PORT, MQTT_FORMATS, type MqttFormat } from './mqtt-publisher';
import type { OpcuaSecurityModeName } from './opcua-server';
import type { AssetSpec, PlantOptions, ScheduledFault } from './plant';
import { BEARING_DEFECTS, type BearingDefect, type WaveformSettings } from './plant-waveforms';

export interface PlantSimConfig {
  assetMode?: 'count' | 'json';
  assetCount?: number | string;
  assetKind?: string;
  assetsJson?: string;
  tickMs?: number | string;
  acceleration?: number | string;
  seed?: number | string;
  scheduleMode?: 'list' | 'random';
  scenarios?: unknown;
  ratePerMonth?: number | string;
  minFailureHours?: number | string;
  maxFailureHours?: number | string;
  repairHours?: number | string;
  modbusEnabled?: boolean;
  modbusPort?: number | string;
  modbusHost?: string;
  mqttEnabled?: boolean;
  /** Broker URL; empty: an embedded broker on mqttPort. */
  mqttUrl?: string;
  mqttPort?: number | string;
  mqttPrefix?: string;
  mqttFormat?: string;
  mqttQos?: number | string;
  opcuaEnabled?: boolean;
  opcuaPort?: number | string;
  opcuaHost?: string;
  /** Comma-separated: None, Sign, SignAndEncrypt. */
  opcuaSecurityModes?: string;
  opcuaAnonymous?: boolean;
  waveformEnabled?: boolean;
  waveformSampleRate?: number | string;
  waveformSamples?: number | string;
  bearingDefect?: string;
}

export interface ModbusSettings {
  port: number;
  host: string;
}

export interface OpcuaSettings {
  port: number;
  host: string;
  securityModes: OpcuaSecurityModeName[];
  allowAnonymous: boolean;
}

export interface MqttSettings {
  url: string;
  embeddedPort: number;
  embeddedHost: string;
  prefix: string;
  format: MqttFormat;
  qos: 0 | 1;
}

export interface PlantSimSettings {
  plant: Omit<PlantOptions, 'start'>;
  tickMs: number;
  acceleration: number;
  modbus?: ModbusSettings;
  mqtt?: MqttSettings;
  opcua?: OpcuaSettings;
  waveform?: WaveformSettings;
}

export const DEFAULT_MODBUS_PORT = 5020;
export const DEFAULT_OPCUA_PORT = 4840;
const SECURITY_MODES: readonly OpcuaSecurityModeName[] = ['None', 'Sign', 'SignAndEncrypt'];
const MAX_WAVEFORM_SAMPLES = 1_048_576;

const MAX_ASSETS = 10_000;

function invalid(reason: string): PdmError {
  return new PdmError('INVALID_CONFIG', reason);
}

function numberOf(value: unknown, name: string, fallback: number, min: number, max = Infinity): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw invalid(`${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  return n;
}

function kindOf(value: unknown, where: string): AssetKind {
  if (!ASSET_KINDS.includes(value as AssetKind)) throw invalid(`${where}: kind must be one of ${ASSET_KINDS.join(', ')}`);
  return value as AssetKind;
}

export function assetsFromConfig(config: PlantSimConfig): AssetSpec[] {
  if (config.assetMode === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(config.assetsJson ?? '');
    } catch {
      throw invalid('assets must be a JSON list of {"id", "kind"}');
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_ASSETS) throw invalid('assets must be a non-empty JSON list');
    const ids = new Set<string>();
    return parsed.map((item: unknown, i) => {
      if (!isRecord(item) || typeof item.id !== 'string' || item.id === '') throw invalid(`asset ${i + 1}: id must be a non-empty string`);
      if (ids.has(item.id)) throw invalid(`asset ${item.id} is listed twice`);
      ids.add(item.id);
      return { id: item.id, kind: kindOf(item.kind, `asset ${item.id}`) };
    });
  }
  const count = numberOf(config.assetCount, 'asset count', 4, 1, MAX_ASSETS);
  if (!Number.isInteger(count)) throw invalid('asset count must be a whole number');
  const kind = kindOf(config.assetKind ?? 'pump', 'assets');
  return Array.from({ length: count }, (_, i) => ({ id: `${kind}-${i + 1}`, kind }));
}

function scenariosFromConfig(raw: unknown, assets: AssetSpec[]): ScheduledFault[] {
  if (raw === undefined || raw === '') return [];
  if (!Array.isArray(raw)) throw invalid('scenarios must be a list');
  const kinds = new Map(assets.map((a) => [a.id, a.kind]));
  return raw.map((item: unknown, i) => {
    const where = `scenario ${i + 1}`;
    if (!isRecord(item)) throw invalid(`${where} must be an object`);
    const kind = kinds.get(String(item.asset));
    if (kind === undefined) throw invalid(`${where}: no asset ${String(item.asset)}`);
    const fault = item.fault as PlantFault;
    if (!PLANT_FAULTS_ALL.includes(fault)) throw invalid(`${where}: fault must be one of ${PLANT_FAULTS_ALL.join(', ')}`);
    if (!faultApplies(fault, kind)) throw invalid(`${where}: ${fault} needs a machine with pressure and flow`);
    const scheduled: ScheduledFault = {
      asset: String(item.asset),
      fault,
      onsetHours: numberOf(item.onsetHours, `${where} onset`, NaN, 0),
      failureHours: numberOf(item.failureHours, `${where} time to failure`, NaN, 0.001),
    };
    if (Number.isNaN(scheduled.onsetHours) || Number.isNaN(scheduled.failureHours)) throw invalid(`${where}: onset and time to failure are required`);
    if (item.sensor !== undefined && item.sensor !== '') {
      if (!sensorsOf(kind).includes(item.sensor as SensorName)) throw invalid(`${where}: ${kind} has no sensor ${String(item.sensor)}`);
      scheduled.sensor = item.sensor as SensorName;
    }
    return scheduled;
  });
}

export function settingsFromConfig(config: PlantSimConfig): PlantSimSettings {
  const assets = assetsFromConfig(config);
  const plant: Omit<PlantOptions, 'start'> = {
    assets,
    seed: Math.trunc(numberOf(config.seed, 'seed', 1, -(2 ** 31), 2 ** 32)),
    repairHours: numberOf(config.repairHours, 'repair time', 8, 0),
  };
  if (config.scheduleMode === 'random') {
    const minFailureHours = numberOf(config.minFailureHours, 'shortest time to failure', 48, 0.001);
    const maxFailureHours = numberOf(config.maxFailureHours, 'longest time to failure', 240, minFailureHours);
    plant.random = { ratePerMonth: numberOf(config.ratePerMonth, 'fault rate', 1, 0), minFailureHours, maxFailureHours };
  } else {
    plant.faults = scenariosFromConfig(config.scenarios, assets);
  }
  const settings: PlantSimSettings = {
    plant,
    tickMs: numberOf(config.tickMs, 'tick interval', 1000, 10, 3_600_000),
    acceleration: numberOf(config.acceleration, 'acceleration', 1440, 0.001, 1e7),
  };
  if (config.modbusEnabled === true) {
    if (assets.length > 247) throw invalid('a Modbus server holds at most 247 assets (unit ids 1..247)');
    settings.modbus = { port: portOf(config.modbusPort, 'Modbus port', DEFAULT_MODBUS_PORT), host: hostOf(config.modbusHost) };
  }
  if (config.mqttEnabled === true) settings.mqtt = mqttFromConfig(config);
  if (config.opcuaEnabled === true) {
    const modes = (config.opcuaSecurityModes || 'None').split(',').map((m) => m.trim()).filter((m) => m !== '');
    const unknown = modes.find((m) => !SECURITY_MODES.includes(m as OpcuaSecurityModeName));
    if (unknown !== undefined || modes.length === 0) throw invalid(`OPC UA security modes must be some of ${SECURITY_MODES.join(', ')}, got ${config.opcuaSecurityModes}`);
    settings.opcua = {
      port: portOf(config.opcuaPort, 'OPC UA port', DEFAULT_OPCUA_PORT),
      host: hostOf(config.opcuaHost),
      securityModes: modes as OpcuaSecurityModeName[],
      allowAnonymous: config.opcuaAnonymous !== false,
    };
  }
  if (config.waveformEnabled === true) {
    const bearingDefect = (config.bearingDefect || 'outer-race') as BearingDefect;
    if (!BEARING_DEFECTS.includes(bearingDefect)) throw invalid(`bearing defect must be one of ${BEARING_DEFECTS.join(', ')}`);
    const sampleRate = numberOf(config.waveformSampleRate, 'waveform sample rate', 12_800, 1000, 1_000_000);
    const samples = numberOf(config.waveformSamples, 'waveform length', 12_800, 256, MAX_WAVEFORM_SAMPLES);
    if (!Number.isInteger(samples)) throw invalid('waveform length must be a whole number of samples');
    settings.waveform = { sampleRate, samples, bearingDefect };
  }
  return settings;
}

function portOf(value: unknown, name: string, fallback: number): number {
  const port = numberOf(value, name, fallback, 0, 65535);
  if (!Number.isInteger(port)) throw invalid(`${name} must be a whole number`);
  return port;
}

function hostOf(value: unknown): string {
  if (value === undefined || value === '') return '127.0.0.1';
  if (typeof value !== 'string' || /\s/.test(value)) throw invalid(`host must be a name or address, got ${String(value)}`);
  return value;
}

function mqttFromConfig(config: PlantSimConfig): MqttSettings {
  const url = (config.mqttUrl ?? '').trim();
  if (url !== '') {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw invalid(`MQTT broker must be a URL such as mqtt://host:1883, got ${url}`);
    }
    if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(protocol)) throw invalid(`MQTT broker URL scheme ${protocol} is not one of mqtt, mqtts, ws, wss`);
  }
  const format = (config.mqttFormat || 'reading') as MqttFormat;
  if (!MQTT_FORMATS.includes(format)) throw invalid(`MQTT format must be one of ${MQTT_FORMATS.join(', ')}`);
  const qos = numberOf(config.mqttQos, 'MQTT QoS', 0, 0, 1);
  if (qos !== 0 && qos !== 1) throw invalid('MQTT QoS must be 0 or 1');
  const prefix = config.mqttPrefix ?? 'plant';
  if (/[+#]/.test(prefix)) throw invalid('MQTT topic prefix must not hold the wildcards + or #');
  return {
    url,
    embeddedPort: portOf(config.mqttPort, 'embedded MQTT port', DEFAULT_EMBEDDED_PORT),
    embeddedHost: '127.0.0.1',
    prefix,
    format,
    qos,
  };
}
