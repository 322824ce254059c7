import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetTracker } from '../../../nodes/lib/kafka/offsets';

describe('OffsetTracker', () => {
  it('commits only the run of done deliveries from the oldest one', () => {
    const t = new OffsetTracker();
    const d = [0, 1, 2, 3].map((o) => t.deliver('raw', 0, String(o), 1));
    assert.equal(t.inFlight, 4);
    t.done(d[1]);
    t.done(d[3]);
    assert.deepEqual(t.takeCommits(), [], 'offset 0 is not done, nothing may be committed');
    t.done(d[0]);
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 0, offset: '2' }]);
    assert.deepEqual(t.takeCommits(), [], 'taken once');
    t.done(d[2]);
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 0, offset: '4' }]);
    assert.equal(t.inFlight, 0);
  });

  it('tracks partitions independently and counts the records of a batch delivery', () => {
    const t = new OffsetTracker();
    const a = t.deliver('raw', 0, '99', 100);
    const b = t.deliver('raw', 1, '9', 10);
    assert.equal(t.inFlight, 110);
    t.done(b);
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 1, offset: '10' }]);
    t.done(a);
    t.done(a);
    assert.equal(t.inFlight, 0, 'a second done() of the same delivery changes nothing');
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 0, offset: '100' }]);
  });

  it('ignores late done() calls of dropped partitions and gives offsets back after a failed commit', () => {
    const t = new OffsetTracker();
    const a = t.deliver('raw', 0, '5', 1);
    const b = t.deliver('raw', 1, '7', 1);
    t.drop([{ topic: 'raw', partition: 0 }]);
    assert.equal(t.inFlight, 1);
    t.done(a);
    assert.deepEqual(t.takeCommits(), []);
    t.done(b);
    const commits = t.takeCommits();
    t.restore(commits);
    assert.deepEqual(t.takeCommits(), commits);
    assert.deepEqual(t.tracked(), [{ topic: 'raw', partition: 1 }]);
  });

  it('handles offsets beyond 2^53 exactly', () => {
    const t = new OffsetTracker();
    t.done(t.deliver('raw', 0, '9007199254740993', 1));
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 0, offset: '9007199254740994' }]);
  });

  it('keeps memory bounded over a long stream', () => {
    const t = new OffsetTracker();
    for (let i = 0; i < 5000; i++) t.done(t.deliver('raw', 0, String(i), 1));
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 0, offset: '5000' }]);
    assert.equal(t.inFlight, 0);
  });
});
