/**
 * The part of the PFFFT WebAssembly build (SIMD variant) that fft-pffft.ts uses. Pointers are
 * byte offsets into the module's memory.
 */
declare module '@echogarden/pffft-wasm/simd' {
  export interface PffftModule {
    /** A view of the module's memory; replaced when the memory grows, so read it after allocating. */
    readonly HEAPF32: Float32Array;
    /** kind: 0 real, 1 complex. Returns 0 when the size is not supported. */
    _pffft_new_setup(size: number, kind: number): number;
    _pffft_destroy_setup(setup: number): void;
    _pffft_aligned_malloc(bytes: number): number;
    _pffft_aligned_free(pointer: number): void;
    /** direction: 0 forward, 1 backward; output in the usual interleaved (re, im) order. */
    _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  }

  export default function loadPffft(): Promise<PffftModule>;
}
