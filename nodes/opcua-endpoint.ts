import os from 'node:os';
import path from 'node:path';
import type { Request, Response } from 'express';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { describeError } from './lib/errors';
import { browseChildren, OBJECTS_FOLDER, type BrowseEntry } from './lib/protocols/opcua-browse';
import { OpcuaConnection, type OpcuaEndpointHandle } from './lib/protocols/opcua-client';
import { endpointOptionsFromConfig, type OpcuaEndpointConfig, type OpcuaEndpointCredentials, type OpcuaEndpointOptions } from './lib/protocols/opcua-config';
import { describeOpcuaError } from './lib/protocols/opcua-errors';

type EndpointDef = NodeDef & OpcuaEndpointConfig;
type EndpointNode = Node<OpcuaEndpointCredentials> & { -readonly [K in keyof OpcuaEndpointHandle]: OpcuaEndpointHandle[K] } & { settings?: OpcuaEndpointConfig };

const APPLICATION_NAME = 'Node-RED predictive maintenance';
/** What the editor sends for a password it has not changed. */
const UNCHANGED_PASSWORD = '__PWRD__';
const COMPARED: readonly (keyof OpcuaEndpointConfig)[] = ['endpointUrl', 'securityMode', 'securityPolicy', 'authType', 'userCertificate', 'userPrivateKey'];

interface BrowseRequest extends OpcuaEndpointConfig, OpcuaEndpointCredentials {
  id?: unknown;
  nodeId?: unknown;
}

export = function register(RED: NodeAPI): void {
  const userDir = (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
  const pkiDir = path.join(userDir, 'opcua', 'pki');
  const resolvePath = (p: string): string => path.resolve(userDir, p);
  const connect = (options: OpcuaEndpointOptions): OpcuaConnection => new OpcuaConnection({ ...options, pkiDir, applicationName: APPLICATION_NAME });

  function OpcuaEndpointNode(this: Node, config: EndpointDef): void {
    RED.nodes.createNode(this, config);
    const node = this as EndpointNode;
    node.settings = config;
    let options: OpcuaEndpointOptions | undefined;
    let configError: string | undefined;
    try {
      options = endpointOptionsFromConfig(config, node.credentials, resolvePath);
    } catch (err) {
      configError = describeError(err);
      // An endpoint left to an environment variable that is not set (Node-RED keeps `${NAME}` as
      // it is then) waits for configuration: a warning, not a broken flow.
      const unset = typeof config.endpointUrl === 'string' ? /^\s*(?:\$\{(\w+)\})?\s*$/.exec(config.endpointUrl) : null;
      if (unset) node.warn(unset[1] ? RED._('opcua-endpoint.errors.unsetEnv', { name: unset[1] }) : RED._('opcua-endpoint.errors.noUrl'));
      else node.error(RED._('opcua-endpoint.errors.config', { reason: configError }));
    }
    let shared: OpcuaConnection | undefined;
    node.configError = configError;
    node.connection = () => {
      if (!options) return undefined;
      shared ??= connect(options);
      return shared;
    };
    node.on('close', (_removed: boolean, done: () => void) => {
      const closing = shared;
      shared = undefined;
      if (!closing) return done();
      closing.close().then(done, (err: unknown) => {
        node.warn(describeError(err));
        done();
      });
    });
  }

  RED.nodes.registerType('opcua-endpoint', OpcuaEndpointNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });

  /** Lists the children of a node for the editor, through the deployed connection when its settings are unchanged. */
  async function browse(body: BrowseRequest): Promise<BrowseEntry[]> {
    const nodeId = typeof body.nodeId === 'string' && body.nodeId.trim() !== '' ? body.nodeId.trim() : OBJECTS_FOLDER;
    const deployed = typeof body.id === 'string' ? (RED.nodes.getNode(body.id) as EndpointNode | null) : null;
    const stored = deployed?.credentials ?? {};
    const password = body.password === UNCHANGED_PASSWORD ? stored.password : body.password;
    const live = deployed?.connection();
    const unchanged = live && deployed && COMPARED.every((k) => (deployed.settings?.[k] ?? '') === (body[k] ?? '')) && (body.username ?? '') === (stored.username ?? '') && password === stored.password;
    if (live && unchanged) return browseChildren(await live.waitForSession(), nodeId);
    const temporary = connect(endpointOptionsFromConfig(body, { username: body.username, password }, resolvePath));
    try {
      return await browseChildren(await temporary.waitForSession(), nodeId);
    } finally {
      await temporary.close();
    }
  }

  RED.httpAdmin.post('/opcua-endpoint/browse', RED.auth.needsPermission('opcua-endpoint.read'), (req: Request, res: Response) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as BrowseRequest;
    browse(body).then(
      (entries) => res.json({ entries }),
      (err: unknown) => res.status(502).json({ error: describeOpcuaError(err) }),
    );
  });
};
