import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng, quantileSorted, ValueSample } from '../../../nodes/lib/stats/value-sample';

describe('quantileSorted (R type 7)', () => {
  it('matches numpy.percentile defaults', () => {
    assert.ok(Math.abs(quantileSorted([1, 2, 3, 4], 0.05) - 1.15) < 1e-12);
    assert.ok(Math.abs(quantileSorted([1, 2, 3, 4], 0.95) - 3.85) < 1e-12);
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.ok(Math.abs(quantileSorted(ten, 0.95) - 9.55) < 1e-12);
    assert.ok(Math.abs(quantileSorted(ten, 0.05) - 1.45) < 1e-12);
    assert.equal(quantileSorted(ten, 0), 1);
    assert.equal(quantileSorted(ten, 1), 10);
  });

  it('returns the only value of a single-value sample and NaN for none', () => {
    assert.equal(quantileSorted([7], 0.95), 7);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });
});

describe('ValueSample', () => {
  it('keeps every value up to the cap and sorts them numerically', () => {
    const sample = new ValueSample(100);
    const prng = new Prng(1);
    for (const v of [10, -2, 3, 100, 25]) sample.add(v, prng);
    assert.deepEqual([...sample.sorted()], [-2, 3, 10, 25, 100]);
    assert.equal(sample.sampled, false);
  });

  it('bounds memory at the cap and samples uniformly beyond it', () => {
    const cap = 1000;
    const sample = new ValueSample(cap);
    const prng = new Prng(9);
    for (let i = 0; i < 100_000; i++) sample.add(i, prng);
    assert.equal(sample.size, cap);
    assert.ok(sample.capacity <= cap);
    assert.equal(sample.sampled, true);
    const sorted = sample.sorted();
    // a uniform sample of 0..99999: its quartiles land near 25k, 50k, 75k
    for (const p of [0.25, 0.5, 0.75]) {
      const estimate = quantileSorted(sorted, p);
      assert.ok(Math.abs(estimate - p * 100_000) < 5000, `p${p * 100} estimate ${estimate}`);
    }
  });

  it('is deterministic for a seed', () => {
    const run = (): number[] => {
      const sample = new ValueSample(10);
      const prng = new Prng(123);
      for (let i = 0; i < 1000; i++) sample.add(i, prng);
      return [...sample.sorted()];
    };
    assert.deepEqual(run(), run());
  });

  it('empties on clear()', () => {
    const sample = new ValueSample(2);
    const prng = new Prng(1);
    for (const v of [1, 2, 3]) sample.add(v, prng);
    sample.clear();
    sample.add(4, prng);
    assert.deepEqual([...sample.sorted()], [4]);
    assert.equal(sample.sampled, false);
  });
});

describe('Prng', () => {
  it('stays within its bound', () => {
    const prng = new Prng(5);
    for (let i = 0; i < 10_000; i++) {
      const x = prng.below(7);
      assert.ok(Number.isInteger(x) && x >= 0 && x < 7);
    }
  });
});
