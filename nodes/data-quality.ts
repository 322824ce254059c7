import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError, type Rejection } from './lib/errors';
import {
  DataQualityChecker,
  qualityConfigFromEditor,
  type EditorQualityConfig,
  type MessageOutcome,
  type RejectedItem,
} from './lib/quality';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';

interface DataQualityDef extends NodeDef, EditorQualityConfig {}

type QualityMessage = NodeMessageInFlow & { error?: Rejection; quality?: MessageOutcome['quality'] };
type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

/** How often the status text is rebuilt while messages flow (ThrottledStatus caps what reaches the editor). */
const STATUS_REFRESH_MS = 250;

export = function register(RED: NodeAPI): void {
  function DataQualityNode(this: Node, def: DataQualityDef): void {
    RED.nodes.createNode(this, def);
    const status = new ThrottledStatus((s) => this.status(s));
    let checker: DataQualityChecker;
    try {
      checker = new DataQualityChecker(qualityConfigFromEditor(def));
    } catch (err) {
      const message = describeError(err);
      this.error(RED._('data-quality.errors.config', { message }));
      status.force(STATUS.error(RED._('data-quality.status.config')));
      this.on('input', (_msg: NodeMessageInFlow, _send: Send, done: Done) => {
        done(new PdmError('INVALID_CONFIG', message));
      });
      return;
    }

    let lastFailure: Rejection | undefined;
    let refresh: NodeJS.Timeout | undefined;
    const showStatus = (): void => {
      refresh = undefined;
      const totals = checker.totals();
      const rejected = compactCount(totals.rejected + totals.failedMessages);
      if (lastFailure !== undefined) {
        status.set(STATUS.error(RED._('data-quality.status.failed', { code: lastFailure.code, rejected })));
        return;
      }
      const score = (totals.score * 100).toFixed(1);
      status.set(STATUS.ok(RED._('data-quality.status.summary', { score, rejected })));
    };
    const scheduleStatus = (): void => {
      if (refresh !== undefined) return;
      refresh = setTimeout(showStatus, STATUS_REFRESH_MS);
      refresh.unref();
    };

    this.on('input', (msg: QualityMessage, send: Send, done: Done) => {
      try {
        const outcome = checker.check(msg.payload, msg.topic);
        lastFailure = outcome.failure;
        if (outcome.failure !== undefined) {
          msg.error = outcome.failure;
          send([null, msg]);
          done(new PdmError(outcome.failure.code, outcome.failure.reason));
        } else {
          forward(msg, outcome, send);
          done();
        }
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
      scheduleStatus();
    });

    this.on('close', (removed: boolean, done: () => void) => {
      if (refresh !== undefined) clearTimeout(refresh);
      refresh = undefined;
      status.cancel();
      if (removed) checker.clear();
      done();
    });
  }

  /**
   * A single reading goes out on output 1 or 2 in the incoming msg. A batch goes out as the
   * incoming msg holding the accepted readings on output 1, and one more msg holding every
   * rejected item on output 2 (the incoming msg itself when nothing was accepted).
   */
  function forward(msg: QualityMessage, outcome: MessageOutcome, send: Send): void {
    const { accepted, rejected, quality } = outcome;
    msg.quality = quality;
    if (outcome.single) {
      if (accepted.length === 1) {
        msg.payload = accepted[0];
        send([msg, null]);
      } else {
        msg.payload = rejected[0].input;
        msg.error = rejected[0].error;
        send([null, msg]);
      }
      return;
    }
    if (rejected.length === 0) {
      if (accepted.length > 0) {
        msg.payload = accepted;
        send([msg, null]);
      }
      return;
    }
    let rejectedMsg: QualityMessage = msg;
    if (accepted.length > 0) {
      rejectedMsg = RED.util.cloneMessage({ ...msg, payload: undefined });
      msg.payload = accepted;
    }
    rejectedMsg.payload = rejected;
    rejectedMsg.error = batchError(rejected, accepted.length + rejected.length);
    send([accepted.length > 0 ? msg : null, rejectedMsg]);
  }

  RED.nodes.registerType('data-quality', DataQualityNode);
};

function batchError(rejected: RejectedItem[], total: number): Rejection {
  const first = rejected[0].error;
  return { code: first.code, reason: `${rejected.length} of ${total} readings rejected; first: ${first.reason}` };
}
