import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mulberry32 } from '../../../nodes/lib/sim/waveform';
import { SpectralKurtosis } from '../../../nodes/lib/vibration/kurtosis';
import { loadFft } from '../../../nodes/lib/vibration/fft';

const fs = 12_800;

/** Gaussian noise (Box–Muller) of the given RMS from a seeded generator. */
function noise(n: number, rms: number, seed: number): Float64Array {
  const uniform = mulberry32(seed);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rms * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return x;
}

/** Adds decaying 4.5 kHz bursts, `rateHz` of them a second. */
function addImpacts(x: Float64Array, rateHz: number, amplitude: number): void {
  for (let t = 0.001; t < x.length / fs; t += 1 / rateHz) {
    const first = Math.ceil(t * fs);
    for (let k = first; k < Math.min(x.length, first + 200); k++) {
      const tau = k / fs - t;
      x[k] += amplitude * Math.exp(-600 * tau) * Math.sin(2 * Math.PI * 4500 * tau);
    }
  }
}

/** Adds a steady 2 kHz tone: strong, but not impulsive. */
function addTone(x: Float64Array, amplitude: number): void {
  for (let i = 0; i < x.length; i++) x[i] += amplitude * Math.sin((2 * Math.PI * 2000 * i) / fs);
}

before(() => loadFft());

describe('spectral kurtosis band', () => {
  it('chooses the band where impacts ring, not the one with the most energy', () => {
    const x = noise(fs, 0.05, 7);
    addImpacts(x, 107, 0.5);
    addTone(x, 2);
    const band = new SpectralKurtosis().bestBand(x, 0, fs, 500, 1000, 160);
    assert.ok(band, 'a band is found');
    const [low, high] = band;
    assert.ok(low <= 4500 && high >= 4500, `band ${low}–${high} Hz holds the 4.5 kHz resonance`);
    assert.ok(high - low <= 1000 + 1e-9);
  });

  it('finds no impulsive band in Gaussian noise with a tone', () => {
    const x = noise(fs, 0.05, 11);
    addTone(x, 2);
    assert.equal(new SpectralKurtosis().bestBand(x, 0, fs, 500, 1000, 160), undefined);
  });

  it('gives up when the band does not fit below Nyquist', () => {
    assert.equal(new SpectralKurtosis().bestBand(noise(fs, 1, 3), 0, fs, 5500, 1000, 160), undefined);
  });
});
