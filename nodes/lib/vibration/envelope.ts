import { Fft, nextPowerOfTwo } from './fft';
import { hann, SpectrumView } from './spectrum-view';
import type { WelchWorkspace } from './welch';

/**
 * Envelope spectrum (the demodulation that shows bearing impacts): each Welch segment's spectrum
 * is band-passed, shifted to baseband and inverse-transformed at a reduced size — the Hilbert
 * envelope via FFT, decimated — then the envelope's own spectrum is averaged over segments.
 * The resolution stays that of the segments (sampleRate / segment size).
 */
export class EnvelopeAnalyzer {
  private readonly workspaces = new Map<number, EnvelopeWorkspace>();

  /**
   * @param maxEnvelopeHz highest envelope frequency that must be resolved (defect harmonics
   *   and their sidebands); the decimated rate is chosen to cover it and the band's width.
   */
  run(welch: WelchWorkspace, sampleRate: number, lowHz: number, highHz: number, maxEnvelopeHz: number): SpectrumView {
    const n = welch.size;
    const binHz = sampleRate / n;
    const from = Math.max(1, Math.ceil(lowHz / binHz));
    const to = Math.min(n / 2 - 1, Math.floor(highHz / binHz));
    const width = Math.max(1, to - from + 1);
    // The complex band signal needs `width` bins; the envelope lines up to maxEnvelopeHz need
    // twice their bin count. Envelope content above that folds back, which only lifts the floor.
    const m = Math.min(n, Math.max(16, nextPowerOfTwo(Math.max(width, 2 * Math.ceil(maxEnvelopeHz / binHz) + 2))));
    const ws = this.workspace(n, m);
    ws.run(welch, from, to, binHz);
    return ws.spectrum;
  }

  private workspace(n: number, m: number): EnvelopeWorkspace {
    const key = n * 1_000_003 + m;
    let ws = this.workspaces.get(key);
    if (!ws) {
      ws = new EnvelopeWorkspace(n, m);
      this.workspaces.set(key, ws);
    }
    return ws;
  }
}

class EnvelopeWorkspace {
  readonly spectrum: SpectrumView;
  private readonly fft: Fft;
  private readonly window: Float64Array;
  private readonly windowSum: number;
  private readonly baseband: Float64Array;
  private readonly analytic: Float64Array;
  private readonly envelope: Float64Array;
  private readonly transformed: Float64Array;

  constructor(private readonly segmentSize: number, private readonly size: number) {
    this.fft = new Fft(size);
    this.window = hann(size);
    this.windowSum = this.window.reduce((a, b) => a + b, 0);
    this.spectrum = new SpectrumView(size, this.window);
    this.baseband = new Float64Array(2 * size);
    this.analytic = new Float64Array(2 * size);
    this.envelope = new Float64Array(size);
    this.transformed = new Float64Array(2 * size);
  }

  run(welch: WelchWorkspace, from: number, to: number, binHz: number): void {
    const { size, baseband, analytic, envelope, window, transformed } = this;
    const centre = (from + to) >> 1;
    const spectra = welch.segmentSpectra;
    const stride = this.segmentSize + 2;
    // The inverse transform divides by `size`; the segment's own inverse would divide by the
    // segment size, and the analytic signal doubles the positive frequencies.
    const scale = (2 * size) / this.segmentSize;
    const power = this.spectrum.power;
    power.fill(0);
    for (let s = 0; s < welch.segments; s++) {
      baseband.fill(0);
      const base = s * stride;
      for (let k = from; k <= to; k++) {
        const slot = (k - centre + size) % size;
        baseband[2 * slot] = spectra[base + 2 * k] * scale;
        baseband[2 * slot + 1] = spectra[base + 2 * k + 1] * scale;
      }
      this.fft.inverseComplex(baseband, analytic);
      let sum = 0;
      for (let i = 0; i < size; i++) {
        const re = analytic[2 * i];
        const im = analytic[2 * i + 1];
        const e = Math.sqrt(re * re + im * im);
        envelope[i] = e;
        sum += e;
      }
      // The envelope carries the segment's window; take its mean out in the window's shape.
      const mean = sum / this.windowSum;
      for (let i = 0; i < size; i++) envelope[i] -= mean * window[i];
      this.fft.forwardReal(envelope, transformed);
      for (let k = 0; k < power.length; k++) {
        const re = transformed[2 * k];
        const im = transformed[2 * k + 1];
        power[k] += re * re + im * im;
      }
    }
    this.spectrum.finish(welch.segments, binHz);
  }
}

/**
 * The band of `widthHz` above `minHz` (and below 95 % of Nyquist) that holds the most energy
 * in the spectrum: the strongest high-frequency resonance, which bearing impacts excite.
 */
export function strongestBand(spectrum: SpectrumView, sampleRate: number, minHz: number, widthHz: number): [number, number] {
  const top = 0.95 * (sampleRate / 2);
  if (minHz + widthHz >= top) return [Math.max(0, top - widthHz), top];
  const [from, to] = spectrum.binRange(minHz, top);
  const span = Math.max(1, Math.round(widthHz / spectrum.binHz));
  const power = spectrum.power;
  let sum = 0;
  for (let k = from; k < from + span; k++) sum += power[k];
  let best = sum;
  let bestStart = from;
  for (let start = from + 1; start + span - 1 <= to; start++) {
    sum += power[start + span - 1] - power[start - 1];
    if (sum > best) {
      best = sum;
      bestStart = start;
    }
  }
  return [bestStart * spectrum.binHz, (bestStart + span - 1) * spectrum.binHz];
}
