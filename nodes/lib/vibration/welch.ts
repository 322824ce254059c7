import { addPower, Fft } from './fft';
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
  private stored = new Float32Array(0);
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
    if (this.stored.length < count * n) this.stored = new Float32Array(count * n);
    const { window, stored } = this;
    const power = this.spectrum.power;
    power.fill(0);
    const plan = this.fft.real();
    const { buffer, inputAt } = plan;
    for (let s = 0; s < count; s++) {
      const start = s * half;
      for (let i = 0; i < n; i++) buffer[inputAt + i] = (x[start + i] - offset) * window[i];
      plan.forward();
      stored.set(plan.output, s * n);
      addPower(plan, power);
    }
    this.segments = count;
    this.spectrum.finish(count, sampleRate / n);
    return this.spectrum;
  }

  /**
   * The kept spectra of the last run, packed as RealTransform's output (in float32, as PFFFT
   * gives them): segment s starts at s·size, and holds bin k (1 ≤ k < size/2) as (re, im) at s·size + 2k.
   */
  get segmentSpectra(): Float32Array {
    return this.stored;
  }
}
