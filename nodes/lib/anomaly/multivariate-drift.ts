/**
 * Drift of each sensor across a training baseline: the change of its least-squares line from the
 * first to the last training vector, in units of the residual standard deviation around that line.
 * A sensor whose level moves by several times its own noise while the baseline is gathered is not
 * stationary there, so the baseline cannot describe its normal range.
 */
export function trainingDrift(rows: readonly ArrayLike<number>[], column: number): number {
  const n = rows.length;
  if (n < 3) return 0;
  const meanX = (n - 1) / 2;
  let meanY = 0;
  for (const row of rows) meanY += row[column] / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - meanX) * (rows[i][column] - meanY);
    sxx += (i - meanX) * (i - meanX);
  }
  const slope = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i][column] - meanY - slope * (i - meanX);
    sse += r * r;
  }
  const residualStd = Math.sqrt(sse / (n - 2));
  const change = Math.abs(slope) * (n - 1);
  if (residualStd <= 1e-12 * Math.max(1, Math.abs(meanY))) return change > 0 ? Infinity : 0;
  return change / residualStd;
}

/**
 * Indices of the columns kept for the model: those whose drift is at most `threshold`. The least
 * drifting column is always kept, so a model has at least one sensor.
 */
export function stationaryColumns(rows: readonly ArrayLike<number>[], columns: number, threshold: number): number[] {
  const drift = Array.from({ length: columns }, (_, j) => trainingDrift(rows, j));
  const kept = drift.map((_, j) => j).filter((j) => drift[j] <= threshold);
  if (kept.length > 0) return kept;
  return [drift.indexOf(Math.min(...drift))];
}
