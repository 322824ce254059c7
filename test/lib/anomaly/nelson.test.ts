import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NelsonRing, nelsonRuleList } from '../../../nodes/lib/anomaly/nelson';

const ALL = 0xff;

/** Rules that hold after the last z of the sequence. */
function rulesAfter(zs: number[], mask = ALL): number[] {
  const ring = new NelsonRing();
  let hits = 0;
  for (const z of zs) hits = ring.push(z, mask);
  return nelsonRuleList(hits);
}

/** A calm lead-in that triggers nothing: alternating sides, varying distance within 1σ, not alternating in direction. */
const calm = [0.5, -0.2, 0.3, 1.5, -0.4, 0.1, -1.2, 0.6, 0.2];

describe('Nelson rules', () => {
  it('a calm sequence triggers none', () => {
    assert.deepEqual(rulesAfter(calm), []);
  });

  const cases: [number, number[]][] = [
    [1, [3.2]],
    [1, [-3.5]],
    [2, [0.3, 0.5, 0.2, 0.8, 0.4, 0.6, 0.1, 0.7, 0.5]],
    [3, [-0.9, -0.5, -0.1, 0.2, 0.4, 0.8]],
    [4, [0.4, -0.3, 0.5, -0.2, 0.6, -0.4, 0.3, -0.5, 0.2, -0.1, 0.4, -0.6, 0.5, -0.2]],
    [5, [2.5, 0.1, 2.2]],
    [6, [1.5, 1.2, -0.2, 1.8, 1.1]],
    [7, [0.1, -0.2, 0.3, -0.1, 0.2, -0.3, 0.15, -0.15, 0.25, -0.05, 0.05, -0.25, 0.1, -0.1, 0.2]],
    [8, [1.5, -1.6, 1.8, 1.4, -2.1, -1.2, 1.3, -1.5]],
  ];
  for (const [rule, tail] of cases) {
    it(`rule ${rule} fires on its pattern, and only when enabled`, () => {
      const fired = rulesAfter([...calm, ...tail]);
      assert.ok(fired.includes(rule), `rule ${rule}: got [${fired}]`);
      assert.ok(!rulesAfter([...calm, ...tail], ALL & ~(1 << (rule - 1))).includes(rule));
    });
  }

  it('needs the full run: eight on one side is not rule 2, five rising is not rule 3', () => {
    assert.ok(!rulesAfter([...calm, -0.5, 0.3, 0.5, 0.2, 0.8, 0.4, 0.6, 0.1, 0.7]).includes(2));
    assert.ok(!rulesAfter([...calm, 0.5, -0.9, -0.5, -0.1, 0.2, 0.4]).includes(3));
  });
});
