import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { addPower, Fft, fftBackend, loadFft } from '../../../nodes/lib/vibration/fft';

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

function noise(length: number, seed: number): Float64Array {
  return Float64Array.from({ length }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  });
}

/** x through the real plan in place, its packed output read back as bins 0..n/2 in (re, im) pairs. */
function forwardReal(fft: Fft, x: Float64Array): Float64Array {
  const plan = fft.real();
  plan.buffer.set(x, plan.inputAt);
  plan.forward();
  const n = fft.size;
  const packed = plan.buffer.subarray(plan.outputAt, plan.outputAt + n);
  const out = new Float64Array(n + 2);
  out[0] = packed[0];
  out[n] = packed[1];
  for (let i = 2; i < n; i++) out[i] = packed[i];
  return out;
}

/** PFFFT runs in float32: errors scale with the spectrum's size, √n·rms(x) ≈ √n / 3.5 for this noise. */
function tolerance(n: number): number {
  return fftBackend(n, 'real') === 'pffft' ? 1e-5 * Math.sqrt(n) : 1e-9 * n;
}

describe('real FFT', () => {
  before(async () => {
    assert.equal(await loadFft(), 'pffft');
  });

  const cases: Array<[number, 'pffft' | 'fft.js']> = [[4, 'fft.js'], [16, 'fft.js'], [32, 'pffft'], [64, 'pffft'], [512, 'pffft'], [4096, 'pffft']];
  for (const [n, backend] of cases) {
    it(`matches the direct DFT for ${n} points (${backend})`, () => {
      assert.equal(fftBackend(n, 'real'), backend);
      const x = noise(n, n);
      const expected = directDft(x);
      const fft = new Fft(n);
      const out = forwardReal(fft, x);
      const limit = tolerance(n);
      for (let i = 0; i < n + 2; i++) assert.ok(Math.abs(out[i] - expected[i]) < limit, `value ${i}: ${out[i]} vs ${expected[i]}`);
      const power = new Float64Array(n / 2 + 1).fill(1);
      addPower(fft.real(), power);
      for (let k = 0; k <= n / 2; k++) {
        const expectedPower = 1 + expected[2 * k] ** 2 + expected[2 * k + 1] ** 2;
        const magnitude = Math.hypot(expected[2 * k], expected[2 * k + 1]);
        assert.ok(Math.abs(power[k] - expectedPower) < 3 * limit * (magnitude + limit), `power ${k}: ${power[k]} vs ${expectedPower}`);
      }
    });
  }

  for (const [n, backend] of [[8, 'fft.js'], [16, 'pffft'], [256, 'pffft']] as const) {
    it(`inverts a complex spectrum of ${n} points back to the signal (${backend})`, () => {
      assert.equal(fftBackend(n, 'complex'), backend);
      // The complex signal x(t) = a(t) + i·b(t) and its spectrum by the defining sum.
      const signal = noise(2 * n, 7 * n);
      const spectrum = new Float64Array(2 * n);
      for (let k = 0; k < n; k++) {
        for (let t = 0; t < n; t++) {
          const phase = (-2 * Math.PI * k * t) / n;
          const c = Math.cos(phase);
          const s = Math.sin(phase);
          spectrum[2 * k] += signal[2 * t] * c - signal[2 * t + 1] * s;
          spectrum[2 * k + 1] += signal[2 * t] * s + signal[2 * t + 1] * c;
        }
      }
      const plan = new Fft(n).complex();
      plan.buffer.set(spectrum, plan.inputAt);
      plan.inverse();
      // Unscaled: the plan's output is n times the signal.
      const back = Float64Array.from(plan.buffer.subarray(plan.outputAt, plan.outputAt + 2 * n), (v) => v / n);
      const limit = backend === 'pffft' ? 1e-5 : 1e-12;
      for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(back[i] - signal[i]) < limit, `value ${i}: ${back[i]} vs ${signal[i]}`);
    });
  }

  it('rejects sizes that are not powers of two', () => {
    assert.throws(() => new Fft(12), RangeError);
    assert.throws(() => new Fft(2), RangeError);
  });
});
