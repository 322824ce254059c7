import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HEALTH_OPTIONS, healthOptionsFromConfig, type HealthOptions } from '../../../nodes/lib/health/config';
import { feed } from '../../../nodes/lib/health/input';
import { nextStatus, type HealthStatus } from '../../../nodes/lib/health/status';
import { HealthTracker } from '../../../nodes/lib/health/tracker';
import { fitTrend, studentQuantile } from '../../../nodes/lib/health/trend';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** Deterministic standard normal noise (mulberry32 + Box–Muller). */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function tracker(options: Partial<HealthOptions> = {}): HealthTracker {
  return new HealthTracker({ ...DEFAULT_HEALTH_OPTIONS, ...options }, () => T0);
}

/** Vibration rms 2 mm/s growing e-fold every 100 h with 5 % noise: reaches 11.2 at 100·ln(5.6) ≈ 172.3 h. */
const TRUE_FAILURE_HOURS = 100 * Math.log(11.2 / 2);
function wear(hours: number, noise: () => number): number {
  return 2 * Math.exp(hours / 100) * (1 + 0.05 * noise());
}

describe('health trend', () => {
  it('predicts an exponential run to failure before it happens, with the true time inside the interval', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const noise = gaussian(seed);
      const t = tracker({ trendPoints: 60 });
      for (let h = 0; h <= 120; h++) t.indicator('bearing-1', wear(h, noise), T0 + h * HOUR);
      const r = t.report('bearing-1');
      const p = r?.predictedFailure;
      assert.ok(p, `seed ${seed}: a prediction`);
      const truth = T0 + TRUE_FAILURE_HOURS * HOUR;
      assert.equal(r?.indicator.trend, 'rising');
      assert.ok(p.low < truth && p.high !== null && truth < p.high, `seed ${seed}: ${new Date(truth).toISOString()} in [${new Date(p.low).toISOString()}, ${new Date(p.high ?? 0).toISOString()}]`);
      assert.ok(Math.abs(p.ts - truth) < 10 * HOUR, `seed ${seed}: predicted ${(p.ts - T0) / HOUR} h, true ${TRUE_FAILURE_HOURS} h`);
      assert.ok(Math.abs(p.rulHours - (TRUE_FAILURE_HOURS - 120)) < 10);
      assert.ok(p.low >= T0 + 120 * HOUR && p.low < p.ts && p.ts < p.high);
    }
  });

  it('fits a linear trend to the threshold when asked', () => {
    const times = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((h) => T0 + h * HOUR);
    const values = [1, 2.02, 2.98, 4.01, 5, 5.99, 7.02, 8, 8.97, 10.01];
    const r = fitTrend(times, values, 10, { model: 'linear', threshold: 20, confidence: 0.9, minPoints: 5 });
    assert.equal(r.state, 'rising');
    assert.ok(Math.abs((r.prediction?.ts ?? 0) - (T0 + 19 * HOUR)) < 0.2 * HOUR);
    assert.ok(Math.abs(r.slope - 1) < 0.01);
  });

  it('makes no prediction for a flat or improving indicator, and says so', () => {
    const noise = gaussian(7);
    const times: number[] = [];
    const flat: number[] = [];
    const falling: number[] = [];
    for (let h = 0; h < 60; h++) {
      times.push(T0 + h * HOUR);
      flat.push(3 + 0.1 * noise());
      falling.push(6 - 0.05 * h + 0.05 * noise());
    }
    const o = { model: 'exponential' as const, threshold: 11.2, confidence: 0.9, minPoints: 10 };
    assert.deepEqual([fitTrend(times, flat, 60, o).state, fitTrend(times, flat, 60, o).prediction], ['flat', null]);
    assert.deepEqual([fitTrend(times, falling, 60, o).state, fitTrend(times, falling, 60, o).prediction], ['improving', null]);
    assert.equal(fitTrend(times, flat, 5, o).state, 'too-few-points');
    const t = tracker();
    for (let h = 0; h < 60; h++) t.indicator('fan', flat[h], times[h]);
    assert.equal(t.report('fan')?.predictedFailure, null);
    assert.equal(t.report('fan')?.indicator.trend, 'flat');
  });

  it('approximates Student t quantiles', () => {
    assert.ok(Math.abs(studentQuantile(0.975, 10) - 2.228) < 0.01);
    assert.ok(Math.abs(studentQuantile(0.95, 30) - 1.697) < 0.005);
    assert.ok(Math.abs(studentQuantile(0.975, 1000) - 1.962) < 0.005);
  });
});

describe('health status', () => {
  const t = DEFAULT_HEALTH_OPTIONS.status;
  const walk = (values: number[]): HealthStatus[] => {
    let s: HealthStatus = 'healthy';
    return values.map((h) => (s = nextStatus(s, h, t)));
  };

  it('enters attention below 70 and leaves it only above 75', () => {
    assert.deepEqual(walk([80, 69, 72, 74.9, 75.1, 71, 69.9]), ['healthy', 'attention', 'attention', 'attention', 'healthy', 'healthy', 'attention']);
  });

  it('enters critical below 40 and leaves it only above 45', () => {
    assert.deepEqual(walk([39, 42, 45, 46, 80, 30, 90]), ['critical', 'critical', 'critical', 'attention', 'healthy', 'critical', 'healthy']);
  });
});

describe('health score', () => {
  it('decays an anomaly penalty with the half-life', () => {
    const t = tracker({ anomalyHalfLifeMs: HOUR, anomalySaturation: 4, anomalyWeight: 40 });
    t.anomaly('pump', 4, T0);
    assert.equal(t.report('pump')?.contributors.anomaly, 40);
    assert.equal(t.report('pump')?.health, 60);
    t.anomaly('pump', 0.1, T0 + HOUR);
    assert.equal(t.report('pump')?.contributors.anomaly, 20);
    t.anomaly('pump', 0.1, T0 + 3 * HOUR);
    assert.equal(t.report('pump')?.contributors.anomaly, 5);
    t.anomaly('pump', 3, T0 + 3 * HOUR);
    assert.equal(t.report('pump')?.contributors.anomaly, 30, 'a new larger score replaces the decayed one');
  });

  it('maps velocity RMS to ISO 10816 zones and their penalties', () => {
    const t = tracker({ machineClass: 'II' });
    const seen = [0.5, 2, 5, 8].map((v, i) => {
      t.velocity('motor', v, T0 + i);
      const r = t.report('motor');
      return [r?.zone, r?.contributors.vibrationZone, r?.health];
    });
    assert.deepEqual(seen, [['A', 0, 100], ['B', 10, 90], ['C', 30, 70], ['D', 60, 40]]);
  });

  it('counts degradation progress from the baseline to the threshold and raises the urgency', () => {
    const t = tracker({ baseline: 2, failureThreshold: 10, degradationWeight: 60 });
    t.indicator('bearing', 6, T0);
    const r = t.report('bearing');
    assert.deepEqual([r?.contributors.degradation, r?.health, r?.urgency], [30, 70, 0.3]);
    t.indicator('bearing', 12, T0 + HOUR);
    assert.deepEqual([t.report('bearing')?.health, t.report('bearing')?.status], [40, 'attention']);
  });

  it('reports an asset when its health moves by a point or its status changes', () => {
    const t = tracker({ baseline: 0, failureThreshold: 100, degradationWeight: 100 });
    t.indicator('a', 0, T0);
    assert.deepEqual(t.reports().map((r) => r.health), [100]);
    t.indicator('a', 0.5, T0 + 1);
    assert.deepEqual(t.reports(), []);
    t.indicator('a', 1.2, T0 + 2);
    assert.deepEqual(t.reports().map((r) => r.health), [98.8]);
    assert.deepEqual(t.reports(), [], 'nothing new, nothing reported');
    const every = tracker({ emitEvery: true });
    every.indicator('a', 2, T0);
    every.reports();
    every.indicator('a', 2, T0 + 1);
    assert.equal(every.reports().length, 1);
  });

  it('persists and restores assets', () => {
    const t = tracker({ trendPoints: 5 });
    for (let i = 0; i < 8; i++) t.indicator('a', 2 + i, T0 + i * HOUR);
    t.anomaly('a', 2, T0 + 7 * HOUR);
    const saved = JSON.parse(JSON.stringify(t.persist())) as unknown;
    const back = tracker({ trendPoints: 5 });
    assert.equal(back.restore(saved), 1);
    assert.equal(back.restore({ broken: { ts: 'x' } }), 0);
    assert.deepEqual(back.report('a'), t.report('a'));
    assert.deepEqual((saved as Record<string, { values: number[] }>).a.values, [5, 6, 7, 8, 9]);
  });

  it('feeds events, scores, window statistics, spectrum features and readings', () => {
    const t = tracker({ indicatorSensor: 'vibration', indicatorFeature: 'rms', velocitySensor: 'velocityRms' });
    const stats = { asset: 'p', sensor: 'vibration', start: T0, end: T0 + 1000, count: 10, mean: 1, rms: 3 };
    assert.deepEqual(feed(t, stats, { score: 0.5 }), { used: 1, bad: 0 });
    assert.equal(t.report('p')?.indicator.value, 3);
    feed(t, { asset: 'p', sensor: 'acc', start: T0, end: T0 + 2000, count: 10, mean: 1, velocityRms: 5 }, undefined);
    assert.equal(t.report('p')?.zone, 'C');
    feed(t, { asset: 'p', sensor: 'temp', ts: T0 + 3000, value: 80, score: 6, severity: 'critical', detectors: [] }, { key: 'p/temp', state: 'firing' });
    assert.equal(t.report('p')?.contributors.anomaly, 30);
    const batch = feed(t, [{ asset: 'q', sensor: 'vibration', ts: T0, value: 2 }, { asset: 'q', sensor: 'other', ts: T0, value: 1 }, { asset: 'q', sensor: 'vibration', ts: T0, value: 'x' }], undefined);
    assert.deepEqual([batch.used, batch.bad, batch.error?.code], [1, 1, 'NOT_A_NUMBER']);
    assert.match(String(batch.error?.message), /^item 2: value must be a number/);
    assert.equal(feed(t, 'hello', undefined).error?.code, 'INVALID_PAYLOAD');
    assert.equal(feed(t, { ...stats, rms: undefined }, undefined).error?.code, 'MISSING_FIELD');
    assert.equal(feed(t, { asset: 'p', sensor: 'vibration', value: 1 }, undefined).error?.code, 'BAD_TIMESTAMP');
  });

  it('validates the editor configuration', () => {
    const o = healthOptionsFromConfig({ anomalyHalfLife: '2', zonePenalties: '0, 5, 20, 50', machineClass: 'I', trendModel: 'linear' });
    assert.deepEqual([o.anomalyHalfLifeMs, o.zonePenalty.C, o.machineClass, o.trendModel], [2 * HOUR, 20, 'I', 'linear']);
    assert.throws(() => healthOptionsFromConfig({ attentionEnter: 80, attentionLeave: 75 }), /status thresholds/);
    assert.throws(() => healthOptionsFromConfig({ machineClass: 'V' }), /machine class/);
    assert.throws(() => healthOptionsFromConfig({ zonePenalties: '1,2' }), /four numbers/);
    assert.throws(() => healthOptionsFromConfig({ baseline: 20, failureThreshold: 10 }), /baseline/);
  });
});
