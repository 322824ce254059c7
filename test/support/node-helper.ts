/**
 * Shared pieces of the node tests (node-red-node-test-helper): the shipped locale catalog in
 * place of the helper's key-echoing RED._, and a recorder for what reaches a helper node.
 */
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node, NodeAPI, NodeInitializer, NodeMessage } from 'node-red';

const localesDir = path.join(__dirname, '..', '..', 'nodes', 'locales', 'en-US');

/**
 * The node module with RED._ answering from the catalogs as the build ships them beside the
 * compiled nodes (the namespace of a key names its catalog), so a missing label fails a test.
 */
export function withCatalog(init: NodeInitializer): NodeInitializer {
  const catalogs = new Map<string, unknown>();
  const catalog = (namespace: string): unknown => {
    if (!catalogs.has(namespace)) {
      const file = path.join(localesDir, `${namespace}.json`);
      catalogs.set(namespace, fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
    }
    return catalogs.get(namespace);
  };
  const translate = (key: string, args: Record<string, unknown> = {}): string => {
    let entry: unknown = catalog(key.split('.')[0]);
    for (const part of key.split('.')) entry = (entry as Record<string, unknown> | undefined)?.[part];
    if (typeof entry !== 'string') return key;
    return entry.replace(/__(\w+)__/g, (_, name: string) => String(args[name]));
  };
  return (RED) => {
    RED._ = translate as NodeAPI['_'];
    return init(RED);
  };
}

/** The node as the plain emitter it is, for the helper's input and call:<method> events. */
export function events(node: Node): EventEmitter {
  return node as unknown as EventEmitter;
}

export interface Recorder<T extends NodeMessage> {
  messages: T[];
  /** Waits for n more messages and returns them. */
  next(n?: number, timeoutMs?: number): Promise<T[]>;
}

/** Collects what arrives at a helper node of the loaded flow. */
export function recorder<T extends NodeMessage = NodeMessage>(id: string): Recorder<T> {
  const messages: T[] = [];
  const waiters: Array<() => void> = [];
  events(helper.getNode(id)).on('input', (msg: T) => {
    messages.push(msg);
    waiters.splice(0).forEach((wake) => wake());
  });
  const next = (n = 1, timeoutMs = 2000): Promise<T[]> => {
    const target = messages.length + n;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id}: ${messages.length}/${target} messages`)), timeoutMs);
      const check = (): void => {
        if (messages.length >= target) {
          clearTimeout(timer);
          resolve(messages.slice(target - n, target));
        } else waiters.push(check);
      };
      check();
    });
  };
  return { messages, next };
}

/**
 * Node-RED keeps a node's context across a redeploy only when settings configure a context
 * store (the bare default memory store is dropped with the node), as settings.ts does.
 */
export async function useConfiguredStore(): Promise<void> {
  const runtimeDir = path.dirname(require.resolve('@node-red/runtime/package.json'));
  const context = (await import(path.join(runtimeDir, 'lib', 'nodes', 'context'))) as { load(): Promise<void> };
  await context.load();
}
