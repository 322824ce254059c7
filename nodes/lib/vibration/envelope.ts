import { addPower, Fft, nextPowerOfTwo } from './fft';
import { hann, heaviestRun, SpectrumView } from './spectrum-view';
import type { WelchWorkspace } from './welch';

/**
 * Envelope spectrum (the demodulation that shows bearing impacts): each Welch segment's spectrum
 * is band-passed, shifted to baseband and inverse-transformed at a reduced size — the Hilbert
 * envelope via FFT, decimated — then the envelope's own spectrum is averaged over segments.
 * The resolution stays that of the segments (sampleRate / segment size).
 */
export class EnvelopeAnalyzer {
  private readonly workspaces = new Map<number, EnvelopeWorkspace>();
  private lastWhole: SpectrumView | undefined;

  /**
   * The squared-envelope spectrum of the last run over the whole waveform, unaveraged: the
   * segments' band signals overlap-added (their Hann windows sum to one) give the band signal
   * of the whole waveform, whose envelope resolves the slow lines (cage) that a segment cannot.
   * Squaring lifts sparse impacts further above the band's noise than the magnitude does;
   * the lines are scaled back to the signal's unit (exact for shallow modulation).
   */
  get wholeWindow(): SpectrumView {
    if (!this.lastWhole) throw new Error('no envelope has been computed yet');
    return this.lastWhole;
  }

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
    this.lastWhole = ws.run(welch, from, to, binHz, sampleRate);
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
  private readonly envelope: Float64Array;
  private readonly wholes = new Map<number, WholeEnvelope>();

  constructor(private readonly segmentSize: number, private readonly size: number) {
    this.fft = new Fft(size);
    this.window = hann(size);
    this.windowSum = this.window.reduce((a, b) => a + b, 0);
    this.spectrum = new SpectrumView(size, this.window);
    this.envelope = new Float64Array(size);
  }

  /** Fills `spectrum` (averaged over segments) and returns the whole-waveform envelope spectrum. */
  run(welch: WelchWorkspace, from: number, to: number, binHz: number, sampleRate: number): SpectrumView {
    const { size, envelope, window } = this;
    const whole = this.whole(welch.segments);
    whole.band.fill(0);
    const centre = (from + to) >> 1;
    const spectra = welch.segmentSpectra;
    const stride = this.segmentSize;
    // The segment's own inverse would divide by the segment size, and the analytic signal
    // doubles the positive frequencies (the inverse transform here does not scale).
    const scale = 2 / this.segmentSize;
    const power = this.spectrum.power;
    power.fill(0);
    const inverse = this.fft.complex();
    const forward = this.fft.real();
    // Both plans are made: the module's memory no longer moves.
    const band = inverse.buffer;
    const input = forward.buffer;
    const { inputAt: bandAt, outputAt: analyticAt } = inverse;
    const envelopeAt = forward.inputAt;
    for (let s = 0; s < welch.segments; s++) {
      band.fill(0, bandAt, bandAt + 2 * size);
      const base = s * stride;
      for (let k = from; k <= to; k++) {
        const slot = (k - centre + size) % size;
        band[bandAt + 2 * slot] = spectra[base + 2 * k] * scale;
        band[bandAt + 2 * slot + 1] = spectra[base + 2 * k + 1] * scale;
      }
      inverse.inverse();
      // Segment s starts s·segmentSize/2 samples in: the shift to baseband turned its phase by π·centre·s.
      whole.add(band, analyticAt, (s * size) / 2, (centre * s) % 2 === 0 ? 1 : -1);
      let sum = 0;
      for (let i = 0; i < size; i++) {
        const re = band[analyticAt + 2 * i];
        const im = band[analyticAt + 2 * i + 1];
        const e = Math.sqrt(re * re + im * im);
        envelope[i] = e;
        sum += e;
      }
      // The envelope carries the segment's window; take its mean out in the window's shape.
      const mean = sum / this.windowSum;
      for (let i = 0; i < size; i++) input[envelopeAt + i] = envelope[i] - mean * window[i];
      forward.forward();
      addPower(forward, power);
    }
    this.spectrum.finish(welch.segments, binHz);
    whole.finish((sampleRate * size) / this.segmentSize);
    return whole.spectrum;
  }

  private whole(segments: number): WholeEnvelope {
    let whole = this.wholes.get(segments);
    if (!whole) {
      whole = new WholeEnvelope(this.size, this.window, segments);
      this.wholes.set(segments, whole);
    }
    return whole;
  }
}

/** The band signal of `segments` half-overlapping segments of `size` decimated samples, overlap-added, and its squared-envelope spectrum. */
class WholeEnvelope {
  /** Interleaved (re, im) band signal. */
  readonly band: Float64Array;
  readonly spectrum: SpectrumView;
  private readonly length: number;
  private readonly segmentValues: number;
  /**
   * Square of the sum of the segments' windows (that sum is flat inside, a half window at
   * either end): the shape the squared envelope carries.
   */
  private readonly taper: Float64Array;
  private readonly taperSum: number;
  /** Sum of the unsquared taper, which the envelope's magnitude carries. */
  private readonly magnitudeTaperSum: number;
  private readonly fft: Fft;
  private readonly envelope: Float64Array;

  constructor(size: number, window: Float64Array, segments: number) {
    this.length = ((segments + 1) * size) / 2;
    this.segmentValues = 2 * size;
    const fftSize = nextPowerOfTwo(this.length);
    this.band = new Float64Array(2 * this.length);
    this.taper = new Float64Array(fftSize);
    for (let s = 0; s < segments; s++) for (let i = 0; i < size; i++) this.taper[(s * size) / 2 + i] += window[i];
    this.magnitudeTaperSum = this.taper.reduce((a, b) => a + b, 0);
    for (let i = 0; i < fftSize; i++) this.taper[i] *= this.taper[i];
    this.taperSum = this.taper.reduce((a, b) => a + b, 0);
    this.fft = new Fft(fftSize);
    this.spectrum = new SpectrumView(fftSize, this.taper);
    this.envelope = new Float64Array(this.length);
  }

  /** Adds sign × a segment's interleaved band signal (source[at ..]) starting at complex sample `start`. */
  add(source: Float32Array | Float64Array, at: number, start: number, sign: number): void {
    const band = this.band;
    const offset = 2 * start;
    for (let i = 0; i < this.segmentValues; i++) band[offset + i] += sign * source[at + i];
  }

  finish(sampleRate: number): void {
    const { band, envelope, taper, length } = this;
    let sum = 0;
    let magnitudeSum = 0;
    for (let i = 0; i < length; i++) {
      const e = band[2 * i] * band[2 * i] + band[2 * i + 1] * band[2 * i + 1];
      envelope[i] = e;
      sum += e;
      magnitudeSum += Math.sqrt(e);
    }
    const mean = sum / this.taperSum;
    // |A(1 + m·cos)|² has the line 2A²·m where |A(1 + m·cos)| has A·m: divide by 2A, A the mean magnitude.
    const scale = magnitudeSum > 0 ? this.magnitudeTaperSum / (2 * magnitudeSum) : 0;
    const plan = this.fft.real();
    const { buffer, inputAt } = plan;
    for (let i = 0; i < length; i++) buffer[inputAt + i] = (envelope[i] - mean * taper[i]) * scale;
    buffer.fill(0, inputAt + length, inputAt + plan.size);
    const power = this.spectrum.power;
    power.fill(0);
    plan.forward();
    addPower(plan, power);
    this.spectrum.finish(1, sampleRate / plan.size);
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
  const bestStart = heaviestRun(spectrum.power, from, to, span);
  return [bestStart * spectrum.binHz, (bestStart + span - 1) * spectrum.binHz];
}
