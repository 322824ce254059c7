import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_AUTOENCODER, scoreAutoencoder, trainAutoencoder, type AutoencoderOptions } from '../../../nodes/lib/ml/autoencoder';
import { featureBaselines, holdOut, parseDataset, quantileThreshold } from '../../../nodes/lib/ml/dataset';
import { scorePca, trainPca } from '../../../nodes/lib/ml/pca';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../../../nodes/lib/ml/train';
import { FEATURES, offPlaneRows, planeRows } from './synthetic';

function share(scores: Float64Array, above: (s: number) => boolean): number {
  return scores.filter(above).length / scores.length;
}

describe('PCA T² and Q', () => {
  const data = planeRows(4000, 1);
  const { train, heldBack } = holdOut(data, 0.25, 20);
  const model = trainPca(train, heldBack, { varianceShare: 0.95, thresholdQuantile: 0.99, thresholdMargin: 1 });

  it('finds the 2-dimensional structure', () => {
    assert.equal(model.model.eigenvalues.length, 2);
    assert.ok(model.explainedVariance > 0.99, `explained ${model.explainedVariance}`);
    assert.equal(train.rows, 3000);
  });

  it('keeps new normal rows under the limit about as often as the quantile says', () => {
    const normal = scorePca(model, planeRows(4000, 2)).score;
    const rate = share(normal, (s) => s >= 1);
    assert.ok(rate > 0.002 && rate < 0.03, `false alarms ${rate}`);
  });

  it('flags points that leave the plane through Q while their T² stays ordinary', () => {
    const off = scorePca(model, offPlaneRows(500, 3, 1));
    assert.ok(share(off.score, (s) => s >= 1) > 0.98);
    const normal = scorePca(model, planeRows(500, 3));
    const median = (x: Float64Array): number => Float64Array.from(x).sort()[x.length >> 1];
    assert.ok(median(off.q) > 50 * median(normal.q), `Q ${median(off.q)} vs ${median(normal.q)}`);
    assert.ok(median(off.t2) < 3 * median(normal.t2), `T² ${median(off.t2)} vs ${median(normal.t2)}`);
  });

  it('widens both limits by the threshold margin', () => {
    const wider = trainPca(train, heldBack, { varianceShare: 0.95, thresholdQuantile: 0.99, thresholdMargin: 2 });
    assert.ok(Math.abs(wider.model.t2Limit / model.model.t2Limit - 2) < 1e-9);
    assert.ok(Math.abs(wider.model.qLimit / model.model.qLimit - 2) < 1e-9);
  });

  it('flags points far along the plane through T²', () => {
    const far = planeRows(200, 4);
    const d = FEATURES.length;
    // Move every row 8 standard deviations along the first latent direction (inside the plane).
    const direction = [1, 0, 1, 1, 2, -0.5, 0.3, 1.2];
    for (let i = 0; i < far.rows; i++) for (let j = 0; j < d; j++) far.data[i * d + j] += 8 * direction[j];
    const s = scorePca(model, far);
    assert.ok(share(s.score, (x) => x >= 1) > 0.98);
    assert.ok(share(s.t2, (x) => x >= model.model.t2Limit) > 0.98);
  });
});

describe('dense autoencoder', () => {
  const options: AutoencoderOptions = { ...DEFAULT_AUTOENCODER, hidden: [8, 2], epochs: 40, seed: 7 };
  const data = planeRows(3000, 11);
  const { train, heldBack } = holdOut(data, 0.25, 20);

  it('learns to reconstruct the plane, stops early and is the same for the same seed', async () => {
    const epochs: number[] = [];
    let pauses = 0;
    const model = await trainAutoencoder(train, heldBack, options, {
      onEpoch: (e) => epochs.push(e.heldBackLoss),
      pause: async () => {
        pauses++;
      },
      sliceMs: 0,
    });
    assert.ok(model.heldBackLoss < model.initialLoss / 20, `loss ${model.initialLoss} → ${model.heldBackLoss}`);
    assert.ok(epochs[epochs.length - 1] < epochs[0]);
    assert.ok(pauses > epochs.length, 'training hands the event loop back within epochs');
    assert.ok(model.epochs >= 1 && model.epochs <= 40);
    const again = await trainAutoencoder(train, heldBack, options);
    assert.deepEqual(again.layers, model.layers);
  });

  it('flags rows that break the correlations and passes new normal rows', async () => {
    const model = await trainAutoencoder(train, heldBack, options);
    const normal = scoreAutoencoder(model, planeRows(2000, 12)).score;
    const rate = share(normal, (s) => s >= 1);
    assert.ok(rate < 0.04, `false alarms ${rate}`);
    const off = scoreAutoencoder(model, offPlaneRows(500, 13, 2)).score;
    assert.ok(share(off, (s) => s >= 1) > 0.9, `detected ${share(off, (s) => s >= 1)}`);
  });

  it('refuses bad options and stops when cancelled', async () => {
    await assert.rejects(trainAutoencoder(train, heldBack, { ...options, hidden: [] }), /hidden/);
    await assert.rejects(trainAutoencoder(train, heldBack, { ...options, learningRate: 0 }), /learning rate/);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(trainAutoencoder(train, heldBack, options, { signal: controller.signal, pause: async () => undefined, sliceMs: 0 }), /cancelled/);
  });
});

describe('training data', () => {
  it('reads feature rows, numeric matrices and timescale-query rows', () => {
    const rows = parseDataset({ payload: [{ ts: 1, features: { b: 2, a: 1 } }, { ts: 2, features: { a: 3, b: Number.NaN } }, { ts: 3, features: { a: 5, b: 6 } }] });
    assert.deepEqual(rows.dataset.features, ['a', 'b']);
    assert.deepEqual(Array.from(rows.dataset.data), [1, 2, 5, 6]);
    assert.deepEqual(Array.from(rows.dataset.ts ?? []), [1, 3]);
    assert.equal(rows.dropped, 1);
    const matrix = parseDataset({ payload: [[1, 2], [3, 4]], features: ['x', 'y'] });
    assert.deepEqual(Array.from(matrix.dataset.data), [1, 2, 3, 4]);
    const series = parseDataset({
      payload: [
        { x: 2000, y: 4, series: 'p' },
        { x: 1000, y: 1, series: 'p' },
        { x: 1000, y: 2, series: 't' },
        { x: 2000, y: 3, series: 't' },
        { x: 3000, y: 9, series: 't' },
      ],
    });
    assert.deepEqual(series.dataset.features, ['p', 't']);
    assert.deepEqual(Array.from(series.dataset.data), [1, 2, 4, 3]);
    assert.deepEqual(Array.from(series.dataset.ts ?? []), [1000, 2000]);
    assert.equal(series.dropped, 1);
  });

  it('rejects malformed input with a reason', () => {
    assert.throws(() => parseDataset({ payload: 'x' }), /non-empty array/);
    assert.throws(() => parseDataset({ payload: [[1, 2]] }), /feature names/);
    assert.throws(() => parseDataset({ payload: [[1, 2], [3]], features: ['a', 'b'] }), /row 1/);
    assert.throws(() => parseDataset({ payload: [{ foo: 1 }] }), /rows must be/);
    assert.throws(() => parseDataset({ payload: [{ features: { a: 1 } }, { features: { a: 2 } }], maxRows: 1 }), /at most 1/);
    assert.throws(() => holdOut(planeRows(10, 1), 0.5, 20), /too few/);
    assert.throws(() => quantileThreshold([1, 2], 0), /quantile/);
  });

  it('describes each feature with 10 quantile bins and a bounded sample', () => {
    const base = featureBaselines(planeRows(5000, 5));
    const f1 = base.f1;
    assert.equal(f1.edges.length, 11);
    assert.equal(f1.fractions.length, 10);
    for (const share of f1.fractions) assert.ok(Math.abs(share - 0.1) < 0.002);
    assert.equal(f1.sample.length, 1000);
    assert.ok(f1.edges.every((e, i) => i === 0 || e >= f1.edges[i - 1]));
  });
});

describe('training options', () => {
  it('leaves out a feature that drifts across the training rows', async () => {
    const data = planeRows(1000, 31);
    const d = FEATURES.length;
    for (let i = 0; i < data.rows; i++) data.data[i * d + 7] += i * 0.01;
    const result = await trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca', driftThreshold: 3 });
    assert.deepEqual(result.meta.features, FEATURES.slice(0, 7));
    assert.equal(result.meta.metrics.leftOutFeatures, 1);
    assert.equal(result.meta.scaler.mean.length, 7);
    assert.deepEqual(Object.keys(result.meta.baseline ?? {}), FEATURES.slice(0, 7));
    const kept = await trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, kind: 'pca' });
    assert.deepEqual(kept.meta.features, FEATURES);
  });
});
