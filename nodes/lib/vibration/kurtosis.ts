import { Fft, previousPowerOfTwo } from './fft';
import { hann, heaviestRun } from './spectrum-view';

/** Fewest samples in a short window. */
const MIN_WINDOW = 64;
/**
 * Standard deviations over zero a band's mean SK must reach to count as impulsive: for Gaussian
 * noise the SK of one bin estimated from S spectra scatters with a standard deviation of 2/√S.
 */
const SIGNIFICANT_SIGMAS = 5;
/** Short-time spectra averaged: enough for SK to scatter by 2/√64 = 0.25 per bin, less over a band. */
const MAX_SPECTRA = 64;

/**
 * Spectral kurtosis (Antoni): per frequency, the kurtosis of the short-time Fourier transform's
 * magnitude over time, SK(f) = ⟨|X|⁴⟩ / ⟨|X|²⟩² − 2. Stationary noise gives 0, a steady tone −1;
 * repetitive impacts ringing a resonance make it large there. The band where it is highest is
 * where bearing impacts stand out of the other vibration, which is the band to demodulate.
 * Buffers are kept per short-window size.
 */
export class SpectralKurtosis {
  private readonly workspaces = new Map<number, KurtosisWorkspace>();

  /**
   * The band of `widthHz` from `minHz` up to 95 % of Nyquist with the highest mean spectral
   * kurtosis of x minus `offset` (its mean). Impacts stand out only in windows shorter than the
   * time between them: the short window spans at most one period of `fastestHz`, the highest
   * defect rate looked for. Undefined when no band is significantly impulsive.
   */
  bestBand(x: Float32Array | Float64Array, offset: number, sampleRate: number, minHz: number, widthHz: number, fastestHz: number): [number, number] | undefined {
    const top = 0.95 * (sampleRate / 2);
    if (minHz + widthHz >= top) return undefined;
    const size = Math.max(MIN_WINDOW, previousPowerOfTwo(Math.min(sampleRate / fastestHz, x.length / 4)));
    let ws = this.workspaces.get(size);
    if (!ws) {
      ws = new KurtosisWorkspace(size);
      this.workspaces.set(size, ws);
    }
    const sk = ws.run(x, offset);
    const spectra = ws.count;
    const binHz = sampleRate / size;
    const from = Math.max(1, Math.ceil(minHz / binHz));
    const to = Math.floor(top / binHz);
    const span = Math.max(1, Math.round(widthHz / binHz));
    if (from + span - 1 > to) return undefined;
    const bestStart = heaviestRun(sk, from, to, span);
    let sum = 0;
    for (let k = bestStart; k < bestStart + span; k++) sum += sk[k];
    if (sum / span < (SIGNIFICANT_SIGMAS * 2) / Math.sqrt(spectra * span)) return undefined;
    const low = Math.max(minHz, (bestStart - 0.5) * binHz);
    return [low, Math.min(top, low + widthHz)];
  }
}

class KurtosisWorkspace {
  /** SK per bin 0..size/2 of the last run. */
  readonly sk: Float64Array;
  private readonly fft: Fft;
  private readonly window: Float64Array;
  private readonly second: Float64Array;
  private readonly fourth: Float64Array;
  /** Short-time spectra in the last run. */
  count = 0;

  constructor(private readonly size: number) {
    this.fft = new Fft(size);
    this.window = hann(size);
    this.second = new Float64Array(size / 2 + 1);
    this.fourth = new Float64Array(size / 2 + 1);
    this.sk = new Float64Array(size / 2 + 1);
  }

  /** SK of x minus `offset` (its mean). */
  run(x: Float32Array | Float64Array, offset: number): Float64Array {
    const { size, window, second, fourth, sk } = this;
    const half = size / 2;
    second.fill(0);
    fourth.fill(0);
    let count = 0;
    const plan = this.fft.real();
    const { buffer, inputAt, outputAt } = plan;
    // Windows not overlapping (independent spectra, as the significance test assumes), and
    // spread over the waveform when it holds more than MAX_SPECTRA of them.
    const step = size * Math.max(1, Math.floor(x.length / size / MAX_SPECTRA));
    for (let start = 0; start + size <= x.length; start += step) {
      for (let i = 0; i < size; i++) buffer[inputAt + i] = (x[start + i] - offset) * window[i];
      plan.forward();
      const dc = buffer[outputAt] * buffer[outputAt];
      const nyquist = buffer[outputAt + 1] * buffer[outputAt + 1];
      second[0] += dc;
      fourth[0] += dc * dc;
      second[half] += nyquist;
      fourth[half] += nyquist * nyquist;
      for (let k = 1; k < half; k++) {
        const re = buffer[outputAt + 2 * k];
        const im = buffer[outputAt + 2 * k + 1];
        const p = re * re + im * im;
        second[k] += p;
        fourth[k] += p * p;
      }
      count++;
    }
    this.count = count;
    for (let k = 0; k < sk.length; k++) {
      const mean = second[k] / count;
      sk[k] = mean > 0 ? fourth[k] / count / (mean * mean) - 2 : 0;
    }
    return sk;
  }
}
