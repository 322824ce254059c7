import type { Analysis } from './analyzer';
import { chartPoints, type ChartPoint } from './chart';
import type { ChartMode } from './config';
import type { Diagnosis, VibrationFeatures } from './types';

/**
 * What the node sends for one waveform: plain data (no views on reused buffers), so it can be
 * built on a worker thread and posted back.
 */
export interface AnalysisResult {
  features: VibrationFeatures;
  diagnosis: Diagnosis;
  segmentSize: number;
  binHz: number;
  /** Points for the chart output; absent when it is off. */
  chart?: ChartPoint[];
}

export function resultOf(analysis: Analysis, chart: ChartMode): AnalysisResult {
  const { features, diagnosis, spectrum } = analysis;
  const result: AnalysisResult = { features, diagnosis, segmentSize: spectrum.fftSize, binHz: spectrum.binHz };
  if (chart === 'envelope') result.chart = chartPoints(analysis.envelope, 4 * diagnosis.defectHz.bpfi);
  else if (chart === 'spectrum') result.chart = chartPoints(spectrum);
  return result;
}
