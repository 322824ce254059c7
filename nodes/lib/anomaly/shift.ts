/**
 * Multi-scale level shift: a short EWMA of the value minus a long one (the recent level against
 * the level of the last few long spans), scored against the mean and σ that this difference had
 * while the baseline learned. A slow process wanders widely on the scale of hours, so its spread
 * is measured on the smoothed difference itself rather than assumed from the per-sample σ.
 */

/** short EWMA, long EWMA, values seen, learned n, learned mean, learned Σ(d − mean)². */
export type LevelShiftJSON = [number, number, number, number, number, number];

export class LevelShift {
  private readonly shortAlpha: number;
  private readonly longAlpha: number;
  shortMean = 0;
  longMean = 0;
  /** Values that moved the EWMAs. */
  seen = 0;
  /** Welford statistics of the difference over the learned readings. */
  learned = 0;
  private mean = 0;
  private m2 = 0;

  /** Spans in samples: an EWMA of span s has α = 2 / (s + 1). */
  constructor(private readonly shortSpan: number, longSpan: number) {
    this.shortAlpha = 2 / (shortSpan + 1);
    this.longAlpha = 2 / (longSpan + 1);
  }

  /** Moves both EWMAs by x; returns the new difference. The first value starts both. */
  update(x: number): number {
    if (this.seen === 0) {
      this.shortMean = x;
      this.longMean = x;
    } else {
      this.shortMean += this.shortAlpha * (x - this.shortMean);
      this.longMean += this.longAlpha * (x - this.longMean);
    }
    this.seen++;
    return this.shortMean - this.longMean;
  }

  get difference(): number {
    return this.shortMean - this.longMean;
  }

  /**
   * |difference − learned mean| / (threshold · learned σ), 0 until two differences were learned.
   * `floor` is the smallest σ to divide by.
   */
  score(threshold: number, floor: number): number {
    if (this.learned < 2) return 0;
    const sigma = Math.sqrt(this.m2 / (this.learned - 1));
    return Math.abs(this.difference - this.mean) / (threshold * (sigma > floor ? sigma : floor));
  }

  /** Learns the current difference, once the short EWMA has seen a full span. */
  learn(): void {
    if (this.seen < this.shortSpan) return;
    const d = this.difference;
    this.learned++;
    const delta = d - this.mean;
    this.mean += delta / this.learned;
    this.m2 += delta * (d - this.mean);
  }

  toJSON(): LevelShiftJSON {
    return [this.shortMean, this.longMean, this.seen, this.learned, this.mean, this.m2];
  }

  /** Restores a stored state; false (and unchanged) when the form is not one. */
  restore(json: unknown): boolean {
    if (!Array.isArray(json) || json.length !== 6 || !json.every((v) => typeof v === 'number' && Number.isFinite(v))) return false;
    const [shortMean, longMean, seen, learned, mean, m2] = json as LevelShiftJSON;
    if (seen < 0 || learned < 0 || m2 < 0) return false;
    this.shortMean = shortMean;
    this.longMean = longMean;
    this.seen = seen;
    this.learned = learned;
    this.mean = mean;
    this.m2 = m2;
    return true;
  }
}
