/**
 * Whether a NAB series shows anything unusual in the day before the day before each label: the
 * statistics of the 24 h spans [label − 48 h, label − 24 h) and [label − 24 h, label), set against
 * the same statistics over every 24 h span of the probationary rows and over every 24 h span of
 * the scored rows that touches no window and neither of the two days before one (both stepped by one hour).
 * A warning a day ahead of a label must come from something unusual in the first span.
 */
import { DEFAULT_DRIFT_OPTIONS } from '../../nodes/lib/ml/drift';
import { ksTest } from '../../nodes/lib/ml/drift-stats';
import type { NabLabels, Series } from './datasets';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface SpanStats {
  mean: number;
  std: number;
  /** Least-squares slope, value per hour. */
  slope: number;
  /** σ of the step from one reading to the next (the sensor's noise and fast wiggles). */
  stepStd: number;
  largestStep: number;
  /** Kolmogorov–Smirnov distance between the span's values and the probationary values. */
  ks: number;
  ksPValue: number;
}

const STATS: ReadonlyArray<{ key: keyof SpanStats; title: string; digits: number }> = [
  { key: 'mean', title: 'mean', digits: 1 },
  { key: 'std', title: 'σ', digits: 2 },
  { key: 'slope', title: 'slope /h', digits: 2 },
  { key: 'stepStd', title: 'σ of steps', digits: 2 },
  { key: 'largestStep', title: 'largest step', digits: 2 },
  { key: 'ks', title: 'KS vs prob.', digits: 2 },
];

function spanStats(series: Series, from: number, to: number, probation: Float64Array): SpanStats {
  const n = to - from;
  const t0 = series.ts[from];
  let sx = 0;
  let sy = 0;
  for (let i = from; i < to; i++) {
    sx += (series.ts[i] - t0) / HOUR;
    sy += series.values[i];
  }
  const mx = sx / n;
  const mean = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let steps = 0;
  let stepSum = 0;
  let stepSq = 0;
  let largestStep = 0;
  for (let i = from; i < to; i++) {
    const dx = (series.ts[i] - t0) / HOUR - mx;
    const dy = series.values[i] - mean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
    if (i > from) {
      const step = series.values[i] - series.values[i - 1];
      steps++;
      stepSum += step;
      stepSq += step * step;
      largestStep = Math.max(largestStep, Math.abs(step));
    }
  }
  const stepMean = stepSum / steps;
  const ks = ksTest(Float64Array.from(series.values.slice(from, to)).sort(), probation);
  return {
    mean,
    std: Math.sqrt(syy / n),
    slope: sxx > 0 ? sxy / sxx : 0,
    stepStd: Math.sqrt(Math.max(0, stepSq / steps - stepMean * stepMean)),
    largestStep,
    ks: ks.statistic,
    ksPValue: ks.pValue,
  };
}

/** First row at or after instant t (the row count when none). */
function rowAt(series: Series, t: number): number {
  let lo = 0;
  let hi = series.ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (series.ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** 24 h spans [from, to) starting every hour within rows [first, last), kept when `keep` says so. */
function hourlySpans(series: Series, first: number, last: number, keep: (from: number, to: number) => boolean): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let start = series.ts[first]; start + DAY <= series.ts[last - 1]; start += HOUR) {
    const from = rowAt(series, start);
    const to = rowAt(series, start + DAY);
    // A gap in the readings leaves a span short of a day: not comparable.
    if (series.ts[to - 1] - series.ts[from] < DAY - 2 * HOUR) continue;
    if (keep(from, to)) spans.push([from, to]);
  }
  return spans;
}

/** Share of the reference values strictly below v, in percent (ties count half). */
function rank(sorted: Float64Array, v: number): number {
  let below = 0;
  let equal = 0;
  for (const x of sorted) {
    if (x < v) below++;
    else if (x === v) equal++;
  }
  return (100 * (below + equal / 2)) / sorted.length;
}

function quantile(sorted: Float64Array, p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function precursorReport(series: Series, labels: NabLabels, fitRows: number): void {
  const probation = Float64Array.from(series.values.slice(0, fitRows)).sort();
  const stats = (spans: Array<[number, number]>) => spans.map(([from, to]) => spanStats(series, from, to, probation));
  const column = (all: SpanStats[], key: keyof SpanStats) => Float64Array.from(all.map((s) => s[key])).sort();
  const excluded = labels.windows.map(([start, end], w) => [Math.min(start, labels.labels[w] ?? start) - 2 * DAY, end] as const);
  const normal = stats(hourlySpans(series, fitRows, series.ts.length, (from, to) =>
    excluded.every(([s, e]) => series.ts[to - 1] < s || series.ts[from] > e)));
  const fit = stats(hourlySpans(series, 0, fitRows, () => true));
  if (normal.length === 0 || fit.length === 0) return;
  const cell = (text: string) => text.padStart(16);
  console.log(`  precursor check: statistics of 24 h spans; "pNN" = percentile among the ${normal.length} scored 24 h`);
  console.log('  spans outside every window and the two days before it (starts 1 h apart)');
  console.log(`  ${''.padEnd(34)}${STATS.map((s) => cell(s.title)).join('')}`);
  const range = (name: string, all: SpanStats[], lo: number, hi: number) =>
    console.log(`  ${name.padEnd(34)}${STATS.map((s) => {
      const c = column(all, s.key);
      return cell(`${quantile(c, lo).toFixed(s.digits)} … ${quantile(c, hi).toFixed(s.digits)}`);
    }).join('')}`);
  range(`probation (${fit.length} spans), min … max`, fit, 0, 1);
  range('scored normal, p5 … p95', normal, 0.05, 0.95);
  const drifted = (all: SpanStats[]) => ((100 * all.filter((s) => s.ksPValue < DEFAULT_DRIFT_OPTIONS.ksAlpha).length) / all.length).toFixed(0);
  console.log(`  KS p < ${DEFAULT_DRIFT_OPTIONS.ksAlpha} (drift-detect's default) in ${drifted(fit)} % of probation spans, ${drifted(normal)} % of scored normal spans`);
  const normalColumns = new Map(STATS.map((s) => [s.key, column(normal, s.key)]));
  labels.labels.forEach((label, w) => {
    for (const [name, from, to] of [['48–24 h before', label - 2 * DAY, label - DAY], ['24–0 h before', label - DAY, label]] as const) {
      const s = spanStats(series, rowAt(series, from), rowAt(series, to), probation);
      console.log(`  ${`label ${w + 1}, ${name}`.padEnd(34)}${STATS.map((st) =>
        cell(`${s[st.key].toFixed(st.digits)} p${rank(normalColumns.get(st.key) as Float64Array, s[st.key]).toFixed(0)}`)).join('')}`);
    }
  });
}
