/**
 * An embedded Node-RED runtime (RED.init + RED.start) with this package loaded as a module
 * (its nodes, locales and examples, as a user would have them), for integration tests and
 * benchmarks. One runtime per process: Node-RED is a singleton.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import RED, { type Node, type NodeMessageInFlow } from 'node-red';
import { flowEnvironment } from '../../nodes/lib/server/flow-environment';

type RedApp = typeof RED;

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  [key: string]: unknown;
}

export interface LogEntry {
  level: number;
  msg: unknown;
  type?: string;
  id?: string;
}

export interface EmbeddedRuntime {
  RED: RedApp;
  baseUrl: string;
  userDir: string;
  logs: LogEntry[];
  node(id: string): Node;
  findNode(id: string): Node | undefined;
  /** Sends msg out of the node with this id, as if that node had sent it. */
  inject(id: string, msg: Record<string, unknown>): void;
  /** Deploys a whole flow through the Admin HTTP API and waits until it has started. */
  deploy(flow: FlowNode[]): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  /** Log levels to keep in `logs` (Node-RED numbers: 20 error, 30 warn, 40 info). */
  captureLevel?: number;
  settings?: Record<string, unknown>;
  quiet?: boolean;
}

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const testNodesDir = path.join(projectRoot, 'dist', 'test', 'support', 'nodes');

export const FLOW_TAB = 'tab1';

/** Puts nodes without a tab on one tab, so a test can write just the nodes. */
export function onTab(nodes: FlowNode[]): FlowNode[] {
  const hasTab = nodes.some((n) => n.type === 'tab');
  const placed = nodes.map((n) => (n.z || n.type === 'tab' || isConfigNode(n) ? n : { ...n, z: FLOW_TAB }));
  return hasTab ? placed : [{ id: FLOW_TAB, type: 'tab', label: 'test' }, ...placed];
}

function isConfigNode(n: FlowNode): boolean {
  return n.wires === undefined && !('x' in n);
}

export async function startRuntime(flows: FlowNode[], options: RuntimeOptions = {}): Promise<EmbeddedRuntime> {
  // The variables the shipped flows read, as `npm start` sets them (a test may set its own first).
  Object.assign(process.env, flowEnvironment(process.env, { mqttEmbeddedPort: 1884 }));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-red-'));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const logs: LogEntry[] = [];
  const captureLevel = options.captureLevel ?? 30;
  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [projectRoot, testNodesDir],
    httpAdminRoot: '/admin',
    httpNodeRoot: '/api',
    uiPort: 0,
    credentialSecret: 'test-only-secret',
    contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
    editorTheme: { tours: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false },
    logging: {
      console: { level: options.quiet === false ? 'info' : 'fatal' },
      capture: {
        level: 'trace',
        handler: () => (entry: LogEntry) => {
          if (entry.level <= captureLevel) logs.push(entry);
        },
      },
    },
    ...options.settings,
  } as never);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  app.use('/admin', RED.httpAdmin);
  app.use('/api', RED.httpNode);
  await RED.start();
  await started;
  const port = (server.address() as AddressInfo).port;

  const findNode = (id: string): Node | undefined =>
    (RED.nodes as unknown as { getNode(id: string): Node | null }).getNode(id) ?? undefined;
  const node = (id: string): Node => {
    const found = findNode(id);
    if (!found) throw new Error(`no node ${id} in the running flow`);
    return found;
  };
  return {
    RED,
    baseUrl: `http://127.0.0.1:${port}`,
    userDir,
    logs,
    node,
    findNode,
    inject: (id, msg) => node(id).send(msg as NodeMessageInFlow),
    deploy: async (flow) => {
      const started = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
      const response = await postOnce(`http://127.0.0.1:${port}/admin/flows`, JSON.stringify(flow), {
        'content-type': 'application/json',
        'Node-RED-Deployment-Type': 'full',
      });
      if (response.status !== 204) throw new Error(`deploy answered ${response.status}: ${await response.text()}`);
      await started;
    },
    stop: async () => {
      await RED.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

export { onSink, clearSinks } from './sink-registry';

/**
 * POST, tried a second time when the first attempt met a kept-alive connection that the
 * server had just closed (ECONNRESET before any response): the request never reached Node-RED.
 */
async function postOnce(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', headers, body });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code !== 'ECONNRESET') throw err;
    return fetch(url, { method: 'POST', headers, body });
  }
}

export function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}
