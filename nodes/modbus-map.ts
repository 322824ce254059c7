import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { decodeRegisters, parseRegisterMap, type RegisterField } from './lib/protocols/modbus-map';
import { describeType } from './lib/reading';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

interface ModbusMapConfig {
  asset?: string;
  map?: string;
}

type ModbusMapDef = NodeDef & ModbusMapConfig;

interface RegisterMessage extends NodeMessageInFlow {
  timestamp?: unknown;
}

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;

export = function register(RED: NodeAPI): void {
  function ModbusMapNode(this: Node, config: ModbusMapDef): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: ModbusMapDef): void {
    const status = new ThrottledStatus((s) => node.status(s));
    let fields: RegisterField[];
    try {
      fields = parseRegisterMap(config.map ?? '');
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('modbus-map.errors.config', { reason }));
      status.force(STATUS.error(RED._('modbus-map.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    const configAsset = config.asset?.trim() ?? '';
    const counts = { readings: 0, rejected: 0 };

    const refreshStatus = (): void => {
      const readings = compactCount(counts.readings);
      if (counts.rejected > 0) {
        status.set(STATUS.error(RED._('modbus-map.status.rejected', { readings, rejected: compactCount(counts.rejected) })));
      } else {
        status.set(STATUS.ok(RED._('modbus-map.status.ok', { readings })));
      }
    };

    const handle = (msg: RegisterMessage, send: Send, done: (err?: Error) => void): void => {
      const registers = msg.payload;
      if (!Array.isArray(registers)) {
        counts.rejected++;
        refreshStatus();
        done(new PdmError('INVALID_PAYLOAD', RED._('modbus-map.errors.payload', { type: describeType(registers) })));
        return;
      }
      const stamp = msg.timestamp;
      if (stamp !== undefined && (typeof stamp !== 'number' || !Number.isFinite(stamp))) {
        counts.rejected++;
        refreshStatus();
        done(new PdmError('BAD_TIMESTAMP', RED._('modbus-map.errors.timestamp', { type: describeType(stamp) })));
        return;
      }
      const asset = configAsset !== '' ? configAsset : typeof msg.topic === 'string' ? msg.topic : undefined;
      const { readings, rejections } = decodeRegisters(registers, fields, { asset, ts: stamp ?? Date.now() });
      counts.readings += readings.length;
      counts.rejected += rejections.length;
      let rejected: NodeMessage[] | null = null;
      if (rejections.length > 0) {
        rejected = rejections.map((error) => ({ _msgid: RED.util.generateId(), topic: msg.topic, payload: registers, error }));
      }
      let decoded: NodeMessage | null = null;
      if (readings.length > 0) {
        msg.payload = readings;
        decoded = msg;
      }
      send([decoded, rejected]);
      refreshStatus();
      done();
    };

    status.force(STATUS.idle(RED._('modbus-map.status.idle')));

    onGuardedInput(node, handle);

    node.on('close', (_removed: boolean, done: () => void) => {
      status.cancel();
      done();
    });
  }

  RED.nodes.registerType('modbus-map', ModbusMapNode);
};
