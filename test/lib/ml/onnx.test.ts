import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import type { Dataset } from '../../../nodes/lib/ml/dataset';
import { OnnxSession } from '../../../nodes/lib/ml/onnx-runtime';
import { DEFAULT_TRAIN_OPTIONS, scoreRows, trainModel, type ModelKind } from '../../../nodes/lib/ml/train';
import { offPlaneRows, planeRows } from './synthetic';

/** Round trip: the exported graph, run by onnxruntime-node, scores raw rows as the TypeScript model does. */
function concat(a: Dataset, b: Dataset): Dataset {
  const data = new Float64Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { features: a.features, rows: a.rows + b.rows, data };
}

async function roundTrip(kind: ModelKind, activation: 'tanh' | 'relu' = 'tanh'): Promise<void> {
  const result = await trainModel(planeRows(2000, 21), {
    ...DEFAULT_TRAIN_OPTIONS,
    kind,
    name: `round-trip-${kind}`,
    autoencoder: { ...DEFAULT_TRAIN_OPTIONS.autoencoder, hidden: [8, 3], epochs: 15, activation },
  });
  // The graph's input is float32: the reference scores the same float32 values.
  const rows = concat(planeRows(300, 22), offPlaneRows(300, 23, 2));
  const probe = { ...rows, data: Float64Array.from(Float32Array.from(rows.data)) };
  const expected = scoreRows(result.model, probe);
  const session = await OnnxSession.create(result.onnx);
  try {
    assert.deepEqual([...session.inputNames], [result.meta.inputName]);
    assert.deepEqual([...session.outputNames].sort(), [...result.meta.outputNames].sort());
    const out = await session.run(result.meta.inputName, Float32Array.from(probe.data), probe.rows, probe.features.length);
    assert.deepEqual(out.score.dims, [probe.rows]);
    let worst = 0;
    for (let i = 0; i < probe.rows; i++) worst = Math.max(worst, Math.abs(out.score.data[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    assert.ok(worst <= 1e-5, `${kind}: largest difference ${worst}`);
    const flagged = (s: ArrayLike<number>, from: number, to: number): number => Array.from(s).slice(from, to).filter((x) => x >= 1).length;
    assert.equal(flagged(out.score.data, 0, 300), flagged(expected, 0, 300));
    assert.ok(flagged(out.score.data, 300, 600) > 250);
  } finally {
    await session.close();
  }
}

describe('ONNX export', () => {
  it('PCA scores from onnxruntime-node equal the TypeScript model to 1e-5', () => roundTrip('pca'));
  it('autoencoder (tanh) scores from onnxruntime-node equal the TypeScript model to 1e-5', () => roundTrip('autoencoder'));
  it('autoencoder (relu) scores from onnxruntime-node equal the TypeScript model to 1e-5', () => roundTrip('autoencoder', 'relu'));

  it('writes a model with opset 13, a float32 [N, F] input and the scaler inside the graph', async () => {
    const result = await trainModel(planeRows(400, 24), { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca' });
    const model = onnx.ModelProto.decode(result.onnx);
    assert.equal(Number(model.irVersion), 8);
    assert.equal(Number(model.opsetImport[0].version), 13);
    const input = model.graph?.input?.[0];
    assert.equal(input?.name, 'input');
    const dims = input?.type?.tensorType?.shape?.dim ?? [];
    assert.equal(dims[0].dimParam, 'N');
    assert.equal(Number(dims[1].dimValue), 8);
    assert.deepEqual(model.graph?.node?.slice(0, 3).map((n) => n.opType), ['Cast', 'Sub', 'Div']);
  });

  it('reports a model that onnxruntime cannot load', async () => {
    await assert.rejects(OnnxSession.create(new Uint8Array([1, 2, 3])), /cannot load ONNX model/);
  });
});
