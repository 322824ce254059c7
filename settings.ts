/**
 * Node-RED settings for `npm start`: everything comes from environment variables, with
 * defaults that keep a fresh checkout working with nothing else installed.
 *
 *   PORT                       editor and dashboard port (1880)
 *   HOST                       interface to listen on (127.0.0.1 without an admin password)
 *   NODE_RED_USER_DIR          flows, credentials and context (./.node-red)
 *   NODE_RED_CREDENTIAL_SECRET key that encrypts the flow credentials file
 *   NODE_RED_ADMIN_USER        editor login name (admin)
 *   NODE_RED_ADMIN_PASSWORD_HASH bcrypt hash of the editor password (node-red admin hash-pw)
 *   NODE_RED_LOG_LEVEL         fatal, error, warn, info, debug or trace (info)
 *   MQTT_URL                   the plant's MQTT broker; unset: an embedded broker on
 *   MQTT_EMBEDDED_PORT         127.0.0.1 at this port (1884)
 *
 * A user directory without flows starts with flows/plant-monitoring.json.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(projectRoot, '.node-red'));
const adminUser = process.env.NODE_RED_ADMIN_USER ?? 'admin';
const adminHash = process.env.NODE_RED_ADMIN_PASSWORD_HASH;

function seedFlows(): void {
  const flowFile = path.join(userDir, 'flows.json');
  if (fs.existsSync(flowFile)) return;
  fs.mkdirSync(userDir, { recursive: true });
  fs.copyFileSync(path.join(projectRoot, 'flows', 'plant-monitoring.json'), flowFile);
}

/** Flows name their broker as ${MQTT_HOST}:${MQTT_PORT}; without MQTT_URL an in-process aedes broker serves them. */
function configureMqtt(): void {
  const configured = process.env.MQTT_URL;
  if (configured) {
    const url = new URL(configured);
    process.env.MQTT_HOST ??= url.hostname;
    process.env.MQTT_PORT ??= url.port || '1883';
    return;
  }
  const port = Number(process.env.MQTT_EMBEDDED_PORT ?? 1884);
  process.env.MQTT_HOST ??= '127.0.0.1';
  process.env.MQTT_PORT ??= String(port);
  import('aedes')
    .then(async ({ Aedes }) => {
      const broker = await Aedes.createBroker();
      const server = net.createServer(broker.handle);
      server.on('error', (err) => console.error(`Embedded MQTT broker not started on port ${port}: ${err.message}`));
      server.listen(port, '127.0.0.1', () => console.log(`Embedded MQTT broker on mqtt://127.0.0.1:${port}`));
    })
    .catch((err: Error) => console.error(`Embedded MQTT broker not started: ${err.message}`));
}

seedFlows();
configureMqtt();

if (!adminHash) {
  console.warn(
    [
      '',
      'The editor has no password, so it listens on 127.0.0.1 only.',
      'To require a login and listen on every interface, set a bcrypt hash:',
      '  export NODE_RED_ADMIN_PASSWORD_HASH="$(npx node-red admin hash-pw)"',
      '',
    ].join('\n'),
  );
}

const settings = {
  uiPort: Number(process.env.PORT ?? 1880),
  uiHost: process.env.HOST ?? (adminHash ? '0.0.0.0' : '127.0.0.1'),
  userDir,
  // A directory holding a Node-RED module is loaded as that module: nodes, locales and examples.
  nodesDir: [projectRoot],
  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET,
  adminAuth: adminHash
    ? { type: 'credentials', users: [{ username: adminUser, password: adminHash, permissions: '*' }] }
    : undefined,
  httpNodeAuth: adminHash ? { user: adminUser, pass: adminHash } : undefined,
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
