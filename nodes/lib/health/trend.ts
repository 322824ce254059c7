/**
 * Remaining useful life from a degradation indicator: a least-squares line (or a log-linear
 * fit for exponential wear) over the recent points, extrapolated to the failure threshold.
 * The interval is where the prediction bands (Student t × standard error of a new
 * observation) cross the threshold: the upper band first (low), the lower band last (high).
 */
export type TrendModel = 'linear' | 'exponential';

/** Why there is no prediction, or 'rising' when there is one. */
export type TrendState = 'rising' | 'flat' | 'improving' | 'too-few-points' | 'past-threshold';

export interface FailurePrediction {
  /** Expected crossing, epoch ms. */
  ts: number;
  /** Earliest crossing within the interval (never before the last point). */
  low: number;
  /** Latest crossing; null when the lower band never reaches the threshold. */
  high: number | null;
  /** Hours from the last point to ts. */
  rulHours: number;
}

export interface TrendResult {
  state: TrendState;
  /** Indicator units per hour at the last point (fitted). */
  slope: number;
  prediction: FailurePrediction | null;
}

export interface TrendOptions {
  model: TrendModel;
  threshold: number;
  /** Two-sided confidence of the interval, e.g. 0.9. */
  confidence: number;
  minPoints: number;
}

const HOUR_MS = 3_600_000;
/** The lower band is searched up to this many fit spans beyond the expected crossing. */
const HIGH_SEARCH_SPANS = 1000;
const BISECTIONS = 60;

/** Fits ts (epoch ms) / values; both arrays are read for their first n entries in time order. */
export function fitTrend(ts: ArrayLike<number>, values: ArrayLike<number>, n: number, o: TrendOptions): TrendResult {
  const exp = o.model === 'exponential';
  const t0 = n > 0 ? ts[0] : 0;
  let m = 0;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    if (exp && !(values[i] > 0)) continue;
    m++;
    sumX += (ts[i] - t0) / HOUR_MS;
    sumY += exp ? Math.log(values[i]) : values[i];
  }
  if (m < Math.max(3, o.minPoints)) return { state: 'too-few-points', slope: 0, prediction: null };
  const xBar = sumX / m;
  const yBar = sumY / m;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    if (exp && !(values[i] > 0)) continue;
    const dx = (ts[i] - t0) / HOUR_MS - xBar;
    sxx += dx * dx;
    sxy += dx * ((exp ? Math.log(values[i]) : values[i]) - yBar);
  }
  if (sxx === 0) return { state: 'too-few-points', slope: 0, prediction: null };
  const b = sxy / sxx;
  const a = yBar - b * xBar;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    if (exp && !(values[i] > 0)) continue;
    const x = (ts[i] - t0) / HOUR_MS;
    const r = (exp ? Math.log(values[i]) : values[i]) - a - b * x;
    sse += r * r;
  }
  const s = Math.sqrt(sse / (m - 2));
  const q = studentQuantile(0.5 + o.confidence / 2, m - 2);
  const xLast = (ts[n - 1] - t0) / HOUR_MS;
  const fittedLast = a + b * xLast;
  const slope = exp ? b * Math.exp(fittedLast) : b;
  // A slope within its own uncertainty is no trend to extrapolate.
  const seSlope = s / Math.sqrt(sxx);
  if (b <= 0 && -b > q * seSlope) return { state: 'improving', slope, prediction: null };
  if (b <= q * seSlope) return { state: 'flat', slope, prediction: null };

  const threshold = exp ? Math.log(o.threshold) : o.threshold;
  if (!Number.isFinite(threshold)) return { state: 'flat', slope, prediction: null };
  const xStar = (threshold - a) / b;
  if (xStar <= xLast) return { state: 'past-threshold', slope, prediction: null };
  const halfWidth = (x: number): number => q * s * Math.sqrt(1 + 1 / m + ((x - xBar) * (x - xBar)) / sxx);
  const upperAbove = (x: number): boolean => a + b * x + halfWidth(x) >= threshold;
  const lowerAbove = (x: number): boolean => a + b * x - halfWidth(x) >= threshold;

  const xLow = upperAbove(xLast) ? xLast : bisect(upperAbove, xLast, xStar);
  let xHigh: number | null = null;
  const limit = xStar + HIGH_SEARCH_SPANS * Math.max(xLast, 1);
  for (let step = Math.max(xStar - xLast, 1e-6), hi = xStar + step; hi <= limit; step *= 2, hi = xStar + step) {
    if (lowerAbove(hi)) {
      xHigh = bisect(lowerAbove, xStar, hi);
      break;
    }
  }
  const toTs = (x: number): number => Math.round(t0 + x * HOUR_MS);
  return {
    state: 'rising',
    slope,
    prediction: { ts: toTs(xStar), low: toTs(xLow), high: xHigh === null ? null : toTs(xHigh), rulHours: xStar - xLast },
  };
}

/** The first x in (below, above] where `reached` turns true, given false at below and true at above. */
function bisect(reached: (x: number) => boolean, below: number, above: number): number {
  let lo = below;
  let hi = above;
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (lo + hi) / 2;
    if (reached(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Student t quantile by the Cornish–Fisher expansion around the normal quantile (ν ≥ 1). */
export function studentQuantile(p: number, dof: number): number {
  const z = normalQuantile(p);
  const z3 = z * z * z;
  const z5 = z3 * z * z;
  const nu = Math.max(1, dof);
  return z + (z3 + z) / (4 * nu) + (5 * z5 + 16 * z3 + 3 * z) / (96 * nu * nu) + (3 * z5 * z * z + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu * nu * nu);
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155211639];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = 0.02425;
  if (p < tail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - tail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
