import type { Node, NodeMessageInFlow } from 'node-red';
import { describeError } from '../lib/errors';

type Done = (err?: Error) => void;

/**
 * Registers an input handler whose exceptions end in done(err), so a Catch node sees them and
 * nothing escapes into the runtime. `M` and `S` are the node's own message and send types.
 */
export function onGuardedInput<M extends NodeMessageInFlow, S>(node: Node, handle: (msg: M, send: S, done: Done) => void): void {
  node.on('input', (msg, send, done) => {
    try {
      handle(msg as M, send as unknown as S, done);
    } catch (err) {
      done(err instanceof Error ? err : new Error(describeError(err)));
    }
  });
}
