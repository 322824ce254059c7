/**
 * Node-RED settings for `npm start`: everything comes from environment variables, with
 * defaults that keep a fresh checkout working with nothing else installed.
 *
 *   PORT                       editor and dashboard port (1880)
 *   HOST                       interface to listen on (127.0.0.1 unless an admin password hash is set)
 *   NODE_RED_USER_DIR          flows, credentials and context (./.node-red)
 *   NODE_RED_CREDENTIAL_SECRET key that encrypts the flow credentials file
 *   NODE_RED_ADMIN_USER        login name for the editor and the dashboards (admin)
 *   NODE_RED_ADMIN_PASSWORD_HASH bcrypt hash of the password (npx node-red admin hash-pw)
 *   NODE_RED_LOG_LEVEL         fatal, error, warn, info, debug or trace (info)
 *   MQTT_URL                   the plant's MQTT broker (mqtt://host:port); unset: an embedded
 *   MQTT_EMBEDDED_PORT         broker on 127.0.0.1 at this port (1884)
 *   PG_URL                     PostgreSQL / TimescaleDB (postgres://user:password@host:port/db);
 *                              unset: an embedded database in the user directory
 *   OPCUA_ENDPOINT             the plant's OPC UA server; unset: the simulated plant's
 *   PLANT_OPCUA_PORT           ports of the simulated plant's OPC UA server (4840) and
 *   PLANT_MODBUS_PORT          Modbus TCP server (5020), on 127.0.0.1
 *
 * The flows read MQTT_HOST, MQTT_PORT, MQTT_BROKER_URL, PG_MODE, PG_HOST, PG_PORT, PG_DATABASE and
 * PG_SCHEMA, derived here from those URLs unless set explicitly.
 *
 * The editor and both dashboards (/dashboard, and /ui for node-red-dashboard) always need a
 * login. Without NODE_RED_ADMIN_PASSWORD_HASH the first start makes a random password, keeps its
 * hash in the user directory and writes the password to a file there for the operator to read;
 * there is no default password.
 *
 * A user directory without flows starts with flows/plant-monitoring.json, flows/dashboard.json and
 * flows/training.json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { flowEnvironment } from './nodes/lib/server/flow-environment';
import { socketBasicAuth } from './nodes/lib/server/socket-auth';

const projectRoot = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(projectRoot, '.node-red'));
const adminUser = process.env.NODE_RED_ADMIN_USER ?? 'admin';
const SEED_FLOWS = ['plant-monitoring.json', 'dashboard.json', 'training.json'];
const GENERATED_HASH_FILE = 'admin-password.hash';
const GENERATED_PASSWORD_FILE = 'initial-admin-password.txt';

interface FlowNode {
  id: string;
}

/** The shipped flows in one flow file; config nodes they share (the database) appear once. */
function seedFlows(): void {
  const flowFile = path.join(userDir, 'flows.json');
  if (fs.existsSync(flowFile)) return;
  const nodes = new Map<string, FlowNode>();
  for (const name of SEED_FLOWS) {
    const flow = JSON.parse(fs.readFileSync(path.join(projectRoot, 'flows', name), 'utf8')) as FlowNode[];
    for (const node of flow) if (!nodes.has(node.id)) nodes.set(node.id, node);
  }
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(flowFile, JSON.stringify([...nodes.values()], null, 2));
}

/**
 * The bcrypt hash that guards the editor and the dashboards: from the environment, or one made
 * on the first start from a random password that only the user directory holds.
 */
function adminPasswordHash(): { hash: string; generated: boolean } {
  const configured = process.env.NODE_RED_ADMIN_PASSWORD_HASH;
  if (configured) return { hash: configured, generated: false };
  const hashFile = path.join(userDir, GENERATED_HASH_FILE);
  const passwordFile = path.join(userDir, GENERATED_PASSWORD_FILE);
  if (fs.existsSync(hashFile)) {
    console.warn(passwordHint(passwordFile, false));
    return { hash: fs.readFileSync(hashFile, 'utf8').trim(), generated: true };
  }
  const password = crypto.randomBytes(12).toString('base64url');
  const hash = bcrypt.hashSync(password, 10);
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  fs.writeFileSync(hashFile, `${hash}\n`, { mode: 0o600 });
  console.warn(passwordHint(passwordFile, true));
  return { hash, generated: true };
}

function passwordHint(passwordFile: string, first: boolean): string {
  return [
    '',
    first
      ? `No NODE_RED_ADMIN_PASSWORD_HASH is set, so a random password for user "${adminUser}" was written to ${passwordFile}.`
      : `No NODE_RED_ADMIN_PASSWORD_HASH is set: user "${adminUser}" logs in with the password in ${passwordFile} (if you still have it).`,
    'The editor listens on 127.0.0.1 only. To choose your own password and listen on every interface:',
    '  export NODE_RED_ADMIN_PASSWORD_HASH="$(npx node-red admin hash-pw)"',
    '',
  ].join('\n');
}

/** The variables the flows read; without MQTT_URL an in-process aedes broker serves them. */
function configureEnvironment(): void {
  const embeddedPort = Number(process.env.MQTT_EMBEDDED_PORT ?? 1884);
  Object.assign(process.env, flowEnvironment(process.env, { mqttEmbeddedPort: embeddedPort }));
  if (process.env.MQTT_URL) return;
  import('aedes')
    .then(async ({ Aedes }) => {
      const broker = await Aedes.createBroker();
      const server = net.createServer(broker.handle);
      server.on('error', (err) => console.error(`Embedded MQTT broker not started on port ${embeddedPort}: ${err.message}`));
      server.listen(embeddedPort, '127.0.0.1', () => console.log(`Embedded MQTT broker on mqtt://127.0.0.1:${embeddedPort}`));
    })
    .catch((err: Error) => console.error(`Embedded MQTT broker not started: ${err.message}`));
}

seedFlows();
configureEnvironment();
const admin = adminPasswordHash();
const socketAuth = socketBasicAuth({ user: adminUser, hash: admin.hash }, (password, hash) => bcrypt.compare(password, hash));

const settings = {
  uiPort: Number(process.env.PORT ?? 1880),
  uiHost: process.env.HOST ?? (admin.generated ? '127.0.0.1' : '0.0.0.0'),
  userDir,
  // A directory holding a Node-RED module is loaded as that module: nodes, locales and examples.
  nodesDir: [projectRoot],
  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET,
  adminAuth: { type: 'credentials', users: [{ username: adminUser, password: admin.hash, permissions: '*' }] },
  // Pages and HTTP endpoints of the flows, both dashboards included…
  httpNodeAuth: { user: adminUser, pass: admin.hash },
  // …and the dashboards' socket.io connections, which bypass httpNodeAuth.
  dashboard: { ioMiddleware: socketAuth },
  ui: { ioMiddleware: socketAuth },
  contextStorage: {
    default: { module: 'localfilesystem' },
    memory: { module: 'memory' },
  },
  logging: {
    console: { level: process.env.NODE_RED_LOG_LEVEL ?? 'info', metrics: false, audit: false },
  },
  functionExternalModules: false,
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  editorTheme: {
    projects: { enabled: false },
    tours: false,
    header: { title: 'Predictive maintenance' },
  },
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  telemetry: { enabled: false, updateNotification: false },
};

export = settings;
