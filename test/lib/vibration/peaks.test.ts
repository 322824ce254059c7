import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeakFinder } from '../../../nodes/lib/vibration/peaks';
import { hann, SpectrumView } from '../../../nodes/lib/vibration/spectrum-view';

/** A 1 Hz-per-bin spectrum of unit-power bins with lines of power 100 on every second bin. */
function denseComb(): SpectrumView {
  const view = new SpectrumView(512, hann(512));
  view.power.fill(1);
  for (let k = 2; k < view.bins; k += 2) view.power[k] = 100;
  view.finish(1, 1);
  return view;
}

describe('peak floor', () => {
  it('is raised to the lines themselves by a dense comb around them', () => {
    const peak = new PeakFinder().find(denseComb(), 8, 0.02);
    assert.ok(peak && Math.abs(peak.prominenceDb) < 1, JSON.stringify(peak));
  });

  it('leaves the comb\'s harmonics out when told its spacing', () => {
    const peak = new PeakFinder().find(denseComb(), 8, 0.02, 2);
    assert.ok(peak);
    assert.equal(peak.hz, 8);
    assert.ok(Math.abs(peak.prominenceDb - 20) < 0.01, JSON.stringify(peak));
  });
});
