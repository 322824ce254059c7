import { PdmError } from '../errors';

/**
 * Adaptive centring: a slow per-sensor exponential average of the vectors, which the model scores
 * against instead of a fixed baseline mean. A level that creeps (a motor warming up, a fluid
 * heating over an hour) moves the centre with it, so the model sees the deviation from the
 * recent normal rather than the distance from where the training started; changes faster than
 * the time constant still stand out. The caller stops feeding it while its asset is firing, so a
 * fault does not become the new normal.
 */
export interface CentringJSON {
  centre: number[];
  /** Vectors averaged so far (the weight is 1/seen until it reaches 1/timeConstant). */
  seen: number;
}

export class Centring {
  private readonly centre: Float64Array;
  private readonly deviation: Float64Array;
  private readonly floor: number;
  private seen = 0;

  /** `timeConstant` in vectors: the average forgets a value's weight by e after that many vectors. */
  constructor(readonly width: number, readonly timeConstant: number) {
    if (!(Number.isInteger(timeConstant) && timeConstant >= 2)) {
      throw new PdmError('INVALID_CONFIG', 'the centring time constant must be a whole number of vectors ≥ 2');
    }
    this.centre = new Float64Array(width);
    this.deviation = new Float64Array(width);
    this.floor = 1 / timeConstant;
  }

  /** values − centre, in a buffer reused by the next call. */
  deviationOf(values: ArrayLike<number>): Float64Array {
    for (let j = 0; j < this.width; j++) this.deviation[j] = values[j] - this.centre[j];
    return this.deviation;
  }

  /** Moves the centre towards the vector; a running mean until timeConstant vectors have been seen. */
  follow(values: ArrayLike<number>): void {
    this.seen++;
    const weight = Math.max(this.floor, 1 / this.seen);
    for (let j = 0; j < this.width; j++) this.centre[j] += weight * (values[j] - this.centre[j]);
  }

  toJSON(): CentringJSON {
    return { centre: Array.from(this.centre), seen: this.seen };
  }

  /** Takes a state written by toJSON for the same width; throws PdmError('INVALID_CONFIG') otherwise. */
  restore(state: unknown): void {
    const s = state as Partial<CentringJSON> | null;
    const valid = typeof s === 'object' && s !== null && Array.isArray(s.centre) && s.centre.length === this.width
      && s.centre.every((x) => typeof x === 'number' && Number.isFinite(x))
      && typeof s.seen === 'number' && Number.isInteger(s.seen) && s.seen >= 0;
    if (!valid) throw new PdmError('INVALID_CONFIG', 'stored centring state is invalid');
    this.centre.set(s.centre as number[]);
    this.seen = s.seen as number;
  }
}

/**
 * The training vectors as the scorer will see them: each one minus the centre before it, the
 * centre following every vector. The first timeConstant deviations (the average still settling)
 * are dropped. Leaves `centring` where the training ended, so scoring continues from there.
 */
export function centredBaseline(centring: Centring, rows: readonly ArrayLike<number>[]): number[][] {
  const out: number[][] = [];
  rows.forEach((row, i) => {
    const deviation = centring.deviationOf(row);
    if (i >= centring.timeConstant) out.push(Array.from(deviation));
    centring.follow(row);
  });
  return out;
}
