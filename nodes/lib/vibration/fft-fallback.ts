import FFT from 'fft.js';
import type { ComplexTransform, RealTransform } from './fft';

/**
 * fft.js transforms, for sizes PFFFT cannot do (below 32 real or 16 complex points) and for a
 * thread whose WebAssembly module is not loaded. Input and output share one float64 buffer,
 * laid out as RealTransform and ComplexTransform say.
 */
export class FftJsReal implements RealTransform {
  readonly buffer: Float64Array;
  readonly inputAt = 0;
  readonly outputAt: number;
  readonly output: Float64Array;
  /** A real transform of `size` runs as a complex transform of size / 2 on the even/odd samples. */
  private readonly halfImpl: FFT;
  private readonly packed: Float64Array;
  private readonly input: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(readonly size: number) {
    const half = size / 2;
    this.buffer = new Float64Array(2 * size);
    this.outputAt = size;
    this.input = this.buffer.subarray(0, size);
    this.output = this.buffer.subarray(size);
    this.halfImpl = new FFT(half);
    this.packed = new Float64Array(size);
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * Read as interleaved (re, im) pairs, the input is the complex signal even + i·odd; its
   * half-size transform splits into the even and odd samples' spectra, which combine into the
   * full one. That is half the work of a full-size transform.
   */
  forward(): void {
    const z = this.packed;
    this.halfImpl.transform(z, this.input);
    const half = this.size / 2;
    const { cos, sin, buffer: out, outputAt: at } = this;
    out[at] = z[0] + z[1];
    out[at + 1] = z[0] - z[1];
    // Bins k and half − k come from the same two values: X[k] = E + W^k·O, X[half − k] = conj(E − W^k·O).
    const quarter = half / 2;
    for (let k = 1; k < quarter; k++) {
      const j = half - k;
      const ar = z[2 * k];
      const ai = z[2 * k + 1];
      const br = z[2 * j];
      const bi = -z[2 * j + 1];
      const evenRe = 0.5 * (ar + br);
      const evenIm = 0.5 * (ai + bi);
      const oddRe = 0.5 * (ai - bi);
      const oddIm = -0.5 * (ar - br);
      const c = cos[k];
      const s = sin[k];
      const turnedRe = c * oddRe + s * oddIm;
      const turnedIm = c * oddIm - s * oddRe;
      out[at + 2 * k] = evenRe + turnedRe;
      out[at + 2 * k + 1] = evenIm + turnedIm;
      out[at + 2 * j] = evenRe - turnedRe;
      out[at + 2 * j + 1] = turnedIm - evenIm;
    }
    out[at + 2 * quarter] = z[2 * quarter];
    out[at + 2 * quarter + 1] = -z[2 * quarter + 1];
  }
}

export class FftJsComplex implements ComplexTransform {
  readonly buffer: Float64Array;
  readonly inputAt = 0;
  readonly outputAt: number;
  private readonly impl: FFT;
  private readonly input: Float64Array;
  private readonly output: Float64Array;

  constructor(readonly size: number) {
    this.impl = new FFT(size);
    this.buffer = new Float64Array(4 * size);
    this.outputAt = 2 * size;
    this.input = this.buffer.subarray(0, 2 * size);
    this.output = this.buffer.subarray(2 * size);
  }

  /** fft.js divides its inverse by size; the contract is the unscaled sum, so that is undone. */
  inverse(): void {
    this.impl.inverseTransform(this.output, this.input);
    const { output, size } = this;
    for (let i = 0; i < output.length; i++) output[i] *= size;
  }
}
