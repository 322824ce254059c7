/**
 * onnx-infer without onnxruntime-node (an optional dependency): the package is hidden from
 * require in this test process, as on a platform where it failed to install.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import onnxInferNode from '../../../nodes/onnx-infer';
import { onnxRuntimeAvailable } from '../../../nodes/lib/ml/onnx-runtime';
import { events, recorder, withCatalog } from '../../support/node-helper';
import { distanceModel } from '../../support/onnx-models';

helper.init(require.resolve('node-red'));

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Loader };
const originalLoad = moduleInternals._load;

describe('onnx-infer without onnxruntime-node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-onnx-missing-'));
  before(() => {
    moduleInternals._load = (request, parent, isMain) => {
      if (request === 'onnxruntime-node') throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return originalLoad(request, parent, isMain);
    };
    return new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    moduleInternals._load = originalLoad;
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  it('shows a red status and fails each message with how to install it, without crashing', async () => {
    assert.equal(onnxRuntimeAvailable(), false);
    const file = path.join(dir, 'm.onnx');
    fs.writeFileSync(file, distanceModel({ mean: [0, 0] }));
    const statuses: Array<{ fill?: string; text?: string }> = [];
    const flow: Array<helper.TestFlowsItem & Record<string, unknown>> = [
      { id: 'f', type: 'tab' },
      { id: 'n', z: 'f', type: 'onnx-infer', source: 'file', file, features: 'a,b', wires: [['out']] },
      { id: 'out', z: 'f', type: 'helper' },
      { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f', type: 'helper' },
    ];
    await helper.load(withCatalog(onnxInferNode), flow);
    const node = helper.getNode('n');
    events(node).on('call:status', (call: { args: Array<{ fill?: string; text?: string }> }) => statuses.push(call.args[0]));
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    node.receive({ topic: 'a1', payload: [1, 2] });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /onnxruntime-node is not available .*npm install onnxruntime-node/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const last = statuses.at(-1);
    assert.equal(last?.fill, 'red');
    assert.match(last?.text ?? '', /onnxruntime-node is not available/);
  });
});
