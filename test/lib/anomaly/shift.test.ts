import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LevelShift } from '../../../nodes/lib/anomaly/shift';
import type { SensorOptions } from '../../../nodes/lib/anomaly/options';
import { detectorWith, firstAlarm, gaussian, noise, scoresOf } from './signals';

const WARM = 2000;

/** The level-shift detector alone, frozen after the warm-up. */
function shiftDetector(extra: Partial<SensorOptions> = {}) {
  return detectorWith({ detectors: ['shift'], warmUp: WARM, window: WARM, ...extra }, { mode: 'freeze' });
}

/** A slow process: a level wandering by ±10 over `period` samples, with σ 1 noise on top. */
function slowProcess(n: number, seed: number, period = 3000): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, (_, i) => 80 + 10 * Math.sin((2 * Math.PI * i) / period) + g());
}

describe('level shift (multi-scale)', () => {
  it('EWMAs of spans s have α = 2/(s + 1) and start at the first value', () => {
    const shift = new LevelShift(3, 9);
    assert.equal(shift.update(10), 0);
    shift.update(20);
    assert.equal(shift.shortMean, 10 + 0.5 * 10);
    assert.equal(shift.longMean, 10 + 0.2 * 10);
    assert.equal(shift.difference, 15 - 12);
  });

  it('scores |difference − learned mean| / (threshold · learned σ), with Welford statistics', () => {
    const shift = new LevelShift(1, 3);
    const diffs: number[] = [];
    for (const x of [0, 4, 1, 7, 2, 9]) {
      diffs.push(shift.update(x));
      shift.learn();
    }
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (diffs.length - 1));
    shift.update(30);
    const expected = Math.abs(shift.difference - mean) / (2 * sd);
    assert.ok(Math.abs(shift.score(2, 0) - expected) < 1e-12);
    assert.equal(shift.score(2, 1e6), Math.abs(shift.difference - mean) / 2e6, 'the σ floor applies');
  });

  it('does not score before two differences were learned, nor learn before a short span was seen', () => {
    const shift = new LevelShift(5, 50);
    for (let i = 0; i < 4; i++) {
      shift.update(i);
      shift.learn();
    }
    assert.equal(shift.learned, 0);
    assert.equal(shift.score(3, 0), 0);
  });

  it('false-alarm rate on 100k Gaussian samples is ≤ 0.1 %', () => {
    const scores = scoresOf(shiftDetector(), noise(100_000, 2024, 50, 2));
    const scored = scores.slice(WARM);
    const rate = scored.filter((s) => s >= 1).length / scored.length;
    assert.ok(rate <= 0.001, `${(rate * 100).toFixed(3)}%`);
  });

  it('stays quiet on a slow process wandering by ±10σ, and fires on a drop of 10 within two short spans', () => {
    const values = slowProcess(12_000, 7);
    const quiet = scoresOf(shiftDetector({ shiftThreshold: 3 }), values);
    assert.equal(firstAlarm(quiet, WARM), -1, 'the wander itself is normal');
    const at = 9000;
    const dropped = values.map((v, i) => (i >= at ? v - 10 : v));
    const alarm = firstAlarm(scoresOf(shiftDetector({ shiftThreshold: 3 }), dropped), WARM);
    assert.ok(alarm >= at && alarm - at <= 24, `alarm ${alarm - at} samples after the drop`);
  });

  it('fires within a short span on a 2σ step of Gaussian noise, and not on a lone 10σ spike', () => {
    const step = [...noise(WARM, 11), ...noise(200, 12, 2)];
    const alarm = firstAlarm(scoresOf(shiftDetector(), step), WARM);
    assert.ok(alarm >= WARM && alarm - WARM < 12, `step alarm ${alarm - WARM}`);
    const spike = [...noise(WARM, 13), 10, ...noise(20, 14)];
    assert.equal(firstAlarm(scoresOf(shiftDetector(), spike), WARM), -1, 'a spike is not a change of level');
  });

  it('a zero-σ difference is floored by the sensor resolution instead of dividing by zero', () => {
    const detector = shiftDetector({ warmUp: 50, window: 50, minStd: 0.5 });
    const scores = scoresOf(detector, [...Array(100).fill(20), 21]);
    assert.ok(Number.isFinite(scores[100]) && scores[100] > 0);
  });
});
