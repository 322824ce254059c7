import { PdmError } from '../errors';

/**
 * Remaining useful life from run-to-failure history by nearest neighbours: every cycle of every
 * training run becomes a point (its recent condition → the cycles it still had), and an asset's
 * RUL is the mean remaining life of the `neighbours` training points most like its latest
 * condition. The condition of a cycle is the mean of the last `smoothWindow` values of each
 * informative channel (standardised), their least-squares slope over the last `slopeWindow`
 * cycles, and the age in cycles. Targets are capped at `cap` cycles (the piecewise-linear
 * target: early in life the remaining life cannot be told from the data).
 */
export interface RulOptions {
  smoothWindow: number;
  slopeWindow: number;
  neighbours: number;
  cap: number;
  /** Ages above this count as this (cycles). */
  maxAge: number;
}

export const DEFAULT_RUL_OPTIONS: RulOptions = { smoothWindow: 5, slopeWindow: 30, neighbours: 50, cap: 125, maxAge: 250 };

/** Below this standard deviation a channel carries no information and is left out. */
const MIN_STD = 1e-6;

export class NeighbourRul {
  private constructor(
    readonly options: RulOptions,
    /** Indices of the channels used. */
    readonly channels: number[],
    private readonly mean: Float64Array,
    private readonly std: Float64Array,
    /** Scale of each condition feature, for the distance. */
    private readonly featureScale: Float64Array,
    private readonly points: Float64Array,
    private readonly targets: Float64Array,
  ) {}

  /** Fits on runs that each end at failure: run[i] is the channel values of cycle i. */
  static fit(runs: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>, options: RulOptions = DEFAULT_RUL_OPTIONS): NeighbourRul {
    if (runs.length === 0 || runs.some((r) => r.length === 0)) throw new PdmError('INVALID_CONFIG', 'RUL needs at least one non-empty run to failure');
    const width = runs[0][0].length;
    const rows = runs.reduce((n, r) => n + r.length, 0);
    if (options.neighbours < 1 || options.neighbours > rows) throw new PdmError('INVALID_CONFIG', `neighbours must be in 1..${rows}`);
    const sum = new Float64Array(width);
    const sq = new Float64Array(width);
    for (const run of runs) {
      for (const row of run) {
        if (row.length !== width) throw new PdmError('INVALID_PAYLOAD', `every cycle needs ${width} values, got ${row.length}`);
        for (let j = 0; j < width; j++) {
          sum[j] += row[j];
          sq[j] += row[j] * row[j];
        }
      }
    }
    const channels: number[] = [];
    for (let j = 0; j < width; j++) {
      const m = sum[j] / rows;
      if (Math.sqrt(Math.max(0, sq[j] / rows - m * m)) > MIN_STD) channels.push(j);
    }
    if (channels.length === 0) throw new PdmError('INVALID_PAYLOAD', 'no channel varies in the training runs');
    const mean = Float64Array.from(channels, (j) => sum[j] / rows);
    const std = Float64Array.from(channels, (j, k) => Math.sqrt(sq[j] / rows - mean[k] * mean[k]));
    const dims = 2 * channels.length + 1;
    const points = new Float64Array(rows * dims);
    const targets = new Float64Array(rows);
    const draft = new NeighbourRul(options, channels, mean, std, new Float64Array(dims).fill(1), points, targets);
    let p = 0;
    for (const run of runs) {
      const z = draft.standardise(run);
      for (let i = 0; i < run.length; i++, p++) {
        draft.condition(z, i, points.subarray(p * dims, (p + 1) * dims));
        targets[p] = Math.min(run.length - 1 - i, options.cap);
      }
    }
    const scale = new Float64Array(dims);
    for (let d = 0; d < dims; d++) {
      let s = 0;
      let s2 = 0;
      for (let q = 0; q < rows; q++) {
        s += points[q * dims + d];
        s2 += points[q * dims + d] ** 2;
      }
      scale[d] = Math.sqrt(Math.max(s2 / rows - (s / rows) ** 2, 0)) || 1;
    }
    return new NeighbourRul(options, channels, mean, std, scale, points, targets);
  }

  /** Remaining cycles after the last of `history` (one asset's cycles in time order). */
  predict(history: ReadonlyArray<ArrayLike<number>>): number {
    if (history.length === 0) throw new PdmError('INVALID_PAYLOAD', 'RUL needs at least one cycle of history');
    const dims = this.featureScale.length;
    const query = new Float64Array(dims);
    this.condition(this.standardise(history), history.length - 1, query);
    const k = this.options.neighbours;
    // The k smallest distances, kept in a max-heap.
    const heapD = new Float64Array(k).fill(Infinity);
    const heapT = new Float64Array(k);
    const n = this.targets.length;
    for (let q = 0; q < n; q++) {
      let d = 0;
      const base = q * dims;
      for (let j = 0; j < dims && d < heapD[0]; j++) {
        const diff = (this.points[base + j] - query[j]) / this.featureScale[j];
        d += diff * diff;
      }
      if (d < heapD[0]) siftDown(heapD, heapT, d, this.targets[q]);
    }
    let total = 0;
    for (let i = 0; i < k; i++) total += heapT[i];
    return total / k;
  }

  private standardise(run: ReadonlyArray<ArrayLike<number>>): Float64Array[] {
    return run.map((row) => Float64Array.from(this.channels, (j, k) => (row[j] - this.mean[k]) / this.std[k]));
  }

  /** The condition of cycle i: smoothed channels, their slopes (per 10 cycles) and the age. */
  private condition(z: Float64Array[], i: number, out: Float64Array): void {
    const c = this.channels.length;
    const { smoothWindow, slopeWindow, maxAge } = this.options;
    const a = Math.max(0, i - smoothWindow + 1);
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let t = a; t <= i; t++) s += z[t][k];
      out[k] = s / (i - a + 1);
    }
    const b = Math.max(0, i - slopeWindow + 1);
    const m = i - b + 1;
    const tMean = (m - 1) / 2;
    let tt = 0;
    for (let t = 0; t < m; t++) tt += (t - tMean) ** 2;
    for (let k = 0; k < c; k++) {
      if (m < 3) {
        out[c + k] = 0;
        continue;
      }
      let ty = 0;
      for (let t = 0; t < m; t++) ty += (t - tMean) * z[b + t][k];
      out[c + k] = (10 * ty) / tt;
    }
    out[2 * c] = Math.min(i + 1, maxAge) / 100;
  }
}

/** Replaces the root of a max-heap (the largest of the k kept) with (d, t) and restores the heap. */
function siftDown(heapD: Float64Array, heapT: Float64Array, d: number, t: number): void {
  const k = heapD.length;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let largest = -1;
    let value = d;
    if (l < k && heapD[l] > value) {
      largest = l;
      value = heapD[l];
    }
    if (r < k && heapD[r] > value) largest = r;
    if (largest < 0) break;
    heapD[i] = heapD[largest];
    heapT[i] = heapT[largest];
    i = largest;
  }
  heapD[i] = d;
  heapT[i] = t;
}
