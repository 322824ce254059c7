import { PdmError } from '../errors';
import { roundScore, type DetectorScore } from './events';
import { checkVector } from './multivariate-align';
import { Smoother, type SmootherJSON } from './smoother';

/** Options of the per-sensor deviation scorer (DeviationStream). */
export interface DeviationOptions {
  /** Sensor names, fixing the order of every vector. */
  sensors: string[];
  /** Vectors gathered before the scales and the limit are fitted. */
  trainingSize: number;
  /** Rolling-mean length per sensor, in vectors. */
  window: number;
  /** Time constant of the moving centre, in vectors. */
  centreTime: number;
}

/** How much more slowly the centre of a sensor beyond the limit follows. */
export const OUT_SLOWDOWN = 30;

/** Relative floor of a sensor's scale. */
const RESOLUTION = 1e-9;

export interface DeviationStreamJSON {
  baseline: number[][];
  /** Per sensor: the divisor of its deviation. */
  scales?: number[];
  limit?: number;
  /** Per sensor: least-squares slope over the training vectors, per vector. */
  slopes?: number[];
  centre?: number[];
  means?: SmootherJSON[];
}

/** What one vector gave. The stream reuses this object: read it before the next update. */
export interface DeviationResult {
  ts: number;
  learning: boolean;
  /** max over sensors of |rolling mean − centre| / scale, divided by the limit; NaN while learning. */
  score: number;
}

function populationStd(values: number[]): number {
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  return Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length);
}

/** Least-squares slope of column j against the row index. */
function slopeOf(rows: number[][], j: number): number {
  const n = rows.length;
  const meanT = (n - 1) / 2;
  const meanX = rows.reduce((sum, r) => sum + r[j], 0) / n;
  let sxy = 0;
  let sxx = 0;
  rows.forEach((r, t) => {
    sxy += (t - meanT) * (r[j] - meanX);
    sxx += (t - meanT) ** 2;
  });
  return sxy / sxx;
}

/**
 * Per-sensor deviation scoring of one asset: each sensor's short rolling mean is compared with a
 * slow moving centre of the same sensor, in units of that sensor's own variability during
 * training, and the vector's score is the largest of these, divided by the largest one the
 * training vectors reached (1 = as far out as anything seen in training).
 *
 * What makes it hold up on plant data where a T² over fixed means does not:
 * - The centre follows slow level changes (a housing warming up, fluid heating), so a sensor
 *   that creeps is judged against its recent normal; a step or a fast drift still stands out.
 * - A sensor whose smoothed value wanders more than its sample noise explains (a temperature
 *   that swings over minutes) is under-sampled by a short training part: the slow swings it will
 *   show later are larger than any it showed so far. Its scale is widened by that persistence
 *   ratio, so such sensors need a larger move to count, while a sensor with white measurement
 *   noise (a flow meter) keeps its scale.
 * - A sensor beyond the limit moves its centre OUT_SLOWDOWN times more slowly, plus its training
 *   trend: a fault does not quickly become its new normal, a lasting new level eventually does
 *   instead of holding the alarm for ever, and a sensor that was warming in training is not
 *   declared out for ever because it went on warming. The sensors within the limit keep following
 *   at full speed, so a temperature that creeps during another sensor's fault does not hold the
 *   alarm after that fault has gone.
 */
export class DeviationStream {
  readonly sensors: readonly string[];
  private readonly options: DeviationOptions;
  private readonly centre: Float64Array;
  /** 1 / the centre's time constant. */
  private readonly weight: number;
  private slopes: number[] = [];
  private readonly means: Smoother[];
  private readonly smoothed: Float64Array;
  private readonly ratio: Float64Array;
  private scales: number[] = [];
  private limit = NaN;
  private baseline: number[][] = [];
  private readonly result: DeviationResult = { ts: 0, learning: true, score: NaN };

  constructor(options: DeviationOptions, state?: DeviationStreamJSON) {
    const { sensors, trainingSize, window, centreTime } = options;
    if (sensors.length === 0 || new Set(sensors).size !== sensors.length) {
      throw new PdmError('INVALID_CONFIG', 'sensors must be a non-empty list of distinct names');
    }
    if (!(Number.isInteger(window) && window >= 1)) throw new PdmError('INVALID_CONFIG', 'the deviation window must be a whole number of vectors ≥ 1');
    if (!(Number.isInteger(trainingSize) && trainingSize >= 4 * window && trainingSize > 2 * sensors.length)) {
      throw new PdmError('INVALID_CONFIG', `the training size must be a whole number of at least 4 deviation windows (${4 * window}) and above twice the number of sensors`);
    }
    this.options = { ...options, sensors: sensors.slice() };
    this.sensors = this.options.sensors;
    if (!(Number.isInteger(centreTime) && centreTime >= 2)) throw new PdmError('INVALID_CONFIG', 'the centre time constant must be a whole number of vectors ≥ 2');
    this.centre = new Float64Array(sensors.length);
    this.weight = 1 / centreTime;
    this.means = sensors.map(() => new Smoother({ kind: 'mean', window }));
    this.smoothed = new Float64Array(sensors.length);
    this.ratio = new Float64Array(sensors.length);
    if (state) this.restore(state);
  }

  get trained(): boolean {
    return this.scales.length > 0;
  }

  update(ts: number, values: ArrayLike<number>): DeviationResult {
    checkVector(this.sensors, values);
    const out = this.result;
    out.ts = ts;
    if (!this.trained) {
      this.learn(values);
      out.learning = true;
      out.score = NaN;
      return out;
    }
    this.smooth(values);
    out.learning = false;
    let largest = 0;
    for (const r of this.ratios()) largest = Math.max(largest, r);
    out.score = largest / this.limit;
    return out;
  }

  /**
   * Moves the centre towards the vector last updated (once trained): each sensor within the limit
   * at full speed, each one beyond it OUT_SLOWDOWN times more slowly and along its training trend.
   */
  follow(values: ArrayLike<number>): void {
    if (!this.trained) return;
    for (let j = 0; j < this.centre.length; j++) {
      const out = this.ratio[j] > this.limit;
      this.centre[j] += (out ? this.weight / OUT_SLOWDOWN : this.weight) * (values[j] - this.centre[j]) + (out ? this.slopes[j] : 0);
    }
  }

  /** The deviation score with the sensors at or over `low` × the limit, largest first, as their share of the limit. */
  detectorScores(low: number): DetectorScore[] {
    if (!this.trained || !(this.result.score >= low)) return [];
    const ratios = this.ratios();
    const detail: Record<string, number> = {};
    const order = Array.from(ratios.keys()).sort((a, b) => ratios[b] - ratios[a]);
    for (const j of order) if (ratios[j] / this.limit >= low) detail[this.sensors[j]] = roundScore(ratios[j] / this.limit);
    return [{ name: 'deviation', score: roundScore(this.result.score), detail }];
  }

  toJSON(): DeviationStreamJSON {
    if (!this.trained) return { baseline: this.baseline.map((v) => v.slice()) };
    return {
      baseline: [], scales: this.scales.slice(), limit: this.limit, slopes: this.slopes.slice(), centre: Array.from(this.centre), means: this.means.map((m) => m.toJSON()),
    };
  }

  /** |smoothed − centre| / scale per sensor, in a buffer reused by the next call. */
  private ratios(): Float64Array {
    for (let j = 0; j < this.scales.length; j++) this.ratio[j] = Math.abs(this.smoothed[j] - this.centre[j]) / this.scales[j];
    return this.ratio;
  }

  private smooth(values: ArrayLike<number>): void {
    for (let j = 0; j < this.sensors.length; j++) this.smoothed[j] = this.means[j].push(values[j]);
  }

  private learn(values: ArrayLike<number>): void {
    this.baseline.push(Array.from(values));
    if (this.baseline.length < this.options.trainingSize) return;
    this.fit(this.baseline);
    this.baseline = [];
  }

  /**
   * Replays the training vectors as they will be scored (rolling means against the centre before
   * each vector), skips the settling part (a window, and up to half the training for the
   * centre), and takes per sensor the deviations' standard deviation times the persistence ratio.
   */
  private fit(rows: number[][]): void {
    const { window, centreTime, trainingSize } = this.options;
    const d = this.sensors.length;
    const settle = Math.max(window, Math.min(centreTime, Math.floor(trainingSize / 2)));
    const deviations: number[][] = this.sensors.map(() => []);
    const smoothed: number[][] = this.sensors.map(() => []);
    // The centre starts with its steady weight (not as a running mean) and behind the first vector
    // by the lag a steady trend at the training slope would have given it, so training shows the
    // lag the centre will have on a trending sensor while scoring, and the scale includes it.
    const slopes = this.sensors.map((_, j) => slopeOf(rows, j));
    rows[0].forEach((x, j) => (this.centre[j] = x - slopes[j] * centreTime));
    rows.forEach((row, i) => {
      this.smooth(row);
      for (let j = 0; j < d; j++) {
        if (i >= settle) deviations[j].push(this.smoothed[j] - this.centre[j]);
        if (i >= window) smoothed[j].push(this.smoothed[j]);
        this.centre[j] += this.weight * (row[j] - this.centre[j]);
      }
    });
    this.slopes = slopes;
    this.scales = this.sensors.map((_, j) => {
      const noise = populationStd(rows.map((r) => r[j])) / Math.sqrt(window);
      const persistence = noise > 0 ? Math.max(1, populationStd(smoothed[j]) / noise) : 1;
      // A sensor constant in training gets a scale at its numeric resolution: any real move counts.
      return Math.max(populationStd(deviations[j]) * persistence, RESOLUTION * (1 + Math.abs(rows[0][j])));
    });
    let limit = 0;
    this.scales.forEach((scale, j) => {
      for (const x of deviations[j]) limit = Math.max(limit, Math.abs(x) / scale);
    });
    this.limit = limit > 0 ? limit : 1;
  }

  private restore(state: DeviationStreamJSON): void {
    const d = this.sensors.length;
    const isNumbers = (x: unknown, n: number): x is number[] => Array.isArray(x) && x.length === n && x.every((v) => typeof v === 'number' && Number.isFinite(v));
    const { scales, limit, slopes, centre, means } = state;
    if (scales !== undefined) {
      const valid = isNumbers(scales, d) && scales.every((s) => s > 0) && isNumbers(slopes, d) && isNumbers(centre, d)
        && typeof limit === 'number' && limit > 0 && Array.isArray(means) && means.length === d;
      if (!valid) throw new PdmError('INVALID_CONFIG', 'stored deviation model is invalid');
      this.centre.set(centre);
      means.forEach((m, j) => this.means[j].restore(m));
      this.scales = scales.slice();
      this.slopes = slopes.slice();
      this.limit = limit;
      return;
    }
    if (!Array.isArray(state.baseline) || !state.baseline.every((v) => isNumbers(v, d))) {
      throw new PdmError('INVALID_CONFIG', 'stored baseline is invalid');
    }
    for (const v of state.baseline.slice(0, this.options.trainingSize)) this.learn(v);
  }
}
