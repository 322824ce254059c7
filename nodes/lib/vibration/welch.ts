import { Fft } from './fft';
import { hann, SpectrumView } from './spectrum-view';

/**
 * Welch's method with a Hann window and 50 % overlap, on preallocated buffers for one segment
 * size. Each segment's half spectrum is kept (in a buffer that grows to the largest waveform
 * seen) so the envelope analysis can band-pass the same segments without transforming again.
 */
export class WelchWorkspace {
  readonly fft: Fft;
  readonly window: Float64Array;
  readonly spectrum: SpectrumView;
  private readonly segment: Float64Array;
  private stored = new Float64Array(0);
  segments = 0;

  constructor(readonly size: number) {
    this.fft = new Fft(size);
    this.window = hann(size);
    this.spectrum = new SpectrumView(size, this.window);
    this.segment = new Float64Array(size);
  }

  /** Number of half-overlapping segments of this size in n samples. */
  segmentCount(n: number): number {
    return n < this.size ? 0 : Math.floor((n - this.size) / (this.size / 2)) + 1;
  }

  /** Averaged spectrum of x (minus `offset`, its mean) sampled at sampleRate. */
  run(x: ArrayLike<number>, offset: number, sampleRate: number): SpectrumView {
    const n = this.size;
    const half = n / 2;
    const count = this.segmentCount(x.length);
    const stride = n + 2;
    if (this.stored.length < count * stride) this.stored = new Float64Array(count * stride);
    const { window, segment, stored } = this;
    const power = this.spectrum.power;
    power.fill(0);
    for (let s = 0; s < count; s++) {
      const start = s * half;
      for (let i = 0; i < n; i++) segment[i] = (x[start + i] - offset) * window[i];
      const base = s * stride;
      this.fft.forwardReal(segment, stored, base, power);
    }
    this.segments = count;
    this.spectrum.finish(count, sampleRate / n);
    return this.spectrum;
  }

  /** The kept half spectra of the last run: segment s holds interleaved (re, im) bins 0..size/2 from s·(size + 2). */
  get segmentSpectra(): Float64Array {
    return this.stored;
  }
}
