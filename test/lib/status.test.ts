import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { STATUS, ThrottledStatus, type NodeStatusLike } from '../../nodes/lib/status';

describe('throttled status', () => {
  it('builds a status given as a function only when it is applied, and shows the last one', async () => {
    const shown: NodeStatusLike[] = [];
    const status = new ThrottledStatus((s) => shown.push(s), 30);
    let built = 0;
    let count = 0;
    const progress = (): NodeStatusLike => {
      built++;
      return STATUS.ok(`${count} done`);
    };
    for (count = 1; count <= 100; count++) status.set(progress);
    count = 100;
    assert.equal(built, 1, 'the first is shown at once, the others wait for the interval');
    assert.deepEqual(shown.map((s) => s.text), ['1 done']);
    await sleep(80);
    assert.equal(built, 2);
    assert.deepEqual(shown.map((s) => s.text), ['1 done', '100 done']);
    await sleep(40);
    status.set(progress);
    assert.equal(built, 3);
    assert.equal(shown.length, 2, 'the same text is not applied again');
    status.cancel();
  });

  it('applies status objects at once, then at most once per interval', async () => {
    const shown: string[] = [];
    const status = new ThrottledStatus((s) => shown.push(s.text ?? ''), 30);
    status.set(STATUS.ok('a'));
    status.set(STATUS.ok('b'));
    status.set(STATUS.ok('c'));
    assert.deepEqual(shown, ['a']);
    await sleep(80);
    assert.deepEqual(shown, ['a', 'c']);
    status.force(STATUS.error('d'));
    assert.deepEqual(shown, ['a', 'c', 'd']);
  });
});
