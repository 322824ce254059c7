/**
 * An averaged one-sided spectrum (Welch: Hann-windowed segments, power averaged over segments)
 * with the scale factors that turn its bins into physical quantities. Buffers are reused from
 * waveform to waveform; a view's contents are valid until its owner computes the next one.
 */
export class SpectrumView {
  /** Averaged |X(k)|² for bins 0..fftSize/2. */
  readonly power: Float64Array;
  /** Amplitude (0-to-peak) of a sine centred on bin k, in the signal's unit. */
  readonly amplitude: Float64Array;
  /** Mean-square contribution of one bin's power: Σ power·meanSquareFactor over a band = band mean square. */
  readonly meanSquareFactor: number;
  private readonly amplitudeFactor: number;
  binHz = 0;

  constructor(readonly fftSize: number, window: Float64Array) {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < window.length; i++) {
      sum += window[i];
      sumSq += window[i] * window[i];
    }
    this.power = new Float64Array(fftSize / 2 + 1);
    this.amplitude = new Float64Array(fftSize / 2 + 1);
    this.meanSquareFactor = 2 / (fftSize * sumSq);
    this.amplitudeFactor = 2 / sum;
  }

  get bins(): number {
    return this.power.length;
  }

  /** Divides accumulated power by the segment count and fills the amplitudes. */
  finish(segments: number, binHz: number): void {
    this.binHz = binHz;
    const inverse = segments > 0 ? 1 / segments : 0;
    for (let k = 0; k < this.power.length; k++) {
      this.power[k] *= inverse;
      this.amplitude[k] = Math.sqrt(this.power[k]) * this.amplitudeFactor;
    }
    this.amplitude[0] /= 2;
  }

  /** Mean square (unit²) of the bins whose centre lies in [lowHz, highHz]. */
  bandMeanSquare(lowHz: number, highHz: number): number {
    const [from, to] = this.binRange(lowHz, highHz);
    let total = 0;
    for (let k = from; k <= to; k++) total += this.power[k];
    return total * this.meanSquareFactor;
  }

  /**
   * Amplitude (0-to-peak) of a sine whose largest bin is k, from the power of its main lobe
   * (k ± 2 bins for Hann): unlike the bin value, it does not drop when the sine falls between bins.
   */
  lobeAmplitude(k: number): number {
    let total = 0;
    const from = Math.max(1, k - 2);
    const to = Math.min(this.power.length - 1, k + 2);
    for (let i = from; i <= to; i++) total += this.power[i];
    return Math.sqrt(2 * total * this.meanSquareFactor);
  }

  /** First and last bin (inclusive) with centres in [lowHz, highHz], clamped to the spectrum; from > to when empty. */
  binRange(lowHz: number, highHz: number): [number, number] {
    const from = Math.max(0, Math.ceil(lowHz / this.binHz - 1e-9));
    const to = Math.min(this.power.length - 1, Math.floor(highHz / this.binHz + 1e-9));
    return [from, to];
  }
}

/** Periodic Hann window (the spectral-analysis form). */
export function hann(size: number): Float64Array {
  const w = new Float64Array(size);
  for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
  return w;
}

/** Start of the `span` consecutive values from values[from] on, ending by values[to], with the largest sum. */
export function heaviestRun(values: Float64Array, from: number, to: number, span: number): number {
  let sum = 0;
  for (let k = from; k < from + span; k++) sum += values[k];
  let best = sum;
  let bestStart = from;
  for (let start = from + 1; start + span - 1 <= to; start++) {
    sum += values[start + span - 1] - values[start - 1];
    if (sum > best) {
      best = sum;
      bestStart = start;
    }
  }
  return bestStart;
}
