import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reading } from '../../../nodes/lib/reading';
import type { WindowOptionsInput } from '../../../nodes/lib/stats/options';
import { WindowEngine, type ClosedWindow } from '../../../nodes/lib/stats/window-engine';

const T0 = 1_700_000_000_000; // a multiple of every window size used here

function engineAt(options: WindowOptionsInput, start = T0): { engine: WindowEngine; clock: { t: number } } {
  const clock = { t: start };
  return { engine: new WindowEngine(options, () => clock.t), clock };
}

function reading(ts: number, value = 1, asset = 'pump-1', sensor = 'temp'): Reading {
  return { asset, sensor, value, ts };
}

function addAll(engine: WindowEngine, readings: Reading[]): readonly ClosedWindow[] {
  for (const r of readings) assert.equal(engine.add(r), undefined, `reading at ${r.ts} rejected`);
  return engine.takeClosed();
}

function spans(closed: readonly ClosedWindow[]): [number, number, number][] {
  return closed.map((c) => [c.stats.start - T0, c.stats.end - T0, c.stats.count]);
}

describe('WindowEngine tumbling windows, event time', () => {
  it('closes a window when the key watermark reaches its end', () => {
    const { engine } = engineAt({ size: 10_000, latenessMs: 0 });
    assert.deepEqual(addAll(engine, [reading(T0), reading(T0 + 5000, 3), reading(T0 + 9999, 5)]), []);
    const closed = addAll(engine, [reading(T0 + 10_000, 7)]);
    assert.deepEqual(spans(closed), [[0, 10_000, 3]]);
    assert.equal(closed[0].closedBy, 'watermark');
    assert.equal(closed[0].key, 'pump-1/temp');
    assert.equal(closed[0].stats.mean, 3);
    assert.equal(closed[0].stats.first, 1);
    assert.equal(closed[0].stats.last, 5);
  });

  it('waits for the allowed lateness and accepts out-of-order readings within it', () => {
    const { engine } = engineAt({ size: 10_000, latenessMs: 5000 });
    assert.deepEqual(addAll(engine, [reading(T0 + 1000), reading(T0 + 12_000), reading(T0 + 9000)]), []);
    const closed = addAll(engine, [reading(T0 + 15_000)]);
    assert.deepEqual(spans(closed), [[0, 10_000, 2]]);
  });

  it('rejects a reading behind its key watermark as LATE', () => {
    const { engine } = engineAt({ size: 10_000, latenessMs: 5000 });
    addAll(engine, [reading(T0 + 20_000)]);
    const late = engine.add(reading(T0 + 14_999));
    assert.equal(late?.code, 'LATE');
    assert.match(late?.reason ?? '', /1 ms behind the watermark of pump-1\/temp/);
    assert.equal(engine.add(reading(T0 + 15_000)), undefined);
  });

  it('keeps one watermark per key, so a lagging gateway is not late', () => {
    const { engine } = engineAt({ size: 10_000, latenessMs: 1000 });
    addAll(engine, [reading(T0 + 3_600_000, 1, 'fast', 'temp')]);
    assert.equal(engine.add(reading(T0, 1, 'slow', 'temp')), undefined);
    assert.equal(engine.keyCount, 2);
  });

  it('closes every window the watermark passes, oldest first', () => {
    const { engine } = engineAt({ size: 1000, latenessMs: 0 });
    const closed = addAll(engine, [reading(T0 + 100), reading(T0 + 1100), reading(T0 + 2100), reading(T0 + 9000)]);
    assert.deepEqual(spans(closed), [[0, 1000, 1], [1000, 2000, 1], [2000, 3000, 1]]);
  });

  it('carries the unit of the readings', () => {
    const { engine } = engineAt({ size: 1000, latenessMs: 0 });
    const closed = addAll(engine, [{ ...reading(T0), unit: '°C' }, reading(T0 + 1000)]);
    assert.equal(closed[0].stats.unit, '°C');
  });
});

describe('WindowEngine sliding windows', () => {
  it('puts each reading in size / hop windows aligned to multiples of hop', () => {
    const { engine } = engineAt({ window: 'sliding', size: 10_000, hop: 5000, latenessMs: 0 });
    const values = [[1000, 1], [6000, 2], [11_000, 3], [16_000, 4], [30_000, 5]];
    const closed = addAll(engine, values.map(([t, v]) => reading(T0 + t, v)));
    assert.deepEqual(spans(closed), [
      [-5000, 5000, 1],
      [0, 10_000, 2],
      [5000, 15_000, 2],
      [10_000, 20_000, 2],
      [15_000, 25_000, 1],
    ]);
    assert.deepEqual(closed.map((c) => c.stats.mean), [1, 1.5, 2.5, 3.5, 4]);
  });

  it('handles a hop that does not divide the size', () => {
    const { engine } = engineAt({ window: 'sliding', size: 1000, hop: 400, latenessMs: 0 });
    const closed = addAll(engine, [reading(T0 + 1000), reading(T0 + 5000)]);
    assert.deepEqual(spans(closed), [[400, 1400, 1], [800, 1800, 1]]);
  });
});

describe('WindowEngine count windows', () => {
  it('closes a window every size readings, spanning first to last reading time', () => {
    const { engine } = engineAt({ window: 'count', size: 3 });
    const closed = addAll(engine, [1, 2, 3, 4, 5, 6, 7].map((v) => reading(T0 + v * 100, v)));
    assert.deepEqual(spans(closed), [[100, 300, 3], [400, 600, 3]]);
    assert.deepEqual(closed.map((c) => c.closedBy), ['count', 'count']);
    assert.deepEqual(closed.map((c) => c.stats.mean), [2, 5]);
  });

  it('overlaps windows with a hop below the size', () => {
    const { engine } = engineAt({ window: 'count', size: 3, hop: 1 });
    const closed = addAll(engine, [1, 2, 3, 4, 5].map((v) => reading(T0 + v, v)));
    assert.deepEqual(closed.map((c) => c.stats.mean), [2, 3, 4]);
  });

  it('does not judge lateness: order of arrival defines the windows', () => {
    const { engine } = engineAt({ window: 'count', size: 2, latenessMs: 0 });
    const closed = addAll(engine, [reading(T0 + 5000, 1), reading(T0, 2)]);
    assert.equal(closed[0].stats.first, 1);
    assert.equal(closed[0].stats.last, 2);
  });
});

describe('WindowEngine processing time', () => {
  it('windows by arrival time and closes them on advance()', () => {
    const { engine, clock } = engineAt({ size: 1000, time: 'processing' });
    assert.equal(engine.add(reading(0, 2)), undefined);
    clock.t = T0 + 500;
    assert.equal(engine.add(reading(T0 - 86_400_000, 4)), undefined);
    clock.t = T0 + 999;
    assert.deepEqual(engine.advance(), []);
    clock.t = T0 + 1000;
    const closed = engine.advance();
    assert.deepEqual(spans(closed), [[0, 1000, 2]]);
    assert.equal(closed[0].closedBy, 'timer');
  });

  it('closes an ended window when the next reading arrives before the timer runs', () => {
    const { engine, clock } = engineAt({ size: 1000, time: 'processing' });
    engine.add(reading(0));
    clock.t = T0 + 2500;
    engine.add(reading(0));
    assert.deepEqual(spans(engine.takeClosed()), [[0, 1000, 1]]);
  });
});

describe('WindowEngine idle keys', () => {
  it('flushes and forgets a key after the idle timeout of processing time', () => {
    const { engine, clock } = engineAt({ size: 10_000, latenessMs: 30_000, idleMs: 60_000 });
    addAll(engine, [reading(T0 + 1000, 1, 'a'), reading(T0 + 2000, 1, 'b')]);
    clock.t = T0 + 30_000;
    engine.add(reading(T0 + 3000, 1, 'b'));
    clock.t = T0 + 59_999;
    assert.deepEqual(engine.advance(), []);
    clock.t = T0 + 60_000;
    const closed = engine.advance();
    assert.deepEqual(closed.map((c) => [c.key, c.closedBy, c.stats.count]), [['a/temp', 'idle', 1]]);
    assert.equal(engine.keyCount, 1);
    clock.t = T0 + 90_000;
    assert.deepEqual(engine.advance().map((c) => [c.key, c.stats.count]), [['b/temp', 2]]);
    assert.equal(engine.keyCount, 0);
  });

  it('defaults the idle timeout to 2 × size + lateness', () => {
    const { engine } = engineAt({ size: 10_000, latenessMs: 30_000 });
    assert.equal(engine.options.idleMs, 50_000);
  });
});

describe('WindowEngine key bound', () => {
  it('rejects readings of new keys beyond maxKeys and takes them again once room is freed', () => {
    const { engine } = engineAt({ maxKeys: 2 });
    addAll(engine, [reading(T0, 1, 'a'), reading(T0, 1, 'b')]);
    assert.equal(engine.atKeyLimit, true);
    const rejected = engine.add(reading(T0, 1, 'c'));
    assert.equal(rejected?.code, 'KEY_LIMIT');
    assert.match(rejected?.reason ?? '', /key limit 2 reached/);
    assert.equal(engine.add(reading(T0 + 1, 1, 'a')), undefined, 'known keys still flow');
    engine.reset('b/temp');
    assert.equal(engine.add(reading(T0, 1, 'c')), undefined);
    assert.equal(engine.keyCount, 2);
  });
});

describe('WindowEngine flush, reset and input checks', () => {
  it('flush(key) emits one key, flush() all, and watermarks survive a flush', () => {
    const { engine } = engineAt({ size: 10_000, latenessMs: 0 });
    addAll(engine, [reading(T0 + 5000, 1, 'a'), reading(T0 + 5000, 2, 'b')]);
    const one = engine.flush('a/temp');
    assert.deepEqual(one.map((c) => [c.key, c.closedBy]), [['a/temp', 'flush']]);
    assert.deepEqual(engine.flush('unknown/key'), []);
    assert.deepEqual(engine.flush().map((c) => c.key), ['b/temp']);
    assert.deepEqual(engine.flush(), []);
    assert.equal(engine.add(reading(T0, 1, 'a'))?.code, 'LATE');
  });

  it('reset drops open windows without emitting them', () => {
    const { engine } = engineAt({ size: 10_000 });
    addAll(engine, [reading(T0, 1, 'a'), reading(T0, 2, 'b')]);
    engine.reset('a/temp');
    assert.deepEqual(engine.flush().map((c) => c.key), ['b/temp']);
    engine.reset();
    assert.equal(engine.keyCount, 0);
    assert.deepEqual(engine.flush(), []);
  });

  it('skips readings of bad quality', () => {
    const { engine } = engineAt({});
    assert.equal(engine.add({ ...reading(T0), quality: 'bad' })?.code, 'BAD_QUALITY');
    assert.equal(engine.add({ ...reading(T0), quality: 'uncertain' }), undefined);
    assert.equal(engine.keyCount, 1);
  });

  it('keys by asset with sensor "*", or by topic', () => {
    const byAsset = engineAt({ keyBy: 'asset', size: 1000 }).engine;
    byAsset.add(reading(T0, 1, 'p', 'x'));
    byAsset.add(reading(T0, 3, 'p', 'y'));
    const [asset] = byAsset.flush();
    assert.deepEqual([asset.key, asset.stats.asset, asset.stats.sensor, asset.stats.count], ['p', 'p', '*', 2]);

    const byTopic = engineAt({ keyBy: 'topic', size: 1000 }).engine;
    byTopic.add(reading(T0, 1, 'p', 'x'), 'line-1/temps');
    byTopic.add(reading(T0, 1, 'q', 'y'), 'line-1/temps');
    byTopic.add(reading(T0, 1, 'q', 'y'));
    const closed = byTopic.flush();
    assert.deepEqual(closed.map((c) => [c.key, c.stats.asset, c.stats.sensor, c.stats.count]), [
      ['line-1/temps', 'line-1', 'temps', 2],
      ['q/y', 'q', 'y', 1],
    ]);
  });

  it('rejects invalid options with INVALID_CONFIG', () => {
    assert.throws(() => new WindowEngine({ size: -1 }), { code: 'INVALID_CONFIG' });
    assert.throws(() => new WindowEngine({ window: 'sliding', size: 1000, hop: 2000 }), { code: 'INVALID_CONFIG' });
    assert.throws(() => new WindowEngine({ window: 'count', size: 2.5 }), { code: 'INVALID_CONFIG' });
    assert.throws(() => new WindowEngine({ maxKeys: 0 }), { code: 'INVALID_CONFIG' });
    assert.throws(() => new WindowEngine({ keyBy: 'sensor' as never }), { code: 'INVALID_CONFIG' });
  });
});

describe('WindowEngine bounded memory', () => {
  it('keeps exact moments and estimated quantiles once a window exceeds the quantile cap', () => {
    const { engine } = engineAt({ size: 1_000_000, quantileCap: 200 });
    for (let i = 0; i < 20_000; i++) engine.add(reading(T0 + i, i % 1000));
    const [window] = engine.flush();
    assert.equal(window.stats.count, 20_000);
    assert.ok(Math.abs(window.stats.mean - 499.5) < 1e-9);
    assert.equal(window.stats.min, 0);
    assert.ok(Math.abs(window.stats.median - 500) < 100, `median estimate ${window.stats.median}`);
  });
});
