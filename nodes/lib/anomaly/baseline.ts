import { RollingWindow, SortedWindow } from './rolling';

/** Plain, numbers-only form of a baseline for context storage. */
export interface BaselineJSON {
  /** Rolling window, oldest first. */
  w: number[];
  /** EWMA mean, EWMA variance. */
  e: [number, number];
  /** Samples learned. */
  n: number;
  /** 1 when frozen. */
  f: 0 | 1;
}

/**
 * What "normal" looks like for one key: a rolling window (mean, σ; sorted copy for median,
 * MAD and quartiles when a detector needs it) and an EWMA mean and variance.
 */
export class Baseline {
  readonly window: RollingWindow;
  readonly sorted: SortedWindow | undefined;
  ewmaMean = 0;
  ewmaVar = 0;
  samples = 0;
  frozen = false;

  constructor(capacity: number, withSorted: boolean, private readonly alpha: number) {
    this.window = new RollingWindow(capacity);
    this.sorted = withSorted ? new SortedWindow(capacity) : undefined;
  }

  learn(x: number): void {
    if (this.frozen) return;
    const evicted = this.window.push(x);
    if (this.sorted) {
      if (!Number.isNaN(evicted)) this.sorted.remove(evicted);
      this.sorted.insert(x);
    }
    this.samples++;
    // 1/n at the start makes the EWMA an exact running mean and variance until α takes over.
    const a = this.alpha > 1 / this.samples ? this.alpha : 1 / this.samples;
    const d = x - this.ewmaMean;
    this.ewmaMean += a * d;
    this.ewmaVar = (1 - a) * (this.ewmaVar + a * d * d);
  }

  mean(): number {
    return this.window.mean();
  }

  std(): number {
    return Math.sqrt(this.window.variance());
  }

  toJSON(): BaselineJSON {
    return { w: this.window.toArray(), e: [this.ewmaMean, this.ewmaVar], n: this.samples, f: this.frozen ? 1 : 0 };
  }

  /** A baseline from its stored form; undefined when the form is not one. A shorter window keeps the newest values. */
  static fromJSON(json: unknown, capacity: number, withSorted: boolean, alpha: number): Baseline | undefined {
    if (!isBaselineJSON(json)) return undefined;
    const b = new Baseline(capacity, withSorted, alpha);
    for (const x of json.w.slice(-capacity)) {
      const evicted = b.window.push(x);
      if (b.sorted) {
        if (!Number.isNaN(evicted)) b.sorted.remove(evicted);
        b.sorted.insert(x);
      }
    }
    b.ewmaMean = json.e[0];
    b.ewmaVar = json.e[1];
    b.samples = json.n;
    b.frozen = json.f === 1;
    return b;
  }
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function isBaselineJSON(v: unknown): v is BaselineJSON {
  if (typeof v !== 'object' || v === null) return false;
  const j = v as Record<string, unknown>;
  return (
    Array.isArray(j.w) && j.w.every(finite) && Array.isArray(j.e) && j.e.length === 2 && j.e.every(finite) &&
    finite(j.n) && j.n >= 0 && (j.f === 0 || j.f === 1)
  );
}
