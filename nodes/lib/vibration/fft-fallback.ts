import FFT from 'fft.js';

/**
 * fft.js transforms, for sizes PFFFT cannot do (below 32 real or 16 complex points) and for a
 * thread whose WebAssembly module is not loaded.
 */
export class FftJsReal {
  /** A real transform of `size` runs as a complex transform of size / 2 on the even/odd samples. */
  private readonly halfImpl: FFT;
  private readonly packed: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(readonly size: number) {
    const half = size / 2;
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
   * Same contract as Fft.forwardReal. Read as interleaved (re, im) pairs, the input is the complex
   * signal even + i·odd; its half-size transform splits into the even and odd samples' spectra,
   * which combine into the full one. That is half the work of a full-size transform.
   */
  forward(input: Float64Array, out: Float64Array, offset: number, powerSum?: Float64Array): void {
    const z = this.packed;
    this.halfImpl.transform(z, input);
    const half = this.size / 2;
    const { cos, sin } = this;
    out[offset] = z[0] + z[1];
    out[offset + 1] = 0;
    out[offset + 2 * half] = z[0] - z[1];
    out[offset + 2 * half + 1] = 0;
    if (powerSum) {
      powerSum[0] += out[offset] * out[offset];
      powerSum[half] += out[offset + 2 * half] * out[offset + 2 * half];
    }
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
      const re = evenRe + turnedRe;
      const im = evenIm + turnedIm;
      const mirrorRe = evenRe - turnedRe;
      const mirrorIm = turnedIm - evenIm;
      out[offset + 2 * k] = re;
      out[offset + 2 * k + 1] = im;
      out[offset + 2 * j] = mirrorRe;
      out[offset + 2 * j + 1] = mirrorIm;
      if (powerSum) {
        powerSum[k] += re * re + im * im;
        powerSum[j] += mirrorRe * mirrorRe + mirrorIm * mirrorIm;
      }
    }
    const middleRe = z[2 * quarter];
    const middleIm = -z[2 * quarter + 1];
    out[offset + 2 * quarter] = middleRe;
    out[offset + 2 * quarter + 1] = middleIm;
    if (powerSum) powerSum[quarter] += middleRe * middleRe + middleIm * middleIm;
  }
}

export class FftJsComplex {
  private readonly impl: FFT;

  constructor(readonly size: number) {
    this.impl = new FFT(size);
  }

  /** Same contract as Fft.inverseComplex (fft.js divides by size itself). */
  inverse(input: Float64Array, out: Float64Array): void {
    this.impl.inverseTransform(out, input);
  }
}
