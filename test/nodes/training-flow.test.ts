/**
 * The Model training flow's queue (flows/training.json, "one asset at a time"), run as the
 * function node it is: which assets it sends to training, one at a time and never twice.
 */
import assert from 'node:assert/strict';
import { afterEach, before, after, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import { loadFlowFunction } from '../support/flow-function';
import { recorder } from '../support/node-helper';

helper.init(require.resolve('node-red'));

interface TrainRequest extends NodeMessage {
  asset: string;
  modelName: string;
  reason: string;
  params: [string, number, number];
}

describe('training flow queue', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('trains first the assets with history and no live model, one at a time, each once, and an asset on drift at most once an hour', async () => {
    const queue = await loadFlowFunction('training.json', 'tr-queue');
    const out = recorder<TrainRequest>('out');
    queue.receive({ topic: 'models', payload: [{ name: 'P-101', live: 1 }, { name: 'M-201', live: null }] } as NodeMessage);
    queue.receive({ topic: 'first', payload: [{ asset: 'P-101', rows: 900 }, { asset: 'M-201', rows: 900 }, { asset: 'C-301', rows: 20 }, { asset: 'P-102', rows: 900 }] });
    const [first] = await out.next(1, 5000);
    assert.equal(first.asset, 'M-201');
    assert.equal(first.modelName, 'M-201');
    // Copied: the function node's array belongs to its own VM context.
    assert.deepEqual([...first.params], ['M-201', 30, 60]);
    // Asked again while M-201 trains: nothing new, and nothing twice.
    queue.receive({ topic: 'first', payload: [{ asset: 'M-201', rows: 950 }, { asset: 'P-102', rows: 950 }] });
    queue.receive({ topic: 'retrain', payload: { asset: 'P-101', reason: 'drift' } });
    queue.receive({ topic: 'retrain', payload: { asset: 'P-101', reason: 'drift' } });
    // Another asset's result does not free the queue; M-201's does.
    queue.receive({ asset: 'X-1', training: { outcome: 'live', reason: 'promoted' } } as NodeMessage);
    queue.receive({ asset: 'M-201', training: { outcome: 'live', reason: 'promoted: no live model' } } as NodeMessage);
    const [second] = await out.next(1, 5000);
    assert.equal(second.asset, 'P-102');
    // A failure caught by the Catch node frees it too.
    queue.receive({ asset: 'P-102', error: { message: 'too few rows' } } as NodeMessage);
    const [third] = await out.next(1, 5000);
    assert.deepEqual([third.asset, third.reason], ['P-101', 'drift']);
    queue.receive({ asset: 'P-101', training: { outcome: 'candidate', reason: 'kept as candidate' } } as NodeMessage);
    // Drift again right after a drift retraining (the new version restarts the comparison): not retrained within the hour.
    queue.receive({ topic: 'retrain', payload: { asset: 'P-101', reason: 'drift' } });
    // The nightly run retrains every asset with history, modelled or not.
    queue.receive({ topic: 'nightly', payload: [{ asset: 'P-101', rows: 2000 }, { asset: 'C-301', rows: 20 }] });
    const [fourth] = await out.next(1, 5000);
    assert.deepEqual([fourth.asset, fourth.reason], ['P-101', 'nightly']);
    assert.deepEqual(out.messages.map((m) => m.asset), ['M-201', 'P-102', 'P-101', 'P-101']);
  });
});
