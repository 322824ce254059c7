import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError, type Rejection } from './lib/errors';
import { describeType, isRecord, parseTopic, validateReading } from './lib/reading';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { optionsFromConfig, outputModeOf, type WindowStatsConfig } from './lib/stats/config';
import { windowMessages } from './lib/stats/messages';
import type { ClosedWindow } from './lib/stats/window-engine';
import { WindowEngine } from './lib/stats/window-engine';
import { onGuardedInput } from './shared/guarded-input';

type WindowStatsDef = NodeDef & WindowStatsConfig;

interface ControlMessage extends NodeMessageInFlow {
  flush?: unknown;
  reset?: unknown;
}

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;

const STATUS_PERIOD_MS = 1000;
/** The windows/s figure is smoothed over about this long, so 10 s windows do not make it flicker. */
const RATE_HORIZON_MS = 10_000;
const NO_MESSAGES: NodeMessage[] = [];

export = function register(RED: NodeAPI): void {
  function WindowStatsNode(this: Node, config: WindowStatsDef): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: WindowStatsDef): void {
    const status = new ThrottledStatus((s) => node.status(s));
    let engine: WindowEngine;
    try {
      engine = new WindowEngine(optionsFromConfig(config));
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('window-stats.errors.config', { reason }));
      status.force(STATUS.error(RED._('window-stats.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    const output = outputModeOf(config);
    const newId = (): string => RED.util.generateId();
    const counts = { late: 0, rejected: 0, windows: 0, seenData: false };
    let rateWindows = 0;
    let rateSince = Date.now();
    let windowsPerSecond = 0;

    const nodeSend: Send = (msg) => node.send(msg);

    const toMessages = (closed: readonly ClosedWindow[]): NodeMessage[] => {
      if (closed.length === 0) return NO_MESSAGES;
      counts.windows += closed.length;
      return windowMessages(closed, engine.options, output, newId);
    };

    const rejectedMessage = (msg: NodeMessageInFlow, item: unknown, error: Rejection, single: boolean): NodeMessage => {
      if (error.code === 'LATE') counts.late++;
      else counts.rejected++;
      if (single) {
        (msg as NodeMessage).error = error;
        return msg;
      }
      return { _msgid: newId(), topic: msg.topic, payload: item, error };
    };

    const absorb = (msg: NodeMessageInFlow, rejected: NodeMessage[]): void => {
      const payload = msg.payload;
      const topicKey = parseTopic(msg.topic);
      if (!Array.isArray(payload)) {
        const result = validateReading(payload, topicKey);
        const error = result.ok ? engine.add(result.reading, msg.topic) : result.error;
        if (error !== undefined) rejected.push(rejectedMessage(msg, payload, error, true));
        return;
      }
      for (let i = 0; i < payload.length; i++) {
        const item: unknown = payload[i];
        const result = validateReading(item, topicKey);
        const error = result.ok ? engine.add(result.reading, msg.topic) : result.error;
        if (error !== undefined) rejected.push(rejectedMessage(msg, item, error, false));
      }
    };

    const handle = (msg: ControlMessage, send: Send, done: (err?: Error) => void): void => {
      const isControl = Boolean(msg.flush) || Boolean(msg.reset);
      const holdsReadings = Array.isArray(msg.payload) || isRecord(msg.payload);
      if (!isControl && !holdsReadings && typeof msg.payload !== 'number') {
        counts.rejected++;
        done(new PdmError('INVALID_PAYLOAD', RED._('window-stats.errors.payload', { type: describeType(msg.payload) })));
        return;
      }
      if (isControl && msg.reset) engine.reset(typeof msg.reset === 'string' ? msg.reset : undefined);
      const rejected: NodeMessage[] = [];
      if (!isControl || holdsReadings) {
        counts.seenData = true;
        absorb(msg, rejected);
      }
      let closed = engine.takeClosed();
      if (isControl && msg.flush) {
        const flushed = engine.flush(typeof msg.flush === 'string' ? msg.flush : undefined);
        closed = closed.length === 0 ? flushed : closed.concat(flushed);
      }
      sendEach(send, toMessages(closed), 0);
      sendEach(send, rejected, 1);
      done();
    };

    const refreshStatus = (): void => {
      const now = Date.now();
      const elapsed = now - rateSince;
      if (elapsed >= STATUS_PERIOD_MS) {
        const recent = ((counts.windows - rateWindows) * 1000) / elapsed;
        windowsPerSecond += (1 - Math.exp(-elapsed / RATE_HORIZON_MS)) * (recent - windowsPerSecond);
        rateWindows = counts.windows;
        rateSince = now;
      }
      if (engine.atKeyLimit) {
        status.set(STATUS.error(RED._('window-stats.status.keyLimit', { max: engine.options.maxKeys })));
      } else if (!counts.seenData) {
        status.set(STATUS.idle(RED._('window-stats.status.idle')));
      } else {
        const rate = windowsPerSecond >= 10 ? String(Math.round(windowsPerSecond)) : windowsPerSecond.toFixed(1);
        let text = RED._('window-stats.status.running', {
          keys: compactCount(engine.keyCount), rate, late: compactCount(counts.late),
        });
        if (counts.rejected > 0) text += RED._('window-stats.status.rejected', { count: compactCount(counts.rejected) });
        status.set(STATUS.ok(text));
      }
    };

    const tick = (): void => {
      try {
        sendEach(nodeSend, toMessages(engine.advance()), 0);
        refreshStatus();
      } catch (err) {
        node.error(RED._('window-stats.errors.timer', { reason: describeError(err) }));
      }
    };
    const timer = setInterval(tick, timerPeriod(engine));
    refreshStatus();

    onGuardedInput(node, handle);

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(timer);
      status.cancel();
      if (removed) {
        engine.reset();
      } else {
        sendEach(nodeSend, toMessages(engine.flush()), 0);
      }
      done();
    });
  }

  RED.nodes.registerType('window-stats', WindowStatsNode);
};

/**
 * One send per message: Node-RED deep-clones every message but the first of a single send call,
 * and these messages are new, so nothing needs cloning.
 */
function sendEach(send: Send, msgs: NodeMessage[], port: 0 | 1): void {
  for (const msg of msgs) send(port === 0 ? [msg, null] : [null, msg]);
}

/** Often enough that processing-time windows close on time: a quarter window, between 50 ms and 1 s. */
function timerPeriod(engine: WindowEngine): number {
  const { window, size } = engine.options;
  if (window === 'count') return STATUS_PERIOD_MS;
  return Math.min(STATUS_PERIOD_MS, Math.max(50, Math.floor(size / 4)));
}
