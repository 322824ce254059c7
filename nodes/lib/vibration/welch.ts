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
  private stored = new Float64Array(0);
  segments = 0;

  constructor(readonly size: number) {
    this.fft = new Fft(size);
    this.window = hann(size);
    this.spectrum = new SpectrumView(size, this.window);
  }

  /** Number of half-overlapping segments of this size in n samples. */
  segmentCount(n: number): number {
    return n < this.size ? 0 : Math.floor((n - this.size) / (this.size / 2)) + 1;
  }

  /**
   * Averaged spectrum of x (minus `offset`, its mean) sampled at sampleRate. Each segment is
   * windowed straight into the transform's input, and its bins read straight from the output.
   */
  run(x: Float32Array | Float64Array, offset: number, sampleRate: number): SpectrumView {
    const n = this.size;
    const half = n / 2;
    const count = this.segmentCount(x.length);
    if (this.stored.length < count * n) this.stored = new Float64Array(count * n);
    const { window, stored } = this;
    const power = this.spectrum.power;
    power.fill(0);
    const plan = this.fft.real();
    const { buffer, inputAt, outputAt } = plan;
    for (let s = 0; s < count; s++) {
      const start = s * half;
      for (let i = 0; i < n; i++) buffer[inputAt + i] = (x[start + i] - offset) * window[i];
      plan.forward();
      const base = s * n;
      const dc = buffer[outputAt];
      const nyquist = buffer[outputAt + 1];
      stored[base] = dc;
      stored[base + 1] = nyquist;
      power[0] += dc * dc;
      power[half] += nyquist * nyquist;
      for (let k = 1; k < half; k++) {
        const re = buffer[outputAt + 2 * k];
        const im = buffer[outputAt + 2 * k + 1];
        stored[base + 2 * k] = re;
        stored[base + 2 * k + 1] = im;
        power[k] += re * re + im * im;
      }
    }
    this.segments = count;
    this.spectrum.finish(count, sampleRate / n);
    return this.spectrum;
  }

  /**
   * The kept spectra of the last run, packed as RealTransform's output: segment s starts at
   * s·size, and holds bin k (1 ≤ k < size/2) as (re, im) at s·size + 2k.
   */
  get segmentSpectra(): Float64Array {
    return this.stored;
  }
}
