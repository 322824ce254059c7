import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { storePayload } from './lib/storage/records';
import type { ConnectionEvent, StorageProvider } from './lib/storage/service';
import { Spool } from './lib/storage/spool';
import { writeSettings, type TimescaleWriteConfig } from './lib/storage/write-config';
import { BatchWriter } from './lib/storage/writer';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';

type TimescaleWriteDef = NodeDef & TimescaleWriteConfig;

interface WriteMessage extends NodeMessageInFlow {
  anomaly?: unknown;
}

/** Leaves the config node time to end the connection within Node-RED's 15 s close budget. */
const CLOSE_BUDGET_MS = 10_000;
const TICK_MS = 250;
const MAX_DETAIL = 40;

export = function register(RED: NodeAPI): void {
  function TimescaleWriteNode(this: Node, config: TimescaleWriteDef): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: TimescaleWriteDef): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const provider = RED.nodes.getNode(config.db ?? '') as (Node & StorageProvider) | null;
    const storage = provider?.storage;
    let settings;
    try {
      settings = writeSettings(config);
      if (provider === null || storage === undefined) throw new PdmError('INVALID_CONFIG', RED._('timescale-write.errors.noDb'));
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('timescale-write.errors.config', { reason }));
      status.force(STATUS.error(RED._('timescale-write.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    let spool: Spool | undefined;
    if (settings.spill) {
      try {
        spool = new Spool({ dir: path.join(provider.dataRoot, 'spool', node.id) });
      } catch (err) {
        node.warn(RED._('timescale-write.errors.spool', { reason: describeError(err) }));
      }
    }
    const writer = new BatchWriter({
      insert: (batch) => storage.insert(batch),
      batchSize: settings.batchSize,
      flushIntervalMs: settings.flushIntervalMs,
      maxBufferedRows: settings.maxBufferedRows,
      maxInFlight: storage.writeConcurrency,
      spool,
      onDrop: (err, batch) => node.error(RED._('timescale-write.errors.dropped', { rows: batch.rows, table: batch.table, reason: err.message })),
    });
    let connection: ConnectionEvent = storage.current;
    let rejected = 0;

    const refreshStatus = (): void => {
      const rejectedText = rejected > 0 ? RED._('timescale-write.status.rejected', { count: compactCount(rejected) }) : '';
      const backlog = writer.backlog;
      if (backlog > 0 && (writer.retrying || writer.spooledRows > 0)) {
        status.set(STATUS.buffering(RED._('timescale-write.status.buffering', { count: compactCount(backlog) }) + rejectedText));
      } else if (connection.state === 'error') {
        status.set(STATUS.error(RED._('timescale-write.status.error', { detail: (connection.detail ?? '').slice(0, MAX_DETAIL) })));
      } else if (connection.state === 'connecting') {
        status.set(STATUS.connecting(RED._('timescale-write.status.connecting')));
      } else {
        const mode = RED._(connection.mode === 'timescale' ? 'timescale-write.mode.timescale' : 'timescale-write.mode.plain');
        status.set(STATUS.ok(RED._('timescale-write.status.ok', { mode, count: compactCount(writer.counts.written) }) + rejectedText));
      }
    };

    const unregister = storage.register((event) => {
      connection = event;
      refreshStatus();
    });
    const timer = setInterval(() => {
      writer.tick();
      refreshStatus();
    }, Math.min(TICK_MS, settings.flushIntervalMs));

    node.on('input', (msg, _send, done) => {
      try {
        const outcome = storePayload(writer, msg.payload, msg.topic, (msg as WriteMessage).anomaly);
        if (outcome.firstRejection === undefined) {
          done();
          return;
        }
        rejected += outcome.rejected;
        const first = outcome.firstRejection;
        done(new PdmError(first.code, RED._('timescale-write.errors.rejected', { count: outcome.rejected, reason: first.reason })));
      } catch (err) {
        done(err instanceof Error ? err : new Error(describeError(err)));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      writer
        .close(CLOSE_BUDGET_MS)
        .then((result) => {
          if (result.spooled > 0) node.warn(RED._('timescale-write.errors.spooled', { rows: result.spooled, dir: spool?.dir ?? '' }));
        })
        .catch((err) => node.error(RED._('timescale-write.errors.close', { reason: describeError(err) })))
        .finally(() => {
          unregister();
          status.cancel();
          done();
        });
    });
  }

  RED.nodes.registerType('timescale-write', TimescaleWriteNode);
};
