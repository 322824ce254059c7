import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher, type BatchTimers } from '../../../nodes/lib/ml/infer-batcher';
import { checkModel, ModelSlot, scoreBatch, type LoadedModel, type OutputTensor, type ScoringBackend, type TensorSpec } from '../../../nodes/lib/ml/infer-engine';
import { FeatureIndex, FeatureMapper, type FeatureVector } from '../../../nodes/lib/ml/infer-features';
import { OnnxSession } from '../../../nodes/lib/ml/onnx-runtime';
import type { WindowStats } from '../../../nodes/lib/stats/types';
import { distanceModel, expectedDistance, type DistanceModelOptions } from '../../support/onnx-models';
import { onnx } from 'onnx-proto';

/** Timers that fire only when the test says so. */
function manualTimers(): BatchTimers & { fire(): void; armed: number } {
  const pending = new Map<number, () => void>();
  let id = 0;
  return {
    set: (fn) => {
      pending.set(++id, fn);
      return id;
    },
    clear: (h) => pending.delete(h as number),
    fire: () => {
      const fns = [...pending.values()];
      pending.clear();
      fns.forEach((fn) => fn());
    },
    get armed() {
      return pending.size;
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('micro-batcher', () => {
  it('runs a full batch at once and a partial one when the wait ends', async () => {
    const timers = manualTimers();
    const batches: number[][] = [];
    const b = new MicroBatcher<number>({ maxBatch: 3, maxWaitMs: 5 }, async (items) => void batches.push(items), assert.fail, timers);
    b.add(1);
    b.add(2);
    assert.equal(batches.length, 0, 'waits for more');
    b.add(3);
    assert.deepEqual(batches, [[1, 2, 3]]);
    await tick();
    b.add(4);
    assert.equal(timers.armed, 1);
    timers.fire();
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  it('queues what arrives during a batch and runs it, up to the batch size, when that batch ends', async () => {
    const timers = manualTimers();
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const b = new MicroBatcher<number>(
      { maxBatch: 2, maxWaitMs: 5 },
      (items) => {
        batches.push(items);
        return new Promise<void>((resolve) => (release = resolve));
      },
      assert.fail,
      timers,
    );
    b.add(1);
    b.add(2);
    for (let i = 3; i <= 7; i++) b.add(i);
    assert.equal(b.pending, 5);
    release();
    await tick();
    assert.deepEqual(batches, [[1, 2], [3, 4]]);
    release();
    await tick();
    release();
    await tick();
    release();
    await tick();
    assert.deepEqual(batches, [[1, 2], [3, 4], [5, 6], [7]]);
    const drained = b.drain();
    release();
    await drained;
    assert.equal(b.busy, false);
  });

  it('with no wait runs an item at once when idle, and batches what queues behind a running batch', async () => {
    const timers = manualTimers();
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const b = new MicroBatcher<number>({ maxBatch: 10, maxWaitMs: 0 }, (items) => {
      batches.push(items);
      return new Promise<void>((resolve) => (release = resolve));
    }, assert.fail, timers);
    b.add(1);
    b.add(2);
    b.add(3);
    assert.equal(timers.armed, 0);
    assert.deepEqual(batches, [[1]]);
    release();
    await tick();
    assert.deepEqual(batches, [[1], [2, 3]]);
    release();
    await b.drain();
  });

  it('hands a failing batch to onError with its items and carries on', async () => {
    const errors: Array<[unknown, number[]]> = [];
    const b = new MicroBatcher<number>({ maxBatch: 1, maxWaitMs: 0 }, async (items) => {
      if (items[0] === 1) throw new Error('boom');
    }, (err, items) => errors.push([err, items]));
    b.add(1);
    b.add(2);
    await b.drain();
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0][1], [1]);
  });

  it('rejects nonsense options', () => {
    assert.throws(() => new MicroBatcher({ maxBatch: 0, maxWaitMs: 1 }, async () => undefined, assert.fail), /max batch size/);
    assert.throws(() => new MicroBatcher({ maxBatch: 1, maxWaitMs: -1 }, async () => undefined, assert.fail), /max wait/);
  });
});

function stats(asset: string, sensor: string, end: number, mean: number, rms: number): WindowStats {
  return {
    asset, sensor, start: end - 1000, end, count: 10, mean, std: 0, min: mean, max: mean, range: 0, rms, peak: rms,
    peakToPeak: 0, crestFactor: 1, skewness: 0, kurtosis: 3, median: mean, p05: mean, p95: mean, slope: 0, rateOfChange: 0, first: mean, last: mean,
  };
}

describe('feature mapping', () => {
  const features = ['pump.mean', 'pump.rms', 'motor.mean'];

  it('joins window statistics of one window end into a vector in the model order', () => {
    const m = new FeatureMapper(features);
    let r = m.map([stats('a1', 'pump', 1000, 1, 2), stats('a2', 'pump', 1000, 5, 6), stats('a1', 'flow', 1000, 9, 9)], undefined, 0);
    assert.equal(r.vectors.length, 0);
    assert.equal(r.ignored, 1, 'flow is no model feature');
    r = m.map(stats('a1', 'motor', 1000, 3, 4), undefined, 0);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.vectors.map((v) => [v.asset, v.ts, [...v.values]]), [['a1', 1000, [1, 2, 3]]]);
  });

  it('does not join statistics of different windows unless the tolerance allows it', () => {
    const strict = new FeatureMapper(features);
    strict.map(stats('a1', 'pump', 1000, 1, 2), undefined, 0);
    assert.equal(strict.map(stats('a1', 'motor', 2000, 3, 4), undefined, 0).vectors.length, 0);
    const loose = new FeatureMapper(features, { align: 'timestamp', toleranceMs: 1500, maxAgeMs: Infinity });
    loose.map(stats('a1', 'pump', 1000, 1, 2), undefined, 0);
    assert.equal(loose.map(stats('a1', 'motor', 2000, 3, 4), undefined, 0).vectors.length, 1);
  });

  it('takes number arrays, batches of them and named features', () => {
    const m = new FeatureMapper(features);
    assert.deepEqual([...m.map([1, 2, 3], 'a1', 7).vectors[0].values], [1, 2, 3]);
    assert.equal(m.map([[1, 2, 3], [4, 5, 6]], 'a1', 7).vectors.length, 2);
    const named = m.map({ asset: 'a9', ts: 5, features: { 'motor.mean': 3, 'pump.rms': 2, 'pump.mean': 1 } }, undefined, 7);
    assert.deepEqual(named.vectors.map((v) => [v.asset, v.ts, [...v.values]]), [['a9', 5, [1, 2, 3]]]);
    const readings = new FeatureMapper(['t', 'p']);
    readings.map({ asset: 'm', sensor: 't', value: 1, ts: 10 }, undefined, 0);
    assert.deepEqual([...readings.map({ asset: 'm', sensor: 'p', value: 2, ts: 10 }, undefined, 0).vectors[0].values], [1, 2]);
  });

  it('names the expected and the received shape when a vector has the wrong length', () => {
    const r = new FeatureMapper(features).map([1, 2], 'a1', 0);
    assert.match(r.error?.message ?? '', /expects \[1, 3\] \(features: pump\.mean, pump\.rms, motor\.mean\), received \[1, 2\]/);
    const missing = new FeatureMapper(features).map({ features: { 'pump.mean': 1 } }, 'a1', 0);
    assert.match(missing.error?.message ?? '', /missing: pump\.rms, motor\.mean/);
  });

  it('rejects non-finite values and payloads of no known shape', () => {
    const index = new FeatureIndex(features);
    assert.equal(index.parse([1, NaN, 3], 'a', 0).error?.code, 'NON_FINITE');
    assert.equal(index.parse([1, '2', 3], 'a', 0).error?.code, 'NON_FINITE');
    assert.equal(index.parse('text', 'a', 0).error?.code, 'INVALID_PAYLOAD');
    assert.equal(index.parse([1, 2, 3], undefined, 0).error?.code, 'MISSING_FIELD');
    assert.throws(() => new FeatureIndex([]), /non-empty/);
    assert.throws(() => new FeatureIndex(['a', 'a']), /repeats/);
  });
});

/** A backend computing score = Σx / 10 and an extra output 'double' = 2·x, recording its calls. */
function sumBackend(inputs: TensorSpec[] = [{ name: 'x', type: 'float32', shape: ['N', 2] }]): ScoringBackend & { calls: number; released: number } {
  return {
    calls: 0,
    released: 0,
    inputs,
    outputs: [{ name: 'score' }, { name: 'double' }],
    async run(_name, data, n, f) {
      this.calls++;
      const score = new Float32Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) score[i] += data[i * f + j] / 10;
      const out: Record<string, OutputTensor> = { score: { data: score, dims: [n] }, double: { data: data.map((x) => 2 * x), dims: [n, f] } };
      return out;
    },
    async close() {
      this.released++;
    },
  };
}

const info = { name: 'm', version: 1, features: ['a', 'b'], inputName: 'x' };
const vec = (asset: string, ...values: number[]): FeatureVector => ({ asset, ts: 0, values: Float64Array.from(values) });

describe('scoring', () => {
  it('scores a batch in one run and splits the outputs per row', async () => {
    const backend = sumBackend();
    const results = await scoreBatch({ info, backend }, [vec('a', 1, 2), vec('b', 6, 5)]);
    assert.equal(backend.calls, 1);
    assert.deepEqual(results.map((r) => [Math.round(r.score * 10), r.anomalous]), [[3, false], [11, true]]);
    assert.deepEqual(results[1].outputs, { double: [12, 10] });
  });

  it('checks the graph against the model description and names both shapes', () => {
    assert.doesNotThrow(() => checkModel(info, sumBackend()));
    assert.throws(() => checkModel(info, sumBackend([{ name: 'x', type: 'float32', shape: ['N', 3] }])), /expected "x" float32 \[N, 2\] \(2 features: a, b\), the graph declares "x" float32 \[N, 3\]/);
    assert.throws(() => checkModel(info, sumBackend([{ name: 'x', type: 'float64', shape: ['N', 2] }])), /declares "x" float64/);
    assert.throws(() => checkModel(info, sumBackend([{ name: 'input', type: 'float32', shape: ['N', 2] }])), /expected input "x" float32 \[N, 2\], the graph has "input"/);
    assert.rejects(scoreBatch({ info, backend: sumBackend() }, [vec('a', 1, 2, 3)]), /expected \[1, 2\].*received \[1, 3\]/);
  });

  it('releases a swapped-out model only after its last batch', async () => {
    const slot = new ModelSlot();
    const first: LoadedModel = { info, backend: sumBackend() };
    slot.swap(first);
    const lease = slot.lease();
    slot.swap({ info: { ...info, version: 2 }, backend: sumBackend() });
    assert.equal(slot.current?.info.version, 2);
    assert.equal((first.backend as ReturnType<typeof sumBackend>).released, 0, 'still in use');
    lease?.done();
    lease?.done();
    assert.equal((first.backend as ReturnType<typeof sumBackend>).released, 1);
  });
});

describe('ONNX round trip', () => {
  const spec: DistanceModelOptions = { mean: [10, 2, 0.5], scale: [2, 0.5, 0.1], threshold: 9, extraOutput: true };
  const modelInfo = { name: 'distance', version: 3, features: ['t', 'v', 'c'], inputName: 'features' };

  it('scores vectors through onnxruntime exactly as the graph defines', async () => {
    const session = await OnnxSession.create(distanceModel(spec));
    try {
      checkModel(modelInfo, session);
      const rows = [[10, 2, 0.5], [12, 2.5, 0.7], [16, 3, 1]];
      const results = await scoreBatch({ info: modelInfo, backend: session }, rows.map((r) => vec('p', ...r)));
      rows.forEach((r, i) => assert.ok(Math.abs(results[i].score - expectedDistance(r, spec)) < 1e-4, `row ${i}`));
      assert.deepEqual(results.map((r) => r.anomalous), [false, false, true]);
      assert.equal((results[2].outputs.z as number[]).length, 3);
    } finally {
      await session.close();
    }
  });

  it('refuses a graph whose declared input differs, naming both shapes', async () => {
    const wide = await OnnxSession.create(distanceModel({ ...spec, declaredFeatures: 4, mean: [0, 0, 0, 0], scale: [1, 1, 1, 1] }));
    const double = await OnnxSession.create(distanceModel({ ...spec, inputType: onnx.TensorProto.DataType.DOUBLE }));
    try {
      assert.throws(() => checkModel(modelInfo, wide), /expected "features" float32 \[N, 3\] \(3 features: t, v, c\), the graph declares "features" float32 \[N, 4\]/);
      assert.throws(() => checkModel(modelInfo, double), /the graph declares "features" float64 \[N, 3\]/);
    } finally {
      await wide.close();
      await double.close();
    }
  });
});
