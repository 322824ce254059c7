import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataQualityChecker } from '../../../nodes/lib/quality';
import { KeyState, KeyStore } from '../../../nodes/lib/quality/key-state';
import { UNBOUNDED_RULES } from '../../../nodes/lib/quality/rules';
import { ScoreRing } from '../../../nodes/lib/quality/score-ring';

/** msg.quality.scores is a prototype-less dictionary. */
const dictionary = (entries: Record<string, number>): Record<string, number> =>
  Object.assign(Object.create(null) as Record<string, number>, entries);

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const reading = (sensor: string, value: number, ts = NOW) => ({ asset: 'pump-1', sensor, value, ts });

describe('score ring', () => {
  it('is the good share of the last N records', () => {
    const ring = new ScoreRing(4);
    assert.equal(ring.score, 1, 'nothing seen yet');
    ring.record(true);
    ring.record(false);
    assert.equal(ring.score, 0.5);
    ring.record(true);
    ring.record(true);
    assert.equal(ring.score, 0.75);
    ring.record(true); // pushes out the first good
    assert.equal(ring.score, 0.75);
    ring.record(true); // pushes out the bad one
    assert.equal(ring.score, 1);
    assert.equal(ring.count, 4);
    assert.throws(() => new ScoreRing(0), RangeError);
  });
});

describe('key store', () => {
  const state = (key: string) => new KeyState(key, 'default', UNBOUNDED_RULES, 10);

  it('evicts the least recently used key when full', () => {
    const store = new KeyStore(2, 'evict');
    store.add(state('a'));
    store.add(state('b'));
    store.get('a');
    store.add(state('c')); // a and b both used since insertion: the sweep clears both, then takes a
    assert.equal(store.size, 2);
    store.get('c');
    store.add(state('d')); // b was not used since the sweep
    assert.equal(store.get('b'), undefined);
    assert.ok(store.get('c'));
    assert.ok(store.get('d'));
    assert.equal(store.evicted, 2);
  });

  it('refuses new keys when full and so configured', () => {
    const store = new KeyStore(1, 'reject');
    assert.equal(store.add(state('a')), true);
    assert.equal(store.add(state('b')), false);
    assert.ok(store.get('a'));
  });
});

describe('data-quality checker', () => {
  it('splits a batch into accepted readings and rejected items, keeping order', () => {
    const checker = new DataQualityChecker({}, () => NOW);
    const batch = [reading('temperature', 70), reading('temperature', 900, NOW + 1), 'junk', reading('vibration', 3)];
    const outcome = checker.check(batch);
    assert.equal(outcome.single, false);
    assert.deepEqual(outcome.accepted.map((r) => r.value), [70, 3]);
    assert.equal(outcome.accepted[0], batch[0], 'canonical readings are passed on, not copied');
    assert.deepEqual(outcome.rejected.map((r) => r.error.code), ['OUT_OF_RANGE', 'INVALID_PAYLOAD']);
    assert.equal(outcome.rejected[1].input, 'junk');
    assert.deepEqual(outcome.quality, {
      accepted: 2, rejected: 2, uncertain: 0, scores: dictionary({ 'pump-1/temperature': 0.5, 'pump-1/vibration': 1 }),
    });
  });

  it('gives a single reading its key and score', () => {
    const checker = new DataQualityChecker({ scoreWindow: 4 }, () => NOW);
    checker.check(reading('temperature', 500, NOW - 1));
    const outcome = checker.check(reading('temperature', 50));
    assert.equal(outcome.single, true);
    assert.equal(outcome.quality.key, 'pump-1/temperature');
    assert.equal(outcome.quality.score, 0.5);
  });

  it('scores each key over its own sliding window', () => {
    const checker = new DataQualityChecker({ scoreWindow: 10, duplicates: 'off' }, () => NOW);
    for (let i = 0; i < 10; i++) checker.check(reading('temperature', i < 3 ? 999 : 20));
    assert.equal(checker.check([]).quality.scores['pump-1/temperature'], undefined, 'an empty batch touches no key');
    const afterTen = checker.check(reading('temperature', 20));
    assert.equal(afterTen.quality.score, 0.8, 'the first bad one slid out');
    assert.equal(checker.check(reading('vibration', 1)).quality.score, 1);
    const totals = checker.totals();
    assert.equal(totals.accepted, 9);
    assert.equal(totals.rejected, 3);
    assert.equal(totals.keys, 2);
    assert.equal(totals.score, 0.9, 'the node window holds the last 10 readings: one bad');
  });

  it('counts uncertain readings and does not score them good', () => {
    const checker = new DataQualityChecker({}, () => NOW);
    const outcome = checker.check([reading('a', 1, NOW - 1), { ...reading('a', 2), quality: 'uncertain' as const }]);
    assert.equal(outcome.quality.uncertain, 1);
    assert.equal(outcome.quality.scores['pump-1/a'], 0.5);
  });

  it('refuses a batch over the size limit whole, without looking at its items', () => {
    const checker = new DataQualityChecker({ maxBatch: 3 }, () => NOW);
    const outcome = checker.check([1, 2, 3, 4]);
    assert.equal(outcome.failure?.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual([outcome.accepted, outcome.rejected], [[], []]);
    assert.equal(checker.check([reading('a', 1), reading('b', 1), reading('c', 1)]).failure, undefined);
    assert.equal(checker.totals().failedMessages, 1);
  });

  it('refuses a batch in which no item is a reading, but not one in which some are', () => {
    const checker = new DataQualityChecker({}, () => NOW);
    assert.equal(checker.check([true, {}, 'x']).failure?.code, 'INVALID_PAYLOAD');
    const mixed = checker.check([true, reading('a', 1)]);
    assert.equal(mixed.failure, undefined);
    assert.equal(mixed.rejected.length, 1);
  });

  it('rejects readings of new keys with KEY_LIMIT when the key table is full and refuses', () => {
    const checker = new DataQualityChecker({ maxKeys: 2, keyLimit: 'reject' }, () => NOW);
    const outcome = checker.check([reading('a', 1), reading('b', 1), reading('c', 1), reading('a', 2, NOW - 5)]);
    assert.deepEqual(outcome.accepted.map((r) => r.sensor), ['a', 'b', 'a']);
    assert.equal(outcome.rejected[0].error.code, 'KEY_LIMIT');
  });

  it('evicts old keys by default so new ones are still checked', () => {
    const checker = new DataQualityChecker({ maxKeys: 2 }, () => NOW);
    checker.check([reading('a', 1), reading('b', 1), reading('c', 1)]);
    assert.deepEqual([checker.totals().keys, checker.totals().evictedKeys], [2, 1]);
    // 'a' was forgotten, so the same ts is no longer a known duplicate.
    assert.equal(checker.check(reading('a', 1)).accepted.length, 1);
  });

  it('forgets everything on clear', () => {
    const checker = new DataQualityChecker({}, () => NOW);
    checker.check(reading('a', 1));
    checker.clear();
    assert.deepEqual(checker.totals(), { accepted: 0, rejected: 0, uncertain: 0, failedMessages: 0, score: 1, keys: 0, evictedKeys: 0 });
    assert.equal(checker.check(reading('a', 1)).accepted.length, 1, 'no longer a duplicate');
  });
});
