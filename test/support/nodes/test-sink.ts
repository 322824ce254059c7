import type { Node, NodeAPI, NodeDef } from 'node-red';
import { sinkFor } from '../sink-registry';

/**
 * A node for tests and benchmarks only: hands every message it receives to the callback a
 * test registered under the node's id, at the cost of one function call.
 */
export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('test-sink', function TestSink(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const callback = sinkFor(this.id);
    this.on('input', (msg, _send, done) => {
      (callback ?? sinkFor(this.id))?.(msg);
      done();
    });
  });
};
