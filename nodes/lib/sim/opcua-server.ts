/**
 * The simulated plant as an OPC UA server: Objects/Plant/<asset>/<sensor>, one Double analog
 * item per sensor with its engineering unit, NodeIds `ns=1;s=<asset>.<sensor>`. Values are set
 * from readings with the reading's time as source timestamp and its quality as StatusCode.
 */
import {
  DataType,
  DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  type PreciseClock,
  type StatusCode,
  type UAVariable,
} from 'node-opcua';
import fs from 'node:fs';
import path from 'node:path';
import type { Quality, Reading } from '../reading';

export type OpcuaSecurityModeName = 'None' | 'Sign' | 'SignAndEncrypt';

export interface PlantOpcuaServerOptions {
  port: number;
  host?: string;
  /** PKI folder of the server (own certificate, trusted and rejected client certificates). */
  pkiDir: string;
  /**
   * PKI folder of the X.509 users: a session whose user certificate is in its trusted/certs/
   * is accepted, any other certificate is refused and filed in its rejected/. Default <pkiDir>/users.
   */
  userPkiDir?: string;
  allowAnonymous: boolean;
  users: { username: string; password: string }[];
  securityModes: OpcuaSecurityModeName[];
}

export interface PlantOpcuaServer {
  endpointUrl: string;
  update(readings: Reading[]): void;
  stop(): Promise<void>;
}

export interface PlantOpcuaAsset {
  asset: string;
  sensors: { sensor: string; unit?: string }[];
}

const NAMESPACE_INDEX = 1;
/** The CEFACT namespace of OPC UA engineering units; -1 is "no unit id", the text is the unit. */
const UNITS_NAMESPACE = 'http://www.opcfoundation.org/UA/units/un/cefact';

const MODES: Readonly<Record<OpcuaSecurityModeName, MessageSecurityMode>> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

/** The OPC UA NodeId of one sensor variable. */
export function sensorNodeId(asset: string, sensor: string): string {
  return `ns=${NAMESPACE_INDEX};s=${asset}.${sensor}`;
}

export function qualityStatusCode(quality: Quality | undefined): StatusCode {
  if (quality === 'bad') return StatusCodes.BadSensorFailure;
  if (quality === 'uncertain') return StatusCodes.UncertainLastUsableValue;
  return StatusCodes.Good;
}

export async function startPlantOpcuaServer(assets: PlantOpcuaAsset[], options: PlantOpcuaServerOptions): Promise<PlantOpcuaServer> {
  if (options.securityModes.length === 0) throw new Error('at least one security mode is needed');
  const userPkiDir = options.userPkiDir ?? path.join(options.pkiDir, 'users');
  if (!options.allowAnonymous && options.users.length === 0 && trustedCertificateCount(userPkiDir) === 0) {
    throw new Error(`anonymous access is off and no user is configured (no user name, no trusted user certificate in ${path.join(userPkiDir, 'trusted', 'certs')})`);
  }
  const certificateManager = new OPCUACertificateManager({
    rootFolder: options.pkiDir,
    // A simulator accepts any client certificate; real servers keep their trust list.
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  });
  await certificateManager.initialize();
  // Unlike client certificates, user certificates are trusted one by one; the folder is watched,
  // so a certificate moved to trusted/certs/ counts without a restart.
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: userPkiDir, automaticallyAcceptUnknownCertificate: false });
  await userCertificateManager.initialize();
  const users = new Map(options.users.map((u) => [u.username, u.password]));
  const secured = options.securityModes.some((m) => m !== 'None');
  const server = new OPCUAServer({
    port: options.port,
    host: options.host,
    hostname: options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? undefined : options.host,
    securityModes: options.securityModes.map((m) => MODES[m]),
    securityPolicies: [
      ...(options.securityModes.includes('None') ? [SecurityPolicy.None] : []),
      ...(secured ? [SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss] : []),
    ],
    allowAnonymous: options.allowAnonymous,
    userManager: { isValidUser: (username: string, password: string) => users.has(username) && users.get(username) === password },
    serverCertificateManager: certificateManager,
    userCertificateManager,
    buildInfo: { productName: 'plant-sim', manufacturerName: 'node-red-contrib-predictive-maintenance' },
    isAuditing: false,
    maxConnectionsPerEndpoint: 50,
    // Every value the plant sets is a sample: a client asking for sampling interval 0 gets every
    // change (node-opcua's default of 100 ms would fold changes into one per item per 100 ms).
    serverCapabilities: { maxSessions: 50, minSupportedSampleRate: 0 },
  });
  await server.initialize();
  const slots = buildAddressSpace(server, assets);
  await server.start();
  const endpointUrl = server.getEndpointUrl();

  return {
    endpointUrl,
    update(readings: Reading[]): void {
      // One clock per distinct time: a plant tick stamps all its readings alike.
      let clockTs = NaN;
      let clock: PreciseClock = { timestamp: new Date(0), picoseconds: 0 };
      for (const r of readings) {
        const slot = slots.get(r.asset)?.get(r.sensor);
        if (!slot) continue;
        if (r.ts !== clockTs) {
          clockTs = r.ts;
          clock = { timestamp: new Date(r.ts), picoseconds: 0 };
        }
        slot.dataValue.value.value = r.value;
        slot.dataValue.statusCode = qualityStatusCode(r.quality);
        slot.variable.touchValue(clock);
      }
    },
    async stop(): Promise<void> {
      await server.shutdown(0);
      await Promise.all([certificateManager.dispose(), userCertificateManager.dispose()]);
    },
  };
}

function trustedCertificateCount(pkiDir: string): number {
  const folder = path.join(pkiDir, 'trusted', 'certs');
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => /\.(pem|der)$/i.test(f)).length : 0;
}

/**
 * Each variable reads one DataValue that update() changes in place; touchValue() stamps it with
 * the reading's time and hands a copy to the monitored items. That is a fraction of the cost of
 * setValueFromSource (a new Variant, copies of the old and new values, a comparison), which
 * matters with thousands of items updated many times a second.
 */
interface SensorSlot {
  variable: UAVariable;
  dataValue: DataValue;
}

function buildAddressSpace(server: OPCUAServer, assets: PlantOpcuaAsset[]): Map<string, Map<string, SensorSlot>> {
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the OPC UA address space is not ready');
  const namespace = addressSpace.getOwnNamespace();
  const plant = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: 'Plant', nodeId: `s=Plant` });
  const slots = new Map<string, Map<string, SensorSlot>>();
  for (const a of assets) {
    const folder = namespace.addFolder(plant, { browseName: a.asset, nodeId: `s=${a.asset}` });
    const sensors = new Map<string, SensorSlot>();
    for (const s of a.sensors) {
      const variable = namespace.addAnalogDataItem({
        componentOf: folder,
        browseName: s.sensor,
        nodeId: sensorNodeId(a.asset, s.sensor),
        dataType: 'Double',
        engineeringUnitsRange: { low: -1e12, high: 1e12 },
        engineeringUnits: { namespaceUri: UNITS_NAMESPACE, unitId: -1, displayName: { text: s.unit ?? '' }, description: { text: s.unit ?? '' } },
        minimumSamplingInterval: 0,
      });
      const dataValue = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 0 }), statusCode: StatusCodes.BadWaitingForInitialData });
      variable.bindVariable({ timestamped_get: () => dataValue }, true);
      // The first read makes this DataValue the variable's own, the one touchValue() stamps.
      variable.readValue();
      sensors.set(s.sensor, { variable, dataValue });
    }
    slots.set(a.asset, sensors);
  }
  return slots;
}
