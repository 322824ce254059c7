import type { SpectrumView } from './spectrum-view';

/** A spectral line looked for near an expected frequency. */
export interface Peak {
  expectedHz: number;
  /** Centre of the largest bin found within the tolerance. */
  hz: number;
  /** Amplitude (0-to-peak) of the line, from its main lobe. */
  amplitude: number;
  /** Median bin amplitude around the search window: the local noise floor. */
  floor: number;
  /** Largest bin over the floor, in dB (20·log10). */
  prominenceDb: number;
  /** Bins searched for the line. */
  searched: number;
}

/** Bins on each side of the search window that make up the local floor: at least this many... */
const FLOOR_MIN_BINS = 8;
/** ...or this fraction of the expected frequency, whichever is wider. */
const FLOOR_FRACTION = 0.15;
/** Half-width of a line's main lobe where it stands above its neighbours' leakage (Hann: ± 2 bins to the first zero). */
const LOBE_BINS = 1.5;
/** Bins next to DC hold the window's leakage of the mean: never searched. */
const FIRST_BIN = 2;

/** Finds lines and their local floors; the median scratch buffer is reused. */
export class PeakFinder {
  private scratch = new Float64Array(256);

  /**
   * The largest bin within expectedHz·(1 ± tolerance) (at least ± 1 bin), or undefined when the
   * window lies outside the spectrum.
   * @param combHz spacing of a harmonic series the line belongs to: the bins nearest its other
   *   harmonics are left out of the floor, which a dense comb would otherwise raise to its own level.
   */
  find(view: SpectrumView, expectedHz: number, tolerance: number, combHz = 0): Peak | undefined {
    const centre = expectedHz / view.binHz;
    const reach = Math.max(1, centre * tolerance);
    const from = Math.max(FIRST_BIN, Math.ceil(centre - reach));
    const to = Math.min(view.bins - 2, Math.floor(centre + reach));
    if (from > to) return undefined;
    const amplitude = view.amplitude;
    let best = from;
    for (let k = from + 1; k <= to; k++) if (amplitude[k] > amplitude[best]) best = k;
    const floor = this.floor(view, from, to, Math.max(FLOOR_MIN_BINS, Math.round(centre * FLOOR_FRACTION)), combHz / view.binHz);
    const prominenceDb = floor > 0 ? 20 * Math.log10(amplitude[best] / floor) : amplitude[best] > 0 ? Infinity : 0;
    return { expectedHz, hz: best * view.binHz, amplitude: view.lobeAmplitude(best), floor, prominenceDb, searched: to - from + 1 };
  }

  /**
   * Median amplitude of up to `width` bins on each side of [from, to]. Bins in the main lobe of a
   * multiple of `combBins` are passed over (and the next ones outward taken instead).
   */
  private floor(view: SpectrumView, from: number, to: number, width: number, combBins: number): number {
    const amplitude = view.amplitude;
    if (this.scratch.length < 2 * width) this.scratch = new Float64Array(4 * width);
    const values = this.scratch;
    const comb = combBins > 1 ? combBins : 0;
    let n = 0;
    for (let k = from - 1, taken = 0; k >= FIRST_BIN && taken < width; k--) {
      if (comb > 0 && nearHarmonic(k, comb)) continue;
      values[n++] = amplitude[k];
      taken++;
    }
    for (let k = to + 1, taken = 0; k < view.bins && taken < width; k++) {
      if (comb > 0 && nearHarmonic(k, comb)) continue;
      values[n++] = amplitude[k];
      taken++;
    }
    return n > 0 ? median(values, n) : 0;
  }
}

/**
 * Whether bin k lies in the main lobe of the line at some multiple of `spacing` bins: within
 * LOBE_BINS of it, or, in a comb too dense for that, its nearest bin.
 */
function nearHarmonic(k: number, spacing: number): boolean {
  const h = Math.round(k / spacing);
  return h >= 1 && Math.abs(k - h * spacing) <= Math.max(0.5, Math.min(LOBE_BINS, spacing / 2 - 1));
}

/** Median of values[0..n) by quickselect; reorders those values. */
export function median(values: Float64Array, n: number): number {
  const mid = n >> 1;
  const upper = select(values, n, mid);
  if (n % 2 === 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

/** The k-th smallest of values[0..n): afterwards values[0..k) ≤ values[k]. */
function select(values: Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const pivot = values[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}
