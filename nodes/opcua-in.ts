import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { describeError, type Rejection } from './lib/errors';
import type { OpcuaConnection, OpcuaConnectionState, OpcuaEndpointHandle } from './lib/protocols/opcua-client';
import { inOptionsFromConfig, type OpcuaInConfig, type OpcuaInOptions } from './lib/protocols/opcua-config';
import { OpcuaSubscription } from './lib/protocols/opcua-subscription';
import { readingTopic, type Reading, type ReadingResult } from './lib/reading';
import { compactCount, STATUS, systemClock, ThrottledStatus, type NodeStatusLike } from './lib/status';

type OpcuaInDef = NodeDef & OpcuaInConfig & { endpoint?: string };

interface RejectedMessage extends NodeMessage {
  error: Rejection;
}

const STATUS_PERIOD_MS = 1000;
/** Item failures listed in one warning; the rest are counted. */
const LISTED_FAILURES = 5;

export = function register(RED: NodeAPI): void {
  function OpcuaInNode(this: Node, config: OpcuaInDef): void {
    RED.nodes.createNode(this, config);
    const status = new ThrottledStatus((s) => this.status(s));
    const endpoint = config.endpoint ? (RED.nodes.getNode(config.endpoint) as (Node & OpcuaEndpointHandle) | null) : null;
    let options: OpcuaInOptions;
    try {
      options = inOptionsFromConfig(config);
    } catch (err) {
      this.error(RED._('opcua-in.errors.config', { reason: describeError(err) }));
      status.force(STATUS.error(RED._('opcua-in.status.config')));
      return;
    }
    if (!endpoint) {
      this.error(RED._('opcua-in.errors.noEndpoint'));
      status.force(STATUS.error(RED._('opcua-in.status.noEndpoint')));
      return;
    }
    const connection = endpoint.connection();
    if (!connection) {
      status.force(STATUS.error(RED._('opcua-in.status.endpointConfig', { reason: endpoint.configError ?? '' })));
      return;
    }
    start(this, connection, options, status);
  }

  function start(node: Node, connection: OpcuaConnection, options: OpcuaInOptions, status: ThrottledStatus): void {
    const subscription = new OpcuaSubscription(connection, options.items, options, systemClock);
    let live: number | undefined;
    let values = 0;
    let rejected = 0;
    let problem: NodeStatusLike | undefined;

    const refresh = (): void => {
      if (problem) return status.set(problem);
      if (live === undefined) return status.set(STATUS.connecting(RED._('opcua-in.status.subscribing', { items: options.items.length })));
      const text = RED._('opcua-in.status.running', { items: compactCount(live), values: compactCount(values) })
        + (rejected > 0 ? RED._('opcua-in.status.rejected', { count: compactCount(rejected) }) : '');
      status.set(STATUS.ok(text));
    };

    const onState = (state: OpcuaConnectionState, reason: string | undefined): void => {
      if (state === 'connecting') problem = STATUS.connecting(RED._('opcua-in.status.connecting'));
      else if (state === 'reconnecting') problem = STATUS.connecting(RED._('opcua-in.status.reconnecting', { reason: reason ?? '' }));
      else if (state === 'error') problem = STATUS.error(reason ?? RED._('opcua-in.status.failed'));
      else if (state === 'connected') problem = undefined;
      else return;
      status.force(problem ?? STATUS.connecting(RED._('opcua-in.status.subscribing', { items: options.items.length })));
      if (state === 'connected') refresh();
    };
    connection.on('state', onState);
    onState(connection.state === 'closed' ? 'connecting' : connection.state, connection.reason);

    subscription.on('ready', (items, failures) => {
      live = items.length;
      problem = undefined;
      if (failures.length > 0) {
        const listed = failures.slice(0, LISTED_FAILURES).join('; ');
        const more = failures.length > LISTED_FAILURES ? RED._('opcua-in.errors.more', { count: failures.length - LISTED_FAILURES }) : '';
        node.warn(RED._('opcua-in.errors.items', { count: failures.length, list: listed + more }));
      }
      refresh();
    });
    subscription.on('failed', (reason) => {
      live = undefined;
      problem = STATUS.error(reason);
      node.warn(RED._('opcua-in.errors.subscription', { reason }));
      status.force(problem);
    });
    subscription.on('values', (results) => {
      const { readings, rejects } = split(results);
      values += readings.length;
      rejected += rejects.length;
      if (options.output === 'batch') {
        node.send([readings.length > 0 ? { payload: readings } : null, rejects]);
      } else {
        node.send([readings.map((r): NodeMessage => ({ topic: readingTopic(r), payload: r })), rejects]);
      }
    });

    const timer = setInterval(refresh, STATUS_PERIOD_MS);
    subscription.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      status.cancel();
      connection.off('state', onState);
      subscription.close().catch((err: unknown) => node.warn(describeError(err))).finally(done);
    });
  }

  RED.nodes.registerType('opcua-in', OpcuaInNode);
};

function split(results: ReadingResult[]): { readings: Reading[]; rejects: RejectedMessage[] } {
  const readings: Reading[] = [];
  const rejects: RejectedMessage[] = [];
  for (const r of results) {
    if (r.ok) readings.push(r.reading);
    else {
      const input = r.input as { asset: string; sensor: string };
      rejects.push({ topic: readingTopic(input), payload: r.input, error: r.error });
    }
  }
  return { readings, rejects };
}
