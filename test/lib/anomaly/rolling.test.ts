import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RollingWindow, SortedWindow } from '../../../nodes/lib/anomaly/rolling';
import { mulberry32, noise } from './signals';

function sampleVariance(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) / 2;
  return (s[Math.floor(h)] + s[Math.ceil(h)]) / 2;
}

describe('RollingWindow', () => {
  it('keeps the mean and sample variance of the last N values, even far from zero', () => {
    const w = new RollingWindow(50);
    const xs = noise(1234, 1, 1e7, 0.01);
    xs.forEach((x, i) => {
      w.push(x);
      const last = xs.slice(Math.max(0, i - 49), i + 1);
      if (last.length >= 2) {
        assert.ok(Math.abs(w.mean() - last.reduce((a, b) => a + b, 0) / last.length) < 1e-6);
        assert.ok(Math.abs(w.variance() - sampleVariance(last)) < 1e-8, `variance at ${i}`);
      }
    });
    assert.deepEqual(w.toArray(), xs.slice(-50));
  });

  it('returns the evicted value once full', () => {
    const w = new RollingWindow(3);
    assert.ok(Number.isNaN(w.push(1)));
    w.push(2);
    w.push(3);
    assert.equal(w.push(4), 1);
    assert.equal(w.push(5), 2);
  });
});

describe('SortedWindow', () => {
  it('tracks quantiles, the median and the MAD of a sliding window with duplicates', () => {
    const rnd = mulberry32(9);
    const n = 31;
    const ring = new RollingWindow(n);
    const sorted = new SortedWindow(n);
    const seen: number[] = [];
    for (let i = 0; i < 400; i++) {
      const x = Math.round(rnd() * 20) / 2;
      const out = ring.push(x);
      if (!Number.isNaN(out)) sorted.remove(out);
      sorted.insert(x);
      seen.push(x);
      const win = seen.slice(-n);
      const med = medianOf(win);
      assert.equal(sorted.median(), med);
      assert.equal(sorted.mad(), medianOf(win.map((v) => Math.abs(v - med))), `MAD at ${i} (size ${win.length})`);
      const s = [...win].sort((a, b) => a - b);
      const h = (s.length - 1) * 0.25;
      const q1 = s[Math.floor(h)] + (h - Math.floor(h)) * (s[Math.min(Math.floor(h) + 1, s.length - 1)] - s[Math.floor(h)]);
      assert.ok(Math.abs(sorted.quantile(0.25) - q1) < 1e-12);
    }
  });
});
