import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fft } from '../../../nodes/lib/vibration/fft';

/** Bins 0..n/2 of the DFT of x by the defining sum. */
function directDft(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n + 2);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      const phase = (-2 * Math.PI * k * t) / n;
      re += x[t] * Math.cos(phase);
      im += x[t] * Math.sin(phase);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

describe('real FFT', () => {
  for (const n of [4, 8, 64, 512]) {
    it(`matches the direct DFT for ${n} points`, () => {
      let seed = n;
      const x = Float64Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648 - 0.5;
      });
      const expected = directDft(x);
      const offset = 3;
      const out = new Float64Array(offset + n + 2);
      new Fft(n).forwardReal(x, out, offset);
      for (let i = 0; i < n + 2; i++) assert.ok(Math.abs(out[offset + i] - expected[i]) < 1e-9 * n, `value ${i}: ${out[offset + i]} vs ${expected[i]}`);
      const power = new Float64Array(n / 2 + 1).fill(1);
      new Fft(n).forwardReal(x, out, 0, power);
      for (let k = 0; k <= n / 2; k++) {
        const expectedPower = 1 + expected[2 * k] ** 2 + expected[2 * k + 1] ** 2;
        assert.ok(Math.abs(power[k] - expectedPower) < 1e-9 * n * n, `power ${k}: ${power[k]} vs ${expectedPower}`);
      }
    });
  }

  it('rejects sizes that are not powers of two', () => {
    assert.throws(() => new Fft(12), RangeError);
  });
});
