import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ss from 'simple-statistics';
import { WindowAccumulator } from '../../../nodes/lib/stats/window-accumulator';
import { Prng } from '../../../nodes/lib/stats/value-sample';
import type { WindowStats } from '../../../nodes/lib/stats/types';

/** Test data generator independent of the code under test (a 32-bit LCG). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function accumulate(values: number[], times: number[], start = times[0]): WindowStats {
  const window = new WindowAccumulator(100_000).open(start, start + 60_000);
  values.forEach((v, i) => window.add(v, times[i], new Prng(1)));
  return window.stats('pump-1', 'vibration', 'mm/s');
}

function close(actual: number, expected: number, tolerance = 1e-9): void {
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance * scale, `${actual} ≉ ${expected}`);
}

/** Pearson kurtosis m4/m2² from simple-statistics' bias-corrected excess kurtosis G2. */
function pearsonKurtosis(x: number[]): number {
  const n = x.length;
  const g2 = ss.sampleKurtosis(x);
  return ((g2 * (n - 2) * (n - 3)) / (n - 1) + 3 * (n - 1)) / (n + 1);
}

/** R type 7 straight from its definition. */
function type7(x: number[], p: number): number {
  const s = [...x].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  return s[Math.floor(h)] + (h - Math.floor(h)) * (s[Math.ceil(h)] - s[Math.floor(h)]);
}

function checkAgainstReference(values: number[], times: number[], tolerance: number): void {
  const stats = accumulate(values, times);
  close(stats.mean, ss.mean(values), tolerance);
  close(stats.std, ss.sampleStandardDeviation(values), tolerance);
  assert.equal(stats.min, ss.min(values));
  assert.equal(stats.max, ss.max(values));
  assert.equal(stats.range, ss.max(values) - ss.min(values));
  assert.equal(stats.peakToPeak, stats.range);
  close(stats.rms, ss.rootMeanSquare(values), tolerance);
  const peak = Math.max(...values.map(Math.abs));
  assert.equal(stats.peak, peak);
  close(stats.crestFactor, peak / ss.rootMeanSquare(values), tolerance);
  close(stats.skewness, ss.sampleSkewness(values, true), tolerance * 100);
  close(stats.kurtosis, pearsonKurtosis(values), tolerance * 100);
  close(stats.median, ss.median(values), 0);
  close(stats.p05, type7(values, 0.05), 0);
  close(stats.p95, type7(values, 0.95), 0);
  const fit = ss.linearRegression(values.map((v, i) => [(times[i] - times[0]) / 1000, v]));
  close(stats.slope, fit.m, tolerance * 100);
  const last = values.length - 1;
  close(stats.rateOfChange, (values[last] - values[0]) / ((times[last] - times[0]) / 1000), tolerance);
  assert.equal(stats.first, values[0]);
  assert.equal(stats.last, values[last]);
  assert.equal(stats.count, values.length);
}

describe('WindowAccumulator statistics', () => {
  it('match simple-statistics on random data', () => {
    const random = lcg(42);
    for (const n of [4, 7, 100, 2500]) {
      const values = Array.from({ length: n }, () => (random() - 0.3) * 50);
      const times = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 100 + Math.floor(random() * 50));
      checkAgainstReference(values, times, 1e-9);
    }
  });

  it('match on a skewed, heavy-tailed distribution', () => {
    const random = lcg(7);
    const values = Array.from({ length: 1000 }, () => Math.exp(3 * random()) * (random() < 0.02 ? 20 : 1));
    const times = values.map((_, i) => 1_700_000_000_000 + i * 10);
    checkAgainstReference(values, times, 1e-9);
  });

  it('stay accurate with a large offset (catastrophic cancellation in naive sums)', () => {
    const random = lcg(3);
    const values = Array.from({ length: 500 }, () => 1e9 + random());
    const times = values.map((_, i) => 1_700_000_000_000 + i * 1000);
    const stats = accumulate(values, times);
    close(stats.std, ss.sampleStandardDeviation(values), 1e-6);
    close(stats.skewness, ss.sampleSkewness(values, true), 1e-4);
    close(stats.kurtosis, pearsonKurtosis(values), 1e-4);
  });

  it('give std 0, skewness 0, kurtosis 0 and crest factor 1 for constant values', () => {
    const times = [0, 1000, 2000, 3000, 4000].map((t) => t + 1_700_000_000_000);
    const stats = accumulate([5, 5, 5, 5, 5], times);
    assert.equal(stats.std, 0);
    assert.equal(stats.skewness, 0);
    assert.equal(stats.kurtosis, 0);
    assert.equal(stats.slope, 0);
    assert.equal(stats.rms, 5);
    assert.equal(stats.crestFactor, 1);
    assert.equal(stats.median, 5);
  });

  it('give crest factor 0 for an all-zero window', () => {
    const stats = accumulate([0, 0, 0], [1, 2, 3]);
    assert.equal(stats.rms, 0);
    assert.equal(stats.crestFactor, 0);
  });

  it('handle a single sample', () => {
    const stats = accumulate([-3], [1_700_000_000_500], 1_700_000_000_000);
    assert.equal(stats.count, 1);
    assert.equal(stats.mean, -3);
    assert.equal(stats.std, 0);
    assert.equal(stats.peak, 3);
    assert.equal(stats.rms, 3);
    assert.equal(stats.slope, 0);
    assert.equal(stats.rateOfChange, 0);
    assert.equal(stats.median, -3);
    assert.equal(stats.p05, -3);
    assert.equal(stats.unit, 'mm/s');
    assert.equal(stats.start, 1_700_000_000_000);
    assert.equal(stats.end, 1_700_000_060_000);
  });

  it('measure slope per second and rate of change between first and last', () => {
    const times = [0, 500, 1000, 1500, 2000].map((t) => t + 1_700_000_000_000);
    const stats = accumulate([1, 2, 3, 4, 5], times);
    close(stats.slope, 2);
    close(stats.rateOfChange, 2);
  });

  it('give rate of change 0 when first and last share a timestamp', () => {
    const stats = accumulate([1, 9], [1000, 1000]);
    assert.equal(stats.rateOfChange, 0);
    assert.equal(stats.slope, 0);
  });

  it('start afresh after clear()', () => {
    const window = new WindowAccumulator(10).open(0, 1000);
    const prng = new Prng(1);
    [100, 200, 300].forEach((v, i) => window.add(v, i, prng));
    window.stats('a', 's', undefined);
    window.clear();
    window.open(1000, 2000);
    [1, 2, 3].forEach((v, i) => window.add(v, 1000 + i * 100, prng));
    const stats = window.stats('a', 's', undefined);
    assert.deepEqual([stats.count, stats.mean, stats.min, stats.max, stats.median, stats.first], [3, 2, 1, 3, 2, 1]);
    close(stats.slope, 10);
    assert.equal('unit' in stats, false);
  });
});
