/**
 * A function node of a shipped flow, loaded on its own into node-red-node-test-helper with its
 * first output wired to a `helper` node named `out`, so a test runs the flow's own code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node, NodeInitializer } from 'node-red';

const functionNode = createRequire(__filename)('@node-red/nodes/core/function/10-function.js') as NodeInitializer;
const flowsDir = path.resolve(__dirname, '..', '..', '..', 'flows');

export async function loadFlowFunction(flowFile: string, id: string): Promise<Node> {
  const flow = JSON.parse(fs.readFileSync(path.join(flowsDir, flowFile), 'utf8')) as Array<Record<string, unknown>>;
  const node = flow.find((n) => n.id === id);
  assert.ok(node, `${flowFile} has the function node ${id}`);
  assert.equal(node.type, 'function');
  const tab = String(node.z);
  await helper.load(functionNode, [
    { id: tab, type: 'tab' },
    { ...node, wires: [['out']] } as helper.TestFlowsItem,
    { id: 'out', z: tab, type: 'helper' },
  ]);
  return helper.getNode(id);
}
