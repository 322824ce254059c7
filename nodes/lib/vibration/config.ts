import { PdmError } from '../errors';
import {
  BEARING_6205, geometryProblem, multipliersFromGeometry, multipliersProblem, type DefectMultipliers,
} from './bearing';
import { isPowerOfTwo } from './fft';
import { MACHINE_CLASSES, type MachineClass } from './iso10816';
import { MAX_WORKERS } from './pool';
import type { AccelerationUnit, AnalyzerOptions, FrequencyBand } from './types';

/** The spectrum node's editor fields (strings or numbers, as the editor stores them). */
export interface SpectrumConfig {
  asset?: string;
  sensor?: string;
  sampleRate?: string | number;
  rpm?: string | number;
  unit?: string;
  segmentSize?: string | number;
  velocityLow?: string | number;
  velocityHigh?: string | number;
  machineClass?: string;
  bearingMode?: string;
  balls?: string | number;
  ballDiameter?: string | number;
  pitchDiameter?: string | number;
  contactAngle?: string | number;
  bpfo?: string | number;
  bpfi?: string | number;
  bsf?: string | number;
  ftf?: string | number;
  envelopeMode?: string;
  envelopeLow?: string | number;
  envelopeHigh?: string | number;
  orderTolerance?: string | number;
  defectTolerance?: string | number;
  bands?: Array<{ name?: string; low?: string | number; high?: string | number }>;
  chart?: string;
  maxSamples?: string | number;
  workers?: string | number;
}

export type ChartMode = 'off' | 'spectrum' | 'envelope';

/** What the node needs besides the analyzer's options: defaults for fields a msg may leave out. */
export interface SpectrumSettings {
  analyzer: AnalyzerOptions;
  asset?: string;
  sensor?: string;
  sampleRate?: number;
  rpm?: number;
  unit: AccelerationUnit;
  chart: ChartMode;
  /** Worker threads that analyse waveforms; 0 analyses them on the flow's own thread. */
  workers: number;
}

export const DEFAULT_MAX_SAMPLES = 1_048_576;
const MAX_SEGMENT = 65_536;
const BAND_NAME = /^[A-Za-z0-9_]{1,40}$/;

export function settingsFromConfig(c: SpectrumConfig): SpectrumSettings {
  const unit = c.unit === undefined || c.unit === '' ? 'g' : parseUnit(c.unit);
  if (!unit) throw invalid(`unknown unit "${c.unit}"`);
  const machineClass = (c.machineClass || 'II') as MachineClass;
  if (!MACHINE_CLASSES.includes(machineClass)) throw invalid(`unknown machine class "${c.machineClass}"`);
  const velocityBand: [number, number] = [num(c.velocityLow, 10), num(c.velocityHigh, 1000)];
  if (!(velocityBand[0] > 0 && velocityBand[1] > velocityBand[0])) throw invalid('the velocity band must satisfy 0 < low < high');
  const chart = (c.chart || 'off') as ChartMode;
  if (!['off', 'spectrum', 'envelope'].includes(chart)) throw invalid(`unknown chart output "${c.chart}"`);
  const maxSamples = num(c.maxSamples, DEFAULT_MAX_SAMPLES);
  if (!(Number.isInteger(maxSamples) && maxSamples >= 256)) throw invalid('the sample limit must be an integer ≥ 256');
  const workers = num(c.workers, 0);
  if (!(Number.isInteger(workers) && workers >= 0 && workers <= MAX_WORKERS)) throw invalid(`the worker count must be an integer from 0 to ${MAX_WORKERS}`);
  return {
    analyzer: {
      segmentSize: segmentSize(c.segmentSize),
      velocityBand,
      machineClass,
      multipliers: multipliers(c),
      envelopeBand: envelopeBand(c),
      orderTolerance: percent(c.orderTolerance, 2, 'order tolerance'),
      defectTolerance: percent(c.defectTolerance, 2, 'defect-frequency tolerance'),
      bands: bands(c.bands ?? []),
      maxSamples,
    },
    asset: text(c.asset),
    sensor: text(c.sensor),
    sampleRate: positiveOrUndefined(c.sampleRate, 'sample rate'),
    rpm: positiveOrUndefined(c.rpm, 'running speed'),
    unit,
    chart,
    workers,
  };
}

export function parseUnit(value: unknown): AccelerationUnit | undefined {
  if (value === 'g' || value === 'G') return 'g';
  if (value === 'm/s²' || value === 'm/s2' || value === 'm/s^2') return 'm/s²';
  return undefined;
}

function segmentSize(value: string | number | undefined): number | 'auto' {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  const n = Number(value);
  if (!isPowerOfTwo(n) || n < 256 || n > MAX_SEGMENT) throw invalid(`segment length ${value} must be a power of two from 256 to ${MAX_SEGMENT}`);
  return n;
}

function multipliers(c: SpectrumConfig): DefectMultipliers {
  if (c.bearingMode === 'multipliers') {
    const m = { bpfo: Number(c.bpfo), bpfi: Number(c.bpfi), bsf: Number(c.bsf), ftf: Number(c.ftf) };
    const problem = multipliersProblem(m);
    if (problem) throw invalid(problem);
    return m;
  }
  const g = {
    balls: num(c.balls, BEARING_6205.balls),
    ballDiameter: num(c.ballDiameter, BEARING_6205.ballDiameter),
    pitchDiameter: num(c.pitchDiameter, BEARING_6205.pitchDiameter),
    contactAngle: num(c.contactAngle, BEARING_6205.contactAngle),
  };
  const problem = geometryProblem(g);
  if (problem) throw invalid(problem);
  return multipliersFromGeometry(g);
}

function envelopeBand(c: SpectrumConfig): 'auto' | [number, number] {
  if (c.envelopeMode !== 'manual') return 'auto';
  const low = Number(c.envelopeLow);
  const high = Number(c.envelopeHigh);
  if (!(low > 0 && high > low)) throw invalid('the envelope band must satisfy 0 < low < high');
  return [low, high];
}

function bands(rows: NonNullable<SpectrumConfig['bands']>): FrequencyBand[] {
  const seen = new Set<string>();
  return rows.map((row) => {
    const name = String(row.name ?? '');
    if (!BAND_NAME.test(name)) throw invalid(`band name "${name}" must be 1–40 letters, digits or _`);
    if (seen.has(name)) throw invalid(`band name "${name}" is used twice`);
    seen.add(name);
    const lowHz = Number(row.low);
    const highHz = Number(row.high);
    if (!(lowHz >= 0 && highHz > lowHz)) throw invalid(`band "${name}" must satisfy 0 ≤ low < high`);
    return { name, lowHz, highHz };
  });
}

function percent(value: string | number | undefined, fallback: number, what: string): number {
  const p = num(value, fallback);
  if (!(p > 0 && p <= 20)) throw invalid(`the ${what} must be from 0 to 20 %`);
  return p / 100;
}

function positiveOrUndefined(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw invalid(`the ${what} must be a positive number or blank`);
  return n;
}

function num(value: string | number | undefined, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value);
}

function text(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function invalid(reason: string): PdmError {
  return new PdmError('INVALID_CONFIG', reason);
}
