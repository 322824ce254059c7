/**
 * The part of fft.js (radix-4 FFT) that fft.ts uses. It replaces the package's generated
 * declarations, which type every argument as `any`.
 */
declare module 'fft.js' {
  type NumericArray = number[] | Float64Array;

  class FFT {
    constructor(size: number);
    readonly size: number;
    /** Fills bins 0..size/2 of `output` (interleaved re, im; length 2·size) from real `input` (length size). */
    realTransform(output: NumericArray, input: ArrayLike<number>): void;
    /** Forward complex transform: interleaved re, im arrays of length 2·size. */
    transform(output: NumericArray, input: ArrayLike<number>): void;
    /** Inverse complex transform, divided by size. */
    inverseTransform(output: NumericArray, input: ArrayLike<number>): void;
    completeSpectrum(spectrum: NumericArray): void;
  }

  export = FFT;
}
