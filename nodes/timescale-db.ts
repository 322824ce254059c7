import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { describeError } from './lib/errors';
import { dbSettings, serverWriteConcurrency, type TimescaleDbConfig, type TimescaleDbCredentials } from './lib/storage/config';
import { openEmbeddedConnection, openServerConnection } from './lib/storage/database';
import { StorageService, type StorageProvider } from './lib/storage/service';

type TimescaleDbDef = NodeDef & TimescaleDbConfig;
type TimescaleDbNode = Node & StorageProvider;

/** Users leave first (flushing on their close); the connection ends once they are gone, within Node-RED's 15 s. */
const CLOSE_BUDGET_MS = 13_000;

export = function register(RED: NodeAPI): void {
  const userDir = (): string => (RED.settings.userDir as string | undefined) ?? path.join(os.homedir(), '.node-red');

  function TimescaleDbNode(this: Node, config: TimescaleDbDef): void {
    RED.nodes.createNode(this, config);
    const node = this as TimescaleDbNode;
    node.dataRoot = path.join(userDir(), 'predictive-maintenance');
    const credentials = (node.credentials ?? {}) as TimescaleDbCredentials;
    let settings;
    try {
      settings = dbSettings(config, credentials, (dir) => path.resolve(userDir(), dir));
    } catch (err) {
      node.error(RED._('timescale-db.errors.config', { reason: describeError(err) }));
      return;
    }
    const chosen = settings;
    const storage = new StorageService({
      open: async () => {
        const lost = (err: Error): void => storage.connectionLost(err);
        return chosen.mode === 'embedded' ? openEmbeddedConnection(chosen.dataDir, lost) : openServerConnection(chosen.server, lost);
      },
      schema: chosen.schema,
      writeConcurrency: chosen.mode === 'server' ? serverWriteConcurrency(chosen.server.poolSize) : 1,
      maintenance: { retentionDays: chosen.retentionDays, daysAhead: 2 },
      log: { info: (m) => node.log(m), warn: (m) => node.warn(m) },
    });
    node.storage = storage;
    void storage.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      storage.close(CLOSE_BUDGET_MS).catch((err) => node.warn(describeError(err))).finally(done);
    });
  }

  RED.nodes.registerType('timescale-db', TimescaleDbNode, {
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
