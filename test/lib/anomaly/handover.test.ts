import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnomalyDetector } from '../../../nodes/lib/anomaly/detector';
import {
  assetOf, exportAsset, importSnapshot, isSnapshotPayload, parseSnapshot, SNAPSHOT_TYPE, type BaselineSnapshot,
} from '../../../nodes/lib/anomaly/handover';
import type { DetectorName } from '../../../nodes/lib/anomaly/options';
import { PdmError } from '../../../nodes/lib/errors';
import { detectorWith, noise } from './signals';

const EVERY: DetectorName[] = ['zscore', 'ewma', 'robust', 'iqr', 'limits', 'rate', 'cusum', 'ewmaChart', 'nelson'];
const SENSOR = { detectors: EVERY, min: -10, max: 10, rateLimit: 50, window: 40 };

/** Feeds `values` to asset/sensor from second `from` on; returns the scores. */
function feed(detector: AnomalyDetector, asset: string, sensor: string, values: number[], from: number): number[] {
  return values.map((v, i) => detector.process(asset, sensor, v, (from + i) * 1000).score);
}

/** A snapshot as it comes back from a state topic: through JSON. */
function overTheWire(snapshot: BaselineSnapshot | undefined): unknown {
  assert.ok(snapshot, 'a snapshot');
  return JSON.parse(JSON.stringify(snapshot));
}

describe('baseline hand-over snapshots', () => {
  it('a restored asset scores exactly like one that never moved', () => {
    const moved = detectorWith(SENSOR);
    const stayed = detectorWith(SENSOR);
    for (const d of [moved, stayed]) {
      feed(d, 'pump-1', 'temp', noise(300, 1), 0);
      feed(d, 'pump-1', 'vib', noise(300, 2, 3, 0.5), 0);
    }
    const snapshot = exportAsset(moved, 'pump-1', 'node-a', 1234);
    assert.deepEqual(Object.keys(snapshot?.keys ?? {}).sort(), ['pump-1/temp', 'pump-1/vib']);
    assert.equal(moved.keyCount, 0, 'the old owner forgets the asset');

    const next = detectorWith(SENSOR);
    const result = importSnapshot(next, parseSnapshot(overTheWire(snapshot)));
    assert.deepEqual(result.restored.sort(), ['pump-1/temp', 'pump-1/vib']);
    assert.equal(result.kept, 0);

    const later = noise(100, 3).map((x, i) => (i === 40 ? x + 7 : x));
    const expected = feed(stayed, 'pump-1', 'temp', later, 300);
    const actual = feed(next, 'pump-1', 'temp', later, 300);
    actual.forEach((score, i) => assert.ok(Math.abs(score - expected[i]) < 1e-9, `reading ${i}: ${score} vs ${expected[i]}`));
    assert.ok(actual[0] < 1 && actual[40] >= 1, 'normal at once, the jump flagged without a warm-up');
    assert.equal(next.warmingCount, 0);
  });

  it('exports only the asset named and nothing for an unknown one', () => {
    const d = detectorWith(SENSOR);
    feed(d, 'pump-1', 'temp', noise(30, 1), 0);
    feed(d, 'pump-10', 'temp', noise(30, 2), 0);
    assert.deepEqual(Object.keys(exportAsset(d, 'pump-1', 'n', 0)?.keys ?? {}), ['pump-1/temp']);
    assert.equal(d.keyCount, 1, 'pump-10 stays');
    assert.equal(exportAsset(d, 'pump-1', 'n', 0), undefined, 'already handed over');
    assert.equal(assetOf('pump-10/temp/rms'), 'pump-10');
    assert.equal(assetOf('pump-10'), 'pump-10');
  });

  it('hands over keys restored from context that were not seen yet, and saves no released key', () => {
    const source = detectorWith(SENSOR);
    feed(source, 'pump-1', 'temp', noise(60, 1), 0);
    const stored: Record<string, unknown> = {};
    source.persist(stored);
    const restarted = detectorWith(SENSOR);
    restarted.restore(stored);
    assert.deepEqual(Object.keys(exportAsset(restarted, 'pump-1', 'n', 0)?.keys ?? {}), ['pump-1/temp']);

    feed(source, 'pump-1', 'temp', [0.5], 60);
    exportAsset(source, 'pump-1', 'n', 0);
    const after: Record<string, unknown> = {};
    source.persist(after);
    assert.deepEqual(after, {}, 'the released key is not saved');
  });

  it('keeps a key that has learned more, later, and replaces one that only began warming up', () => {
    const old = detectorWith(SENSOR);
    feed(old, 'pump-1', 'temp', noise(100, 1), 0);
    const snapshot = parseSnapshot(overTheWire(exportAsset(old, 'pump-1', 'n', 0)));

    const ahead = detectorWith(SENSOR);
    feed(ahead, 'pump-1', 'temp', noise(200, 2), 0);
    assert.deepEqual(importSnapshot(ahead, snapshot), { restored: [], kept: 1 });

    const fresh = detectorWith(SENSOR);
    feed(fresh, 'pump-1', 'temp', noise(3, 3), 100);
    assert.equal(fresh.warmingCount, 1);
    assert.deepEqual(importSnapshot(fresh, snapshot), { restored: ['pump-1/temp'], kept: 0 });
    assert.equal(fresh.keyCount, 0);
    assert.equal(fresh.warmingCount, 0);
    assert.ok(fresh.process('pump-1', 'temp', 0, 103_000).warmingUp === false, 'warm from the snapshot');
  });

  it('rejects snapshots of the wrong shape or version with the reason', () => {
    const d = detectorWith(SENSOR);
    feed(d, 'pump-1', 'temp', noise(30, 1), 0);
    const good = overTheWire(exportAsset(d, 'pump-1', 'n', 0)) as Record<string, unknown>;
    const state = (good.keys as Record<string, unknown>)['pump-1/temp'];
    const cases: Array<[unknown, RegExp]> = [
      [null, /expected an object/],
      [[good], /expected an object/],
      [{ ...good, type: 'other' }, /type must be "anomaly-baseline"/],
      [{ ...good, version: 2 }, /version 2 is not supported/],
      [{ ...good, asset: '' }, /asset must be a non-empty string/],
      [{ ...good, node: 5 }, /node must be a string/],
      [{ ...good, savedAt: 'now' }, /savedAt must be a number/],
      [{ ...good, keys: [] }, /keys must be an object/],
      [{ ...good, keys: { 'pump-2/temp': state } }, /"pump-2\/temp" does not belong to asset "pump-1"/],
      [{ ...good, keys: { 'pump-1/temp': { b: { w: ['x'] } } } }, /state of "pump-1\/temp" is not a baseline/],
      [{ ...good, keys: { 'pump-1/temp': { ...(state as object), d: [0, 0, 0] } } }, /is not a baseline/],
    ];
    for (const [value, reason] of cases) {
      assert.throws(() => parseSnapshot(value), (err: unknown) => err instanceof PdmError && err.code === 'INVALID_PAYLOAD' && reason.test(err.message));
    }
    assert.equal(parseSnapshot(good).asset, 'pump-1');
  });

  it('tells snapshot payloads from readings', () => {
    assert.ok(isSnapshotPayload({ type: SNAPSHOT_TYPE }));
    assert.ok(isSnapshotPayload([{ type: SNAPSHOT_TYPE }, {}]));
    assert.ok(!isSnapshotPayload({ asset: 'a', sensor: 's', value: 1 }));
    assert.ok(!isSnapshotPayload([]));
    assert.ok(!isSnapshotPayload(5));
  });
});
