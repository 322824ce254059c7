/**
 * The two drift statistics: the population stability index of a recent window against
 * baseline bins, and the two-sample Kolmogorov–Smirnov test against a baseline sample.
 */

/** Bins of a baseline distribution: `edges` are the k + 1 bin boundaries, `fractions` the k shares. */
export interface BaselineBins {
  edges: number[];
  fractions: number[];
}

export interface FeatureBaseline extends BaselineBins {
  /** A sample of baseline values, sorted ascending after `prepareBaseline`. */
  sample: number[];
}

/** Share floor, so an empty bin does not make PSI infinite. */
const MIN_SHARE = 1e-4;

/**
 * Bin index of `x` for boundaries `edges` (k + 1 of them, or only the k − 1 inner cut points):
 * values below the first bin or above the last fall into the outer bins.
 */
function binOf(x: number, edges: readonly number[], bins: number): number {
  const inner = edges.length === bins + 1 ? 1 : 0;
  let lo = 0;
  let hi = bins - 1;
  // The first bin b whose upper boundary edges[b + inner] exceeds x.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < edges[mid + inner]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function checkBins(bins: BaselineBins): string | undefined {
  const k = bins.fractions.length;
  if (k < 2) return 'a baseline needs at least 2 bins';
  if (bins.edges.length !== k + 1 && bins.edges.length !== k - 1) return `${k} bins need ${k + 1} edges, got ${bins.edges.length}`;
  for (let i = 1; i < bins.edges.length; i++) {
    if (!(bins.edges[i] >= bins.edges[i - 1])) return 'bin edges must be ascending numbers';
  }
  if (bins.fractions.some((f) => !(f >= 0))) return 'bin fractions must be numbers ≥ 0';
  return undefined;
}

/** PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the baseline bins; 0 when identical, ≥ 0.25 a significant shift. */
export function psi(bins: BaselineBins, values: ArrayLike<number>): number {
  const k = bins.fractions.length;
  const counts = new Float64Array(k);
  for (let i = 0; i < values.length; i++) counts[binOf(values[i], bins.edges, k)]++;
  const total = bins.fractions.reduce((s, f) => s + f, 0) || 1;
  let sum = 0;
  for (let b = 0; b < k; b++) {
    const expected = Math.max(bins.fractions[b] / total, MIN_SHARE);
    const actual = Math.max(counts[b] / values.length, MIN_SHARE);
    sum += (actual - expected) * Math.log(actual / expected);
  }
  return sum;
}

export interface KsResult {
  /** Largest distance between the two empirical distribution functions. */
  statistic: number;
  /** Asymptotic p-value of the two-sample test. */
  pValue: number;
}

/** Two-sample Kolmogorov–Smirnov test; both inputs sorted ascending. */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: 0, pValue: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const ne = (n * m) / (n + m);
  return { statistic: d, pValue: kolmogorovSurvival((Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d) };
}

/** P(K > λ) of the Kolmogorov distribution: 2 Σ (−1)^(k−1) e^(−2k²λ²). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** Baseline from values: `bins` equal-count bins (edges at quantiles) and a sorted sample of at most `maxSample`. */
export function learnBaseline(values: ArrayLike<number>, bins = 10, maxSample = 1000): FeatureBaseline {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const quantile = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))];
  const edges = [sorted[0]];
  for (let b = 1; b < bins; b++) edges.push(quantile(b / bins));
  edges.push(sorted[n - 1]);
  const fractions = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) fractions[binOf(sorted[i], edges, bins)] += 1 / n;
  const step = Math.max(1, n / maxSample);
  const sample: number[] = [];
  for (let p = 0; p < n; p += step) sample.push(sorted[Math.floor(p)]);
  return { edges, fractions, sample };
}

/** A baseline as stored (the sample in any order) ready for testing: the sample sorted. */
export function prepareBaseline(b: FeatureBaseline): FeatureBaseline {
  return { edges: b.edges.slice(), fractions: b.fractions.slice(), sample: [...b.sample].sort((x, y) => x - y) };
}
