import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { buildQuery, queryRequest, templateQuery, toChartPoints, type BuiltQuery, type QueryInput, type QueryRequest } from './lib/storage/query';
import { querySettings, type QuerySettings, type TimescaleQueryConfig } from './lib/storage/query-config';
import type { ConnectionEvent, StorageProvider, StorageService } from './lib/storage/service';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';

type TimescaleQueryDef = NodeDef & TimescaleQueryConfig;

/** What the answer says about itself, on msg.query. */
interface QueryMeta {
  mode: string;
  asset?: string;
  sensor?: string;
  from: number;
  to: number;
  source?: string;
  bucketMs?: number;
  rows: number;
  ms: number;
}

type QueryMessage = NodeMessageInFlow & { query?: QueryMeta };

/** How long a message waits for a database that is still starting (embedded start, first connect). */
const CONNECT_WAIT_MS = 10_000;
const MAX_DETAIL = 40;

export = function register(RED: NodeAPI): void {
  function TimescaleQueryNode(this: Node, config: TimescaleQueryDef): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: TimescaleQueryDef): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const provider = RED.nodes.getNode(config.db ?? '') as (Node & StorageProvider) | null;
    const storage = provider?.storage;
    let settings: QuerySettings;
    try {
      settings = querySettings(config);
      if (storage === undefined) throw new PdmError('INVALID_CONFIG', RED._('timescale-query.errors.noDb'));
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('timescale-query.errors.config', { reason }));
      status.force(STATUS.error(RED._('timescale-query.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    const chosen = settings;
    const service = storage;
    let connection: ConnectionEvent = service.current;
    let answered = 0;
    let failed = 0;
    let lastFailure = '';
    let lastMs = 0;
    const waiting = new Set<() => void>();
    let closed = false;

    const refreshStatus = (): void => {
      if (closed) return;
      const failedText = failed > 0 ? RED._('timescale-query.status.failed', { count: compactCount(failed) }) : '';
      if (lastFailure !== '') {
        status.set(STATUS.error(RED._('timescale-query.status.error', { detail: lastFailure.slice(0, MAX_DETAIL) }) + failedText));
      } else if (connection.state === 'error') {
        status.set(STATUS.error(RED._('timescale-query.status.error', { detail: (connection.detail ?? '').slice(0, MAX_DETAIL) }) + failedText));
      } else if (connection.state === 'connecting') {
        status.set(STATUS.connecting(RED._('timescale-query.status.connecting')));
      } else if (answered === 0) {
        status.set(STATUS.idle(RED._('timescale-query.status.ready')));
      } else {
        status.set(STATUS.ok(RED._('timescale-query.status.ok', { count: compactCount(answered), ms: lastMs }) + failedText));
      }
    };

    const unregister = service.register((event) => {
      connection = event;
      refreshStatus();
    });

    const build = (request: QueryRequest): BuiltQuery => {
      const schema = service.schema as string;
      if (chosen.mode === 'sql') return templateQuery(chosen.sql, schema, request.params);
      return buildQuery(request, schema, service.mode ?? 'plain');
    };

    async function answer(msg: QueryMessage): Promise<void> {
      const started = Date.now();
      const request = queryRequest(chosen.mode, msg as unknown as QueryInput, chosen.defaults, chosen.limit, started);
      await whenReady(service, waiting);
      const built = build(request);
      const rows = await service.query(built.text, built.values, chosen.mode === 'sql');
      const chart = chosen.output === 'chart' && (chosen.mode === 'raw' || chosen.mode === 'bucketed');
      msg.payload = chart ? toChartPoints(rows) : rows;
      lastMs = Date.now() - started;
      msg.query = {
        mode: chosen.mode, asset: request.asset, sensor: request.sensor, from: request.from, to: request.to,
        source: built.source, bucketMs: built.bucketMs, rows: rows.length, ms: lastMs,
      };
    }

    node.on('input', (msg, send, done) => {
      answer(msg as QueryMessage).then(
        () => {
          answered++;
          lastFailure = '';
          refreshStatus();
          send(msg);
          done();
        },
        (err: unknown) => {
          // A query still waiting for the database when the flow stops is dropped, not an error.
          if (closed) {
            done();
            return;
          }
          failed++;
          const failure = err instanceof PdmError ? err : new PdmError('DB_ERROR', describeError(err), { cause: err });
          lastFailure = failure.message;
          refreshStatus();
          done(failure);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      for (const cancel of waiting) cancel();
      unregister();
      status.cancel();
      done();
    });
  }

  /**
   * Resolves once the schema is ready; while the first connection is being made, waits up to
   * CONNECT_WAIT_MS (or until the node closes); once an attempt has failed, rejects at once.
   */
  function whenReady(storage: StorageService, waiting: Set<() => void>): Promise<void> {
    if (storage.schema !== undefined) return Promise.resolve();
    const unavailable = (): PdmError =>
      new PdmError('DB_UNAVAILABLE', RED._('timescale-query.errors.notConnected', { detail: storage.current.detail ?? '' }), { retriable: true });
    if (storage.current.state === 'error') return Promise.reject(unavailable());
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: PdmError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        waiting.delete(cancel);
        leave();
        if (err) reject(err);
        else resolve();
      };
      const cancel = (): void => finish(unavailable());
      const timer = setTimeout(cancel, CONNECT_WAIT_MS);
      waiting.add(cancel);
      const leave = storage.register((event) => {
        if (storage.schema !== undefined) queueMicrotask(() => finish());
        else if (event.state === 'error') queueMicrotask(cancel);
      });
    });
  }

  RED.nodes.registerType('timescale-query', TimescaleQueryNode);
};
