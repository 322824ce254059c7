import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { optionsFromConfig, outputModeOf } from '../../../nodes/lib/stats/config';
import { windowMessages } from '../../../nodes/lib/stats/messages';
import { normalizeWindowOptions } from '../../../nodes/lib/stats/options';
import { WindowEngine } from '../../../nodes/lib/stats/window-engine';

describe('window-stats editor config', () => {
  it('turns seconds into milliseconds and blank fields into defaults', () => {
    const options = normalizeWindowOptions(
      optionsFromConfig({ window: 'sliding', size: '60', hop: '15', lateness: '2.5', idleTimeout: '', maxKeys: '500' }),
    );
    assert.deepEqual(
      [options.window, options.size, options.hop, options.latenessMs, options.idleMs, options.maxKeys, options.quantileCap],
      ['sliding', 60_000, 15_000, 2500, 122_500, 500, 10_000],
    );
  });

  it('takes count sizes in readings and leaves a blank hop equal to the size', () => {
    const options = normalizeWindowOptions(optionsFromConfig({ window: 'count', size: '60', countSize: '50', countHop: '' }));
    assert.deepEqual([options.size, options.hop, options.idleMs], [50, 50, 300_000]);
  });

  it('lets bad numbers fail in the engine', () => {
    assert.throws(() => new WindowEngine(optionsFromConfig({ size: 'ten' })), { code: 'INVALID_CONFIG' });
  });

  it('defaults to one message per window', () => {
    assert.equal(outputModeOf({}), 'window');
    assert.equal(outputModeOf({ output: 'batch' }), 'batch');
  });
});

describe('windowMessages', () => {
  const engine = new WindowEngine({ size: 1000, latenessMs: 0 }, () => 0);
  engine.add({ asset: 'a', sensor: 's', value: 1, ts: 0 });
  engine.add({ asset: 'b', sensor: 's', value: 2, ts: 0 });
  engine.add({ asset: 'a', sensor: 's', value: 3, ts: 1000 });
  const closed = [...engine.takeClosed(), ...engine.flush()];
  let ids = 0;
  const newId = (): string => `id-${++ids}`;

  it('makes one message per window with the key as topic', () => {
    const msgs = windowMessages(closed, engine.options, 'window', newId);
    assert.deepEqual(msgs.map((m) => [m.topic, m.stats.closedBy]), [['a/s', 'watermark'], ['a/s', 'flush'], ['b/s', 'flush']]);
    assert.equal(new Set(msgs.map((m) => m._msgid)).size, 3);
    assert.deepEqual(msgs[0].stats, { window: 'tumbling', size: 1000, hop: 1000, closedBy: 'watermark' });
  });

  it('groups windows by close reason in batch mode', () => {
    const msgs = windowMessages(closed, engine.options, 'batch', newId);
    assert.deepEqual(msgs.map((m) => [m.stats.closedBy, (m.payload as unknown[]).length]), [['watermark', 1], ['flush', 2]]);
    assert.equal(msgs[0].topic, undefined);
  });
});
