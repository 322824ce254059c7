import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FATIGUE } from '../../../nodes/lib/anomaly/fatigue';
import { ewmaChartSigma } from '../../../nodes/lib/anomaly/model';
import type { DetectorName, SensorOptions } from '../../../nodes/lib/anomaly/options';
import { detectorWith, firstAlarm, gaussian, noise, scoresOf } from './signals';

const WARM = 200;

/** One detector alone, the defaults otherwise. */
function only(name: DetectorName, extra: Partial<SensorOptions> = {}) {
  return detectorWith({ detectors: [name], ...extra });
}

function falseAlarmRate(name: DetectorName, extra: Partial<SensorOptions> = {}): number {
  const detector = only(name, extra);
  const g = gaussian(2024);
  let scored = 0;
  let over = 0;
  for (let i = 0; i < 100_000; i++) {
    const outcome = detector.process('a', 's', 50 + 2 * g(), i * 1000);
    if (outcome.warmingUp) continue;
    scored++;
    if (outcome.score >= 1) over++;
  }
  assert.ok(scored > 99_000);
  return over / scored;
}

const step = (size: number) => [...noise(WARM, 11), ...noise(100, 12, size)];
const spike = (size: number) => [...noise(WARM, 13), size, ...noise(20, 14)];
const drift = (perSample: number) => [...noise(WARM, 15), ...noise(300, 16).map((x, i) => x + perSample * i)];

/** Stated per-sample false-alarm bounds on Gaussian noise (window 100, the default thresholds). */
const BOUNDS: [DetectorName, Partial<SensorOptions>, number][] = [
  ['zscore', {}, 0.006],
  ['ewma', {}, 0.006],
  ['robust', {}, 0.003],
  ['iqr', {}, 0.02],
  ['cusum', {}, 0.004],
  ['ewmaChart', {}, 0.004],
  ['nelson', { nelsonRules: [1, 5, 6] }, 0.025],
  ['nelson', {}, 0.04],
  ['limits', { min: 38, max: 62 }, 0],
  ['rate', { rateLimit: 20 }, 0],
];

describe('univariate detectors', () => {
  for (const [name, extra, bound] of BOUNDS) {
    it(`${name} ${JSON.stringify(extra)} false-alarm rate on 100k Gaussian samples is ≤ ${bound * 100}%`, () => {
      const rate = falseAlarmRate(name, extra);
      assert.ok(rate <= bound, `${name}: ${(rate * 100).toFixed(3)}%`);
    });
  }

  for (const name of ['zscore', 'ewma', 'robust', 'iqr', 'cusum', 'ewmaChart', 'nelson'] as DetectorName[]) {
    it(`${name} fires on a 4σ step, a 10σ spike and a drift of 0.1σ per sample`, () => {
      assert.ok(firstAlarm(scoresOf(only(name), step(4)), WARM) - WARM < 10, 'step');
      assert.equal(firstAlarm(scoresOf(only(name), spike(10)), WARM), WARM, 'spike');
      // a rolling or EWMA baseline in 'learn' mode follows a slow drift (its σ grows with it): a frozen one does not
      const adapts = name === 'zscore' || name === 'ewma';
      const forDrift = detectorWith({ detectors: [name] }, { mode: adapts ? 'freeze' : 'learn' });
      const d = firstAlarm(scoresOf(forDrift, drift(0.1)), WARM);
      assert.ok(d >= WARM && d - WARM < 100, `drift alarm at ${d - WARM}`);
    });
  }

  it('stays quiet during warm-up and scores from the configured sample on', () => {
    const detector = only('zscore', { warmUp: 30 });
    const outcomes = [...noise(29, 1), 1000].map((v, i) => detector.process('a', 's', v, i));
    assert.equal(outcomes.length, 30);
    const last = detector.process('a', 's', 1000, 31);
    assert.equal(last.warmingUp, false);
    assert.ok(last.score > 1);
  });

  it('CUSUM detects a 1σ shift that the plain z-score does not', () => {
    const series = [...noise(WARM, 21), ...noise(40, 22, 1)];
    assert.equal(firstAlarm(scoresOf(only('zscore'), series), WARM), -1);
    const cusum = firstAlarm(scoresOf(only('cusum'), series), WARM);
    assert.ok(cusum >= WARM && cusum - WARM < 25, `CUSUM alarm ${cusum - WARM} samples after the shift`);
  });

  it('CUSUM resets after an alarm', () => {
    const scores = scoresOf(only('cusum'), [...noise(WARM, 31), ...Array(20).fill(1.5)]);
    const alarm = firstAlarm(scores, WARM);
    assert.ok(alarm > WARM + 2 && alarm < WARM + 10, `alarm at ${alarm - WARM}`);
    assert.ok(scores[alarm + 1] < 0.5, `after the alarm ${scores[alarm + 1]}`);
  });

  it('EWMA chart σ follows the closed form σ·√(λ/(2−λ)·(1−(1−λ)^2t)) of the weighted sum', () => {
    for (const lambda of [0.05, 0.2, 0.5, 1]) {
      for (const t of [1, 2, 5, 20, 200]) {
        let weights = 0;
        for (let i = 0; i < t; i++) weights += (lambda * (1 - lambda) ** i) ** 2;
        assert.ok(Math.abs(ewmaChartSigma(2, lambda, t) - 2 * Math.sqrt(weights)) < 1e-12, `λ=${lambda} t=${t}`);
      }
    }
  });

  it('EWMA chart scores |z − μ| / (L·σ_t) exactly on a frozen baseline', () => {
    const detector = detectorWith({ detectors: ['ewmaChart'], warmUp: 4, window: 4, chartLambda: 0.25, chartL: 3 }, { mode: 'freeze' });
    scoresOf(detector, [-1, 1, -1, 1]);
    const sigma = Math.sqrt(4 / 3);
    const s1 = detector.process('a', 's', 2, 5000).score;
    assert.ok(Math.abs(s1 - (0.25 * 2) / (3 * sigma * Math.sqrt(0.25 / 1.75 * (1 - 0.75 ** 2)))) < 1e-9);
    const z2 = 0.25 * 2 + 0.75 * 0.5;
    const s2 = detector.process('a', 's', 2, 6000).score;
    assert.ok(Math.abs(s2 - z2 / (3 * sigma * Math.sqrt(0.25 / 1.75 * (1 - 0.75 ** 4)))) < 1e-9);
  });

  it('Nelson rule 7 catches a flatlined sensor that no threshold sees', () => {
    const series = [...noise(WARM, 41, 20), ...Array(30).fill(20.05)];
    assert.equal(firstAlarm(scoresOf(only('zscore'), series), WARM), -1);
    assert.equal(firstAlarm(scoresOf(only('nelson', { nelsonRules: [7] }), series), WARM), WARM + 14);
  });

  it('hard limits score the position in [min, max]: 1 at a limit, 0 in the middle', () => {
    const both = only('limits', { min: 0, max: 100 });
    assert.deepEqual(scoresOf(both, [50, 100, 0, 125]), [0, 1, 1, 1.5]);
    const maxOnly = only('limits', { max: 80 });
    assert.deepEqual(scoresOf(maxOnly, [79, 80, 160]), [0, 1, 2]);
  });

  it('rate of change scores |Δvalue/Δt| per second against its limit', () => {
    const detector = only('rate', { rateLimit: 2 });
    const scores = [0, 1, 1, 21].map((v, i) => detector.process('a', 's', v, i * 500).score);
    assert.deepEqual(scores, [0, 1, 0, 20]);
  });

  it('combines detectors by their maximum and lists those at or over threshold in the event', () => {
    const detector = detectorWith({ detectors: ['zscore', 'ewma', 'limits', 'cusum'], max: 100 }, { fatigue: { ...DEFAULT_FATIGUE, cooldownMs: 0 } });
    scoresOf(detector, noise(WARM, 51, 50));
    const outcome = detector.process('a', 's', 70, WARM * 1000);
    assert.equal(outcome.state, 'firing');
    const event = outcome.event!;
    const names = event.detectors.map((d) => d.name).sort();
    assert.ok(names.includes('zscore') && names.includes('ewma'), names.join());
    assert.ok(!names.includes('limits'));
    assert.equal(event.score, Math.max(...event.detectors.map((d) => d.score)));
    assert.equal(event.severity, 'critical');
    assert.ok(event.expected!.low < 50 && event.expected!.high > 50 && event.expected!.high < 70);
    const z = event.detectors.find((d) => d.name === 'zscore')!;
    assert.ok((z.detail!.z as number) > 15);
  });

  it('keeps readings judged anomalous out of the baseline unless told otherwise', () => {
    const series = [...noise(WARM, 61), ...noise(300, 62, 8)];
    const excluded = scoresOf(only('zscore'), series);
    assert.ok(excluded.slice(-50).every((s) => s >= 1), 'a long fault stays anomalous');
    const learned = scoresOf(detectorWith({ detectors: ['zscore'] }, { excludeAnomalies: false }), series);
    assert.ok(learned.slice(-50).every((s) => s < 1), 'without exclusion the fault becomes normal');
  });
});
