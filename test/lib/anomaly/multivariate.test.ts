import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import { PcaModel, Smoother } from '../../../nodes/lib/anomaly/multivariate';
import { MultivariateStream } from '../../../nodes/lib/anomaly/multivariate-stream';
import { VectorAligner } from '../../../nodes/lib/anomaly/multivariate-align';
import { stationaryColumns, trainingDrift } from '../../../nodes/lib/anomaly/multivariate-drift';

const SENSORS = ['a', 'b', 'c', 'd', 'e'];

/** Seeded uniform generator (mulberry32) and standard normals from it (Box–Muller). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Five sensors driven by two latent factors plus small independent noise, in different units. */
function plant(seed: number): (n: number) => number[][] {
  const gauss = normals(seed);
  const mixing = [
    [1, 0.2],
    [0.9, 0.3],
    [0.1, 1],
    [0.5, 0.8],
    [-0.7, 0.4],
  ];
  const offsets = [50, 10, 230, 0.5, 80];
  const scales = [2, 0.5, 10, 0.05, 4];
  return (n) =>
    Array.from({ length: n }, () => {
      const u = [gauss(), gauss()];
      return mixing.map((m, j) => offsets[j] + scales[j] * (m[0] * u[0] + m[1] * u[1] + 0.05 * gauss()));
    });
}

function columnRange(rows: number[][], j: number): [number, number] {
  const col = rows.map((r) => r[j]);
  return [Math.min(...col), Math.max(...col)];
}

describe('PcaModel', () => {
  const training = plant(1)(2000);
  const model = PcaModel.fit(SENSORS, training, { varianceShare: 0.95, limitQuantile: 0.99 });

  it('keeps the two latent axes and the training T² averages the number of components', () => {
    assert.equal(model.components, 2);
    const meanT2 = training.reduce((sum, v) => sum + model.score(v).t2, 0) / training.length;
    assert.ok(Math.abs(meanT2 - 2) < 0.01, `mean T² ${meanT2}`);
  });

  it('catches a broken correlation with Q although every sensor stays inside its training range', () => {
    const mean = SENSORS.map((_, j) => training.reduce((s, r) => s + r[j], 0) / training.length);
    const broken = mean.slice();
    broken[0] = mean[0] + 2 * 2.04;
    broken[1] = mean[1] - 2 * 0.47;
    SENSORS.forEach((_, j) => {
      const [lo, hi] = columnRange(training, j);
      assert.ok(broken[j] > lo && broken[j] < hi, `sensor ${j} out of range`);
    });
    const result = model.score(broken);
    assert.equal(result.statistic, 'q');
    assert.ok(result.q > 5 * model.qLimit, `Q ${result.q} vs limit ${model.qLimit}`);
    assert.ok(result.t2 < model.t2Limit, 'T² alone would miss it');
    const top = Array.from(result.contributions.keys()).sort((x, y) => result.contributions[y] - result.contributions[x]);
    assert.deepEqual(top.slice(0, 2).sort(), [0, 1]);
  });

  it('catches a large move along the main correlation with T² while Q stays normal', () => {
    // Six standard deviations of the first latent factor, in each sensor's units.
    const firstFactor = [2 * 1, 0.5 * 0.9, 10 * 0.1, 0.05 * 0.5, 4 * -0.7];
    const moved = plant(7)(1)[0].map((x, j) => x + 6 * firstFactor[j]);
    const result = model.score(moved);
    assert.equal(result.statistic, 't2');
    assert.ok(result.t2 > 3 * model.t2Limit, `T² ${result.t2} vs limit ${model.t2Limit}`);
    assert.ok(result.q < model.qLimit, `Q ${result.q} vs limit ${model.qLimit}`);
  });

  it('flags fresh normal data at about the designed rate', () => {
    const fresh = plant(2)(20000);
    const rate = fresh.filter((v) => model.score(v).score > 1).length / fresh.length;
    // Two limits at the 99th percentile each: between 1 % and 2 % in theory, a little more out of sample.
    assert.ok(rate > 0.008 && rate < 0.035, `false-alarm rate ${rate}`);
  });

  it('round-trips through JSON with identical scores', () => {
    const copy = PcaModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    for (const v of plant(3)(50)) {
      const a = model.score(v);
      const b = copy.score(v);
      assert.equal(b.t2, a.t2);
      assert.equal(b.q, a.q);
      assert.equal(b.score, a.score);
      assert.deepEqual(Array.from(b.contributions), Array.from(a.contributions));
    }
  });

  it('rejects a corrupt stored model', () => {
    const json = model.toJSON();
    assert.throws(() => PcaModel.fromJSON({ ...json, eigenvalues: [1] }), (e: unknown) => e instanceof PdmError && e.code === 'INVALID_CONFIG');
    assert.throws(() => PcaModel.fromJSON('model'), PdmError);
  });

  it('treats a constant sensor without NaN and still notices when it moves', () => {
    const rows = plant(4)(300).map((v) => [...v, 42]);
    const withConstant = PcaModel.fit([...SENSORS, 'flat'], rows);
    const normal = withConstant.score(rows[0]);
    assert.ok(Number.isFinite(normal.score) && Number.isFinite(normal.t2) && Number.isFinite(normal.q));
    const moved = withConstant.score([...rows[0].slice(0, 5), 45]);
    assert.ok(moved.score > 1 && moved.statistic === 'q');
    assert.equal(Array.from(moved.contributions).indexOf(Math.max(...moved.contributions)), 5);
  });

  it('refuses fewer baseline vectors than sensors, and bad options', () => {
    const isConfig = (e: unknown): boolean => e instanceof PdmError && e.code === 'INVALID_CONFIG';
    assert.throws(() => PcaModel.fit(SENSORS, plant(5)(5)), isConfig);
    assert.throws(() => PcaModel.fit(SENSORS, plant(5)(50), { varianceShare: 0 }), isConfig);
    assert.throws(() => PcaModel.fit(SENSORS, [[1, 2, 3, 4, NaN], ...plant(5)(50)]), isConfig);
  });

  it('sets limits on smoothed statistics when smoothing is configured', () => {
    const smoothed = PcaModel.fit(SENSORS, training, { smoothing: { kind: 'mean', window: 10 } });
    assert.ok(smoothed.t2Limit < model.t2Limit / 2, `${smoothed.t2Limit} vs ${model.t2Limit}`);
  });
});

describe('Smoother', () => {
  it('computes a rolling mean and an EWMA', () => {
    const mean = new Smoother({ kind: 'mean', window: 3 });
    assert.deepEqual([3, 6, 9, 12].map((x) => mean.push(x)), [3, 4.5, 6, 9]);
    const ewma = new Smoother({ kind: 'ewma', window: 3 });
    assert.deepEqual([4, 8, 8].map((x) => ewma.push(x)), [4, 6, 7]);
  });
});

describe('MultivariateStream', () => {
  const base = { sensors: SENSORS, trainingSize: 500, limitQuantile: 1 };

  it('learns, then scores and names contributors', () => {
    const stream = new MultivariateStream(base);
    const rows = plant(6)(501);
    rows.slice(0, 499).forEach((v, i) => assert.equal(stream.update(i, v).learning, true));
    const last = stream.update(499, rows[499]);
    assert.equal(last.learning, true);
    assert.equal(last.learned, 500);
    assert.ok(stream.model);
    const scored = stream.update(500, rows[500]);
    assert.ok(!scored.learning && Number.isFinite(scored.score));
    assert.equal(scored.score, Math.max(scored.t2Ratio, scored.qRatio));
    const broken = rows[500].slice();
    broken[0] += 10;
    broken[1] -= 3;
    const result = stream.update(501, broken);
    assert.equal(result.statistic, 'q');
    const top = stream.contributors(broken, 'q');
    assert.equal(top.length, 3);
    assert.deepEqual(top.slice(0, 2).map((c) => c.sensor).sort(), ['a', 'b']);
    assert.ok(top[0].share > 0 && top[0].share <= 1);
  });

  it('restores a fitted stream with its smoothing state: identical scores afterwards', () => {
    const options = { ...base, smoothing: { kind: 'mean' as const, window: 4 } };
    const stream = new MultivariateStream(options);
    const rows = plant(6)(560);
    rows.slice(0, 520).forEach((v, i) => stream.update(i, v));
    const restored = new MultivariateStream(options, JSON.parse(JSON.stringify(stream.toJSON())));
    for (const [i, v] of rows.slice(520).entries()) assert.equal(restored.update(i, v).score, stream.update(i, v).score);
  });

  it('resumes learning from a stored partial baseline', () => {
    const rows = plant(6)(500);
    const first = new MultivariateStream(base);
    rows.slice(0, 300).forEach((v, i) => first.update(i, v));
    const second = new MultivariateStream(base, JSON.parse(JSON.stringify(first.toJSON())));
    assert.equal(second.update(300, rows[300]).learned, 301);
  });

  it('leaves out a sensor that drifts during training, from the training part alone', () => {
    const rows = plant(10)(500).map((v, i) => [...v, 20 + i * 0.05 + Math.sin(i) * 0.1]);
    const stream = new MultivariateStream({ ...base, sensors: [...SENSORS, 'warming'], driftThreshold: 3 });
    rows.forEach((v, i) => stream.update(i, v));
    assert.deepEqual(stream.excluded, ['warming']);
    assert.deepEqual(stream.model?.sensors, SENSORS);
    const later = plant(11)(1)[0];
    assert.ok(stream.update(600, [...later, 90]).score < 5, 'the drifting sensor no longer sets the score');
    const kept = new MultivariateStream({ ...base, sensors: [...SENSORS, 'warming'] });
    rows.forEach((v, i) => kept.update(i, v));
    assert.deepEqual(kept.excluded, []);
  });

  it('rejects vectors of the wrong size or with non-finite values', () => {
    const stream = new MultivariateStream(base);
    assert.throws(() => stream.update(0, [1, 2]), (e: unknown) => e instanceof PdmError && e.code === 'INVALID_PAYLOAD');
    assert.throws(() => stream.update(0, [1, 2, 3, 4, Infinity]), (e: unknown) => e instanceof PdmError && e.code === 'NON_FINITE');
    assert.throws(() => new MultivariateStream({ ...base, trainingSize: 5 }), PdmError);
  });
});

describe('trainingDrift', () => {
  it('is the change of the fitted line in residual standard deviations', () => {
    const rows = Array.from({ length: 101 }, (_, i) => [i * 0.1 + (i % 2 === 0 ? 1 : -1)]);
    // line from 0 to 10 with residuals ±1 (σ ≈ 1): about 10
    assert.ok(Math.abs(trainingDrift(rows, 0) - 10) < 0.3, String(trainingDrift(rows, 0)));
    assert.equal(trainingDrift([[1], [1], [1]], 0), 0);
    assert.deepEqual(stationaryColumns(rows.map((r, i) => [r[0], i % 2]), 2, 3), [1]);
    assert.deepEqual(stationaryColumns(rows, 1, 3), [0], 'the least drifting sensor always stays');
  });
});

describe('VectorAligner', () => {
  const reading = (asset: string, sensor: string, value: number, ts: number) => ({ asset, sensor, value, ts });

  it('joins readings of the same instant within the tolerance, per asset', () => {
    const aligner = new VectorAligner({ sensors: ['x', 'y', 'z'], mode: 'timestamp', toleranceMs: 50 });
    assert.equal(aligner.push(reading('p1', 'x', 1, 1000)), undefined);
    assert.equal(aligner.push(reading('p2', 'x', 9, 1000)), undefined);
    assert.equal(aligner.push(reading('p1', 'other', 5, 1000)), undefined);
    assert.equal(aligner.push(reading('p1', 'z', 3, 1040)), undefined);
    assert.equal(aligner.push(reading('p1', 'y', 20, 2000)), undefined, 'too far in time');
    const v = aligner.push(reading('p1', 'y', 2, 970));
    assert.ok(v);
    assert.equal(v.asset, 'p1');
    assert.equal(v.ts, 1000);
    assert.deepEqual(Array.from(v.values), [1, 2, 3]);
  });

  it('drops incomplete vectors older than a completed one', () => {
    const aligner = new VectorAligner({ sensors: ['x', 'y'], mode: 'timestamp', toleranceMs: 0 });
    aligner.push(reading('p', 'x', 1, 1000));
    aligner.push(reading('p', 'x', 2, 2000));
    const v = aligner.push(reading('p', 'y', 3, 2000));
    assert.deepEqual(Array.from(v?.values ?? []), [2, 3]);
    assert.equal(aligner.dropped, 1);
    assert.equal(aligner.push(reading('p', 'y', 4, 1000)), undefined);
  });

  it('samples the latest value of each sensor on the pacing sensor', () => {
    const aligner = new VectorAligner({ sensors: ['x', 'y'], mode: 'latest', pacing: 'y', maxAgeMs: 5000 });
    assert.equal(aligner.push(reading('p', 'y', 1, 1000)), undefined, 'x not seen yet');
    assert.equal(aligner.push(reading('p', 'x', 7, 1500)), undefined, 'x does not pace');
    assert.deepEqual(Array.from(aligner.push(reading('p', 'y', 2, 2000))?.values ?? []), [7, 2]);
    assert.equal(aligner.push(reading('p', 'y', 3, 9000)), undefined, 'x is stale');
  });

  it('limits the number of assets and refuses a bad configuration', () => {
    const aligner = new VectorAligner({ sensors: ['x', 'y'], mode: 'latest', maxAssets: 1 });
    aligner.push(reading('p', 'x', 1, 0));
    assert.throws(() => aligner.push(reading('q', 'x', 1, 0)), (e: unknown) => e instanceof PdmError && e.code === 'KEY_LIMIT');
    assert.throws(() => new VectorAligner({ sensors: ['x', 'x'], mode: 'latest' }), PdmError);
    assert.throws(() => new VectorAligner({ sensors: ['x'], mode: 'latest', pacing: 'q' }), PdmError);
  });
});
