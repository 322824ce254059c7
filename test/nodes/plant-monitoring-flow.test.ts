/**
 * The plant-monitoring flow's "model anomalies as events" (flows/plant-monitoring.json), run as
 * the function node it is: onnx-infer's per-asset scores become anomaly events shaped like
 * anomaly-detect's, firing at the model's threshold, again when the severity rises, resolved below 0.8.
 */
import assert from 'node:assert/strict';
import { afterEach, after, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import { loadFlowFunction } from '../support/flow-function';
import { recorder } from '../support/node-helper';

helper.init(require.resolve('node-red'));

interface ModelEvent extends NodeMessage {
  payload: { asset: string; sensor: string; score: number; severity: string; ts: number; detectors: Array<{ name: string }> };
  anomaly: { key: string; state: 'firing' | 'resolved' };
}

function scored(asset: string, score: number, ts: number): Record<string, unknown> {
  return { asset, ts, score, anomalous: score >= 1, model: { name: asset, version: 2 } };
}

describe('plant-monitoring flow: model scores as anomaly events', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('fires at the threshold, again when the severity rises, and resolves below 0.8, per asset', async () => {
    const events = await loadFlowFunction('plant-monitoring.json', 'pm-model-events');
    const out = recorder<ModelEvent>('out');
    const send = (...results: Array<Record<string, unknown>>): void => events.receive({ payload: results } as NodeMessage);
    send(scored('P-101', 0.4, 1), scored('P-102', 1.2, 1));
    const [first] = await out.next(1, 5000);
    assert.deepEqual([first.topic, first.anomaly.state, first.payload.severity, first.anomaly.key], ['P-102', 'firing', 'low', 'P-102/model']);
    assert.equal(first.payload.sensor, 'model');
    assert.equal(first.payload.detectors[0].name, 'P-102 v2');
    // Still anomalous at the same or a lower severity: nothing new; a rise fires again.
    send(scored('P-102', 1.5, 2));
    send(scored('P-102', 3.4, 3));
    const [risen] = await out.next(1, 5000);
    assert.deepEqual([risen.anomaly.state, risen.payload.severity, risen.payload.score], ['firing', 'high', 3.4]);
    // Between the clear level and the threshold the episode stays open; below it, it resolves.
    send(scored('P-102', 0.9, 4));
    send(scored('P-102', 0.5, 5));
    const [resolved] = await out.next(1, 5000);
    assert.deepEqual([resolved.anomaly.state, resolved.payload.severity, resolved.payload.ts], ['resolved', 'high', 5]);
    assert.equal(resolved.payload.detectors.length, 0);
    assert.equal(out.messages.length, 3);
  });
});
