/**
 * The protocol servers and publishers one simulated plant feeds (Modbus TCP, OPC UA, MQTT),
 * started and stopped together and updated with every tick's readings. Shared by the node and the CLI.
 */
import { describeError, PdmError } from '../errors';
import type { Reading } from '../reading';
import type { ModbusSettings, MqttSettings, OpcuaSettings } from './config';
import { SENSOR_UNITS, sensorsOf } from './machines';
import { startPlantModbusServer, type PlantModbusServer } from './modbus-server';
import { startMqttPublisher, type MqttPublisher, type MqttPublisherOptions } from './mqtt-publisher';
import { startPlantOpcuaServer, type PlantOpcuaServer } from './opcua-server';
import type { AssetSpec } from './plant';

export interface OutletSettings {
  modbus?: ModbusSettings;
  mqtt?: MqttSettings;
  opcua?: OpcuaSettings;
}

export interface OutletHooks {
  /** Where the OPC UA server keeps its certificates; needed when OPC UA is served. */
  opcuaPkiDir?: string;
  /** The one user name and password the OPC UA server accepts besides anonymous access. */
  opcuaUsername?: string;
  opcuaPassword?: string;
  mqttUsername?: string;
  mqttPassword?: string;
  onMqttState?: MqttPublisherOptions['onState'];
  onModbusSocketError?: (err: Error) => void;
}

export interface PlantOutlets {
  modbus?: PlantModbusServer;
  opcua?: PlantOpcuaServer;
  mqtt?: MqttPublisher;
  update(readings: Reading[]): void;
  /** One line per outlet: where it serves or publishes. */
  describe(): string[];
  stop(): Promise<void>;
}

/** Starts every configured outlet; when one cannot start, the others are stopped and the error names it. */
export async function startPlantOutlets(assets: readonly AssetSpec[], settings: OutletSettings, hooks: OutletHooks = {}): Promise<PlantOutlets> {
  const outlets: { modbus?: PlantModbusServer; opcua?: PlantOpcuaServer; mqtt?: MqttPublisher } = {};
  const stopAll = async (): Promise<void> => {
    await Promise.all([outlets.modbus?.stop(), outlets.opcua?.stop(), outlets.mqtt?.stop()]);
  };
  const attempt = async <T>(what: string, start: () => Promise<T>): Promise<T> => {
    try {
      return await start();
    } catch (err) {
      await stopAll();
      throw new PdmError('INVALID_CONFIG', `${what} not started: ${describeError(err)}`, { cause: err });
    }
  };
  if (settings.modbus) {
    const { port, host } = settings.modbus;
    outlets.modbus = await attempt(`Modbus TCP server on ${host}:${port}`, () =>
      startPlantModbusServer(assets.map((a) => a.id), { port, host, onSocketError: hooks.onModbusSocketError }));
  }
  if (settings.opcua) {
    const { port, host, securityModes, allowAnonymous } = settings.opcua;
    const pkiDir = hooks.opcuaPkiDir;
    const users = hooks.opcuaUsername ? [{ username: hooks.opcuaUsername, password: hooks.opcuaPassword ?? '' }] : [];
    const folders = assets.map((a) => ({ asset: a.id, sensors: sensorsOf(a.kind).map((sensor) => ({ sensor, unit: SENSOR_UNITS[sensor] })) }));
    outlets.opcua = await attempt(`OPC UA server on ${host}:${port}`, () => {
      if (pkiDir === undefined) throw new Error('no folder for its certificates');
      return startPlantOpcuaServer(folders, { port, host, pkiDir, allowAnonymous, users, securityModes });
    });
  }
  if (settings.mqtt) {
    const m = settings.mqtt;
    const where = m.url === '' ? `embedded MQTT broker on ${m.embeddedHost}:${m.embeddedPort}` : `MQTT publisher to ${m.url}`;
    outlets.mqtt = await attempt(where, () => startMqttPublisher({
      url: m.url, embeddedHost: m.embeddedHost, embeddedPort: m.embeddedPort, prefix: m.prefix, format: m.format, qos: m.qos,
      username: hooks.mqttUsername, password: hooks.mqttPassword, onState: hooks.onMqttState,
    }));
  }
  return {
    ...outlets,
    update(readings) {
      outlets.modbus?.update(readings);
      outlets.opcua?.update(readings);
      outlets.mqtt?.publish(readings);
    },
    describe() {
      const lines: string[] = [];
      if (outlets.modbus && settings.modbus) lines.push(`Modbus TCP ${settings.modbus.host}:${outlets.modbus.port}`);
      if (outlets.opcua) lines.push(`OPC UA ${outlets.opcua.endpointUrl}`);
      if (outlets.mqtt) lines.push(`MQTT ${outlets.mqtt.url}${outlets.mqtt.embedded ? ' (embedded)' : ''}`);
      return lines;
    },
    stop: stopAll,
  };
}
