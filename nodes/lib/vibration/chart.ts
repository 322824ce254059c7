import type { SpectrumView } from './spectrum-view';

export interface ChartPoint {
  x: number;
  y: number;
}

export const MAX_CHART_POINTS = 1000;

/**
 * Spectrum points for a chart ({x: Hz, y: amplitude}) up to maxHz, at most maxPoints of them:
 * each point is the largest bin of its group, so decimation keeps the peaks.
 */
export function chartPoints(view: SpectrumView, maxHz = Infinity, maxPoints = MAX_CHART_POINTS): ChartPoint[] {
  const last = Math.min(view.bins - 1, Math.floor(maxHz / view.binHz));
  const group = Math.max(1, Math.ceil(last / maxPoints));
  const points: ChartPoint[] = [];
  for (let from = 1; from <= last; from += group) {
    const to = Math.min(last, from + group - 1);
    let best = from;
    for (let k = from + 1; k <= to; k++) if (view.amplitude[k] > view.amplitude[best]) best = k;
    points.push({ x: round(best * view.binHz), y: view.amplitude[best] });
  }
  return points;
}

function round(hz: number): number {
  return Math.round(hz * 1000) / 1000;
}
