import type { Node, NodeMessageInFlow } from 'node-red';
import { describeError } from '../lib/errors';

type Done = (err?: Error) => void;
type InputHandler<M, S> = (msg: M, send: S, done: Done) => void;

/** `handle` with its exceptions ended in done(err), so a Catch node sees them and nothing escapes into the runtime. */
export function guarded<M, S>(handle: InputHandler<M, S>): InputHandler<M, S> {
  return (msg, send, done) => {
    try {
      handle(msg, send, done);
    } catch (err) {
      done(err instanceof Error ? err : new Error(describeError(err)));
    }
  };
}

/**
 * Registers an input handler whose exceptions end in done(err). `M` and `S` are the node's own
 * message and send types.
 */
export function onGuardedInput<M extends NodeMessageInFlow, S>(node: Node, handle: InputHandler<M, S>): void {
  const safe = guarded(handle);
  node.on('input', (msg, send, done) => safe(msg as M, send as unknown as S, done));
}
