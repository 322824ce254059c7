import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SEVERITIES, severityOf, severityRank } from '../../../nodes/lib/anomaly/events';
import { FatigueState, stepFatigue, type FatigueOptions } from '../../../nodes/lib/anomaly/fatigue';

/** Feeds scores one per second; returns the events with their sample index. */
function run(scores: number[], o: Partial<FatigueOptions>): string[] {
  const options: FatigueOptions = { k: 1, n: 1, clearRatio: 0.8, clearSamples: 1, cooldownMs: 0, ...o };
  const state = new FatigueState();
  const events: string[] = [];
  scores.forEach((score, i) => {
    const e = stepFatigue(state, score, i * 1000, options, DEFAULT_SEVERITIES);
    if (e) events.push(`${i}:${e}`);
  });
  return events;
}

describe('alert fatigue', () => {
  it('without controls every reading ≥ 1 fires and the first one below clearRatio resolves', () => {
    assert.deepEqual(run([0, 1.2, 1.5, 0.5, 1], {}), ['1:firing', '2:firing', '3:resolved', '4:firing']);
  });

  it('k-of-n: fires only when k of the last n readings are ≥ 1', () => {
    assert.deepEqual(run([1.5, 0, 0, 1.5, 0, 0, 1.5], { k: 2, n: 3 }), []);
    assert.deepEqual(run([1.5, 0, 1.5, 0, 0], { k: 2, n: 3, cooldownMs: 60_000, clearSamples: 2 }), ['2:firing', '4:resolved']);
    assert.deepEqual(run([1.5, 1.5, 1.5], { k: 3, n: 5 }), ['2:firing']);
  });

  it('hysteresis: clears only after clearSamples readings below clearRatio', () => {
    const scores = [2, 0.9, 0.85, 0.5, 0.81, 0.5, 0.9, 0.1, 0.1, 0.1];
    assert.deepEqual(run(scores, { clearSamples: 3, cooldownMs: 60_000 }), ['0:firing', '9:resolved']);
    assert.deepEqual(run(scores, { clearSamples: 1, cooldownMs: 60_000 }), ['0:firing', '3:resolved']);
  });

  it('cooldown: no new firing event within the cooldown, a reminder after it', () => {
    const scores = [1.5, 1.5, 1.5, 1.5, 1.5, 0, 1.5, 0, 1.5];
    assert.deepEqual(run(scores, { cooldownMs: 4000 }), ['0:firing', '4:firing', '5:resolved', '8:firing']);
  });

  it('an episode that begins inside the cooldown stays silent, including its end', () => {
    assert.deepEqual(run([1.5, 0, 1.5, 0, 0, 0, 1.5], { cooldownMs: 5000 }), ['0:firing', '1:resolved', '6:firing']);
  });

  it('an escalation in severity is announced at once despite the cooldown', () => {
    assert.deepEqual(run([1.2, 1.3, 2.5, 2.4, 6, 5.5], { cooldownMs: 60_000 }), ['0:firing', '2:firing', '4:firing']);
  });

  it('maps scores to severities with the documented defaults 1/2/3/5', () => {
    assert.deepEqual([0.99, 1, 1.99, 2, 3, 4.99, 5, 1e6].map((s) => severityRank(s, DEFAULT_SEVERITIES)), [-1, 0, 0, 1, 2, 2, 3, 3]);
    assert.equal(severityOf(2.5, DEFAULT_SEVERITIES), 'medium');
    assert.equal(severityOf(0.2, DEFAULT_SEVERITIES), 'low');
  });
});
