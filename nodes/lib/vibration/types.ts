import type { WindowStats } from '../stats/types';
import type { DefectMultipliers } from './bearing';
import type { IsoZone, MachineClass } from './iso10816';

export type FaultType = 'normal' | 'imbalance' | 'misalignment' | 'looseness' | 'outer-race' | 'inner-race' | 'ball' | 'cage';

export const FAULT_TYPES: readonly FaultType[] = [
  'normal', 'imbalance', 'misalignment', 'looseness', 'outer-race', 'inner-race', 'ball', 'cage',
];

export type AccelerationUnit = 'g' | 'm/s²';

/** Standard gravity: 1 g in m/s². */
export const STANDARD_GRAVITY = 9.80665;

/** One accelerometer waveform to analyse. */
export interface Waveform {
  samples: ArrayLike<number>;
  /** Samples per second. */
  sampleRate: number;
  /** Shaft speed, revolutions per minute. */
  rpm: number;
  unit: AccelerationUnit;
  asset: string;
  sensor: string;
  /** Time of the first sample, epoch ms. */
  start: number;
}

/** A named frequency band whose RMS is reported as the feature `band_<name>`. */
export interface FrequencyBand {
  name: string;
  lowHz: number;
  highHz: number;
}

export interface AnalyzerOptions {
  /** Welch segment length (a power of two), or 'auto': the largest that gives at least 4 averages. */
  segmentSize: number | 'auto';
  /** Band of the velocity RMS, Hz (ISO 10816 / 20816: 10–1000 Hz). */
  velocityBand: [number, number];
  machineClass: MachineClass;
  multipliers: DefectMultipliers;
  /** Band-pass before the envelope, Hz, or 'auto': around the strongest high-frequency resonance. */
  envelopeBand: 'auto' | [number, number];
  /** Relative search half-width around running-speed orders (0.02 = ± 2 %). */
  orderTolerance: number;
  /** Relative search half-width around bearing defect frequencies (slip, speed error). */
  defectTolerance: number;
  bands: FrequencyBand[];
  /** Largest waveform accepted, in samples. */
  maxSamples: number;
}

/**
 * What output 1 carries: window statistics (usable wherever WindowStats is) plus the
 * vibration features. Amplitudes are in the waveform's unit; velocity in mm/s.
 */
export interface VibrationFeatures extends WindowStats {
  unit: AccelerationUnit;
  sampleRate: number;
  rpm: number;
  /** RMS velocity in the velocity band, mm/s. */
  velocityRms: number;
  /** Amplitudes (0-to-peak acceleration) at 1×, 2×, 3× running speed. */
  order1x: number;
  order2x: number;
  order3x: number;
  /** Envelope-spectrum amplitudes at the defect frequencies (0 where beyond the spectrum). */
  bpfo: number;
  bpfi: number;
  bsf: number;
  bsf2x: number;
  ftf: number;
  [band: `band_${string}`]: number;
}

/** One spectral line that supports (or was checked for) a finding. */
export interface Evidence {
  /** 'BPFO', '2×BPFO', '1×', 'BPFI−1×' ... */
  line: string;
  spectrum: 'spectrum' | 'envelope';
  expectedHz: number;
  hz: number;
  amplitude: number;
  floor: number;
  prominenceDb: number;
  /** Velocity RMS of the line, mm/s (running-speed orders only). */
  velocity?: number;
}

export interface Finding {
  fault: Exclude<FaultType, 'normal'>;
  /** Strength of the evidence: dB over the floor for bearing lines, dB over the zone A/B boundary for orders. */
  score: number;
  evidence: Evidence[];
}

export interface Diagnosis {
  asset: string;
  sensor: string;
  start: number;
  end: number;
  /** The most likely fault, or 'normal'. */
  fault: FaultType;
  zone: IsoZone;
  machineClass: MachineClass;
  velocityRms: number;
  runningSpeedHz: number;
  defectHz: DefectMultipliers;
  envelopeBand: { lowHz: number; highHz: number };
  /** Every fault with enough evidence, strongest first (bearing faults before running-speed faults). */
  findings: Finding[];
  /** The lines checked for each bearing fault, found or not. */
  checked: Evidence[];
}
