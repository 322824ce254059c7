import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstBadSample, HISTOGRAM_BINS, TimeStatsCalculator } from '../../../nodes/lib/vibration/time-stats';
import { gaussian } from '../../../nodes/lib/sim/waveform';

function exactQuantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

describe('time statistics', () => {
  const random = gaussian(3);
  const x = Array.from({ length: 20_000 }, (_, i) => 2 + random() + 0.0001 * i);
  const stats = new TimeStatsCalculator().compute(x, 1000);

  it('match the direct formulas', () => {
    const n = x.length;
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const m2 = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const m4 = x.reduce((a, b) => a + (b - mean) ** 4, 0) / n;
    assert.ok(Math.abs(stats.mean - mean) < 1e-12);
    assert.ok(Math.abs(stats.std - Math.sqrt((m2 * n) / (n - 1))) < 1e-12);
    assert.ok(Math.abs(stats.kurtosis - m4 / (m2 * m2)) < 1e-9);
    assert.equal(stats.first, x[0]);
    assert.equal(stats.last, x[n - 1]);
    assert.ok(Math.abs(stats.crestFactor - stats.peak / stats.rms) < 1e-12);
    assert.ok(Math.abs(stats.slope - 0.1) < 0.01, `slope ${stats.slope} per s`);
  });

  it('quantiles within one histogram bin of the exact ones', () => {
    const sorted = [...x].sort((a, b) => a - b);
    const bin = stats.range / (HISTOGRAM_BINS - 1);
    for (const [q, value] of [[0.05, stats.p05], [0.5, stats.median], [0.95, stats.p95]]) {
      assert.ok(Math.abs(value - exactQuantile(sorted, q)) <= bin, `q${q}: ${value} vs ${exactQuantile(sorted, q)}`);
    }
  });

  it('keep the moments of a small vibration riding on a large offset', () => {
    const noise = gaussian(5);
    const y = Float64Array.from({ length: 10_000 }, () => 1000 + 0.001 * noise());
    const n = y.length;
    const mean = y.reduce((a, b) => a + b, 0) / n;
    let m2 = 0;
    let m4 = 0;
    for (const v of y) {
      m2 += (v - mean) ** 2 / n;
      m4 += (v - mean) ** 4 / n;
    }
    const s = new TimeStatsCalculator().compute(y, 1000);
    assert.ok(Math.abs(s.std / Math.sqrt((m2 * n) / (n - 1)) - 1) < 1e-6, `std ${s.std}`);
    assert.ok(Math.abs(s.kurtosis / (m4 / (m2 * m2)) - 1) < 1e-4, `kurtosis ${s.kurtosis}`);
  });

  it('finds the first sample that is not a finite number', () => {
    assert.equal(firstBadSample([1, 2, 3]), -1);
    assert.equal(firstBadSample([1, Infinity, NaN]), 1);
    assert.equal(firstBadSample([1, 2, null as unknown as number]), 2);
  });
});
