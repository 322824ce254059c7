/**
 * Synthetic accelerometer waveforms (in g) of a machine running to failure: running-speed
 * harmonics, a structural resonance excited by broadband forces, white sensor noise, and a
 * fault whose signature grows with a damage parameter 0..1. Bearing defects are impacts at the
 * defect frequency (with slip jitter) that ring the resonance. Pure and seeded: the same spec
 * gives the same samples.
 */
import { BEARING_6205, multipliersFromGeometry, type DefectMultipliers } from '../vibration/bearing';
import { STANDARD_GRAVITY, type FaultType } from '../vibration/types';

export interface WaveformSpec {
  sampleRate: number;
  /** Number of samples. */
  samples: number;
  rpm: number;
  fault: FaultType;
  /** 0 = healthy, 1 = end of life. */
  damage: number;
  seed: number;
  /** Seconds since the run started at the first sample (phases carry on across windows). */
  startTime?: number;
  multipliers?: DefectMultipliers;
  /** Structural resonance, Hz (default the lower of 3 kHz and 30 % of the sample rate). */
  resonanceHz?: number;
  /** Damping ratio of the resonance. */
  resonanceDamping?: number;
  /** Sensor noise RMS, g. */
  noiseRms?: number;
  /** When set, the sensor noise is chosen so that bearing impacts / noise power is this many dB. */
  snrDb?: number;
  /** Relative standard deviation of the interval between impacts (rolling elements slip). */
  slipJitter?: number;
  /** Peak acceleration of one impact at damage 1, g. */
  impactAmplitude?: number;
}

export interface GroundTruth {
  fault: FaultType;
  damage: number;
  /** The fault's characteristic frequency (Hz) where there is one. */
  faultHz?: number;
}

export interface GeneratedWaveform {
  samples: Float64Array;
  sampleRate: number;
  rpm: number;
  truth: GroundTruth;
}

/** Velocity RMS (mm/s) of the healthy 1×, 2×, 3× lines, and what a fault at damage 1 adds. */
const HEALTHY_ORDERS_MM_S = [0.8, 0.3, 0.15];
const SHAFT_FAULT_MM_S = 10;
const LOOSENESS_ORDERS = 10;
const STRUCTURAL_RMS_G = 0.02;

export function generateWaveform(spec: WaveformSpec): GeneratedWaveform {
  const fs = spec.sampleRate;
  const n = spec.samples;
  const damage = Math.min(1, Math.max(0, spec.damage));
  const random = gaussian(spec.seed);
  const uniform = mulberry32(spec.seed ^ 0x9e3779b9);
  const t0 = spec.startTime ?? 0;
  const runningHz = spec.rpm / 60;
  const m = spec.multipliers ?? multipliersFromGeometry(BEARING_6205);
  const resonanceHz = spec.resonanceHz ?? Math.min(3000, 0.3 * fs);
  const zeta = spec.resonanceDamping ?? 0.05;
  const x = new Float64Array(n);

  addOrders(x, fs, t0, runningHz, orderVelocities(spec.fault, damage), uniform);
  addStructural(x, fs, resonanceHz, zeta, STRUCTURAL_RMS_G * (1 + 2 * damage * damage), random);

  const impacts = new Float64Array(n);
  const faultHz = addImpacts(impacts, spec, m, damage, resonanceHz, zeta, uniform, random);
  let impactPower = 0;
  for (let i = 0; i < n; i++) {
    x[i] += impacts[i];
    impactPower += impacts[i] * impacts[i];
  }
  impactPower /= n;
  const noiseRms = spec.snrDb !== undefined && impactPower > 0
    ? Math.sqrt(impactPower / Math.pow(10, spec.snrDb / 10))
    : (spec.noiseRms ?? 0.01);
  for (let i = 0; i < n; i++) x[i] += noiseRms * random();
  const shaftHz = spec.fault === 'misalignment' ? 2 * runningHz : runningHz;
  return {
    samples: x, sampleRate: fs, rpm: spec.rpm,
    truth: { fault: spec.fault, damage, faultHz: faultHz ?? (isShaftFault(spec.fault) ? shaftHz : undefined) },
  };
}

/** Damage over a run: none until `onset` (fraction of life), then growing faster towards the end. */
export function damageAt(progress: number, onset = 0.3): number {
  if (progress <= onset) return 0;
  return Math.min(1, Math.pow((progress - onset) / (1 - onset), 2));
}

export interface RunToFailureSpec extends Omit<WaveformSpec, 'damage' | 'startTime'> {
  /** Number of waveforms from new to failed. */
  steps: number;
  onset?: number;
  /** Seconds between waveforms. */
  interval?: number;
}

/** One waveform per step of a run to failure, with its ground truth. */
export function* runToFailure(spec: RunToFailureSpec): Generator<GeneratedWaveform & { step: number; progress: number }> {
  const interval = spec.interval ?? 60;
  for (let step = 0; step < spec.steps; step++) {
    const progress = spec.steps > 1 ? step / (spec.steps - 1) : 1;
    const damage = damageAt(progress, spec.onset);
    const w = generateWaveform({ ...spec, damage, startTime: step * interval, seed: (spec.seed + step * 7919) >>> 0 });
    yield { ...w, step, progress };
  }
}

function isShaftFault(fault: FaultType): boolean {
  return fault === 'imbalance' || fault === 'misalignment' || fault === 'looseness';
}

/** Velocity RMS per order 1..10 in mm/s. */
function orderVelocities(fault: FaultType, damage: number): number[] {
  const v = new Array<number>(LOOSENESS_ORDERS).fill(0);
  HEALTHY_ORDERS_MM_S.forEach((value, i) => (v[i] = value));
  const added = SHAFT_FAULT_MM_S * damage;
  if (fault === 'imbalance') v[0] += added;
  if (fault === 'misalignment') {
    v[0] += 0.5 * added;
    v[1] += added;
  }
  if (fault === 'looseness') for (let h = 0; h < LOOSENESS_ORDERS; h++) v[h] += added / Math.sqrt(h + 1);
  return v;
}

function addOrders(x: Float64Array, fs: number, t0: number, runningHz: number, velocities: number[], uniform: () => number): void {
  velocities.forEach((mmPerS, i) => {
    const f = (i + 1) * runningHz;
    const phase = 2 * Math.PI * uniform();
    if (mmPerS === 0 || f >= fs / 2) return;
    const amplitudeG = (mmPerS / 1000) * Math.SQRT2 * 2 * Math.PI * f / STANDARD_GRAVITY;
    const w = 2 * Math.PI * f;
    for (let k = 0; k < x.length; k++) x[k] += amplitudeG * Math.sin(w * (t0 + k / fs) + phase);
  });
}

/** White noise through a two-pole resonator, scaled to `rms`: the structure's own response. */
function addStructural(x: Float64Array, fs: number, hz: number, zeta: number, rms: number, random: () => number): void {
  const r = Math.exp(-zeta * 2 * Math.PI * hz / fs);
  const a1 = 2 * r * Math.cos(2 * Math.PI * hz / fs);
  const a2 = -r * r;
  const y = new Float64Array(x.length);
  let y1 = 0;
  let y2 = 0;
  let power = 0;
  for (let k = 0; k < x.length; k++) {
    const v = random() + a1 * y1 + a2 * y2;
    y2 = y1;
    y1 = v;
    y[k] = v;
    power += v * v;
  }
  const scale = power > 0 ? rms / Math.sqrt(power / x.length) : 0;
  for (let k = 0; k < x.length; k++) x[k] += y[k] * scale;
}

/** Bearing impacts ringing the resonance; returns the impact rate (Hz), or undefined for no bearing fault. */
function addImpacts(
  out: Float64Array, spec: WaveformSpec, m: DefectMultipliers, damage: number, resonanceHz: number, zeta: number,
  uniform: () => number, random: () => number,
): number | undefined {
  const runningHz = spec.rpm / 60;
  const rates: Partial<Record<FaultType, number>> = {
    'outer-race': m.bpfo * runningHz, 'inner-race': m.bpfi * runningHz, ball: 2 * m.bsf * runningHz, cage: m.ftf * runningHz,
  };
  const rate = rates[spec.fault];
  if (rate === undefined || damage <= 0) return rate;
  const fs = spec.sampleRate;
  const t0 = spec.startTime ?? 0;
  const amplitude = (spec.impactAmplitude ?? 1) * damage;
  const jitter = spec.slipJitter ?? 0.01;
  const decay = zeta * 2 * Math.PI * resonanceHz;
  const ringing = 2 * Math.PI * resonanceHz * Math.sqrt(1 - zeta * zeta);
  const length = Math.ceil((Math.log(1000) / decay) * fs);
  const duration = out.length / fs;
  for (let t = uniform() / rate; t < duration; t += (1 + jitter * random()) / rate) {
    const a = amplitude * modulation(spec.fault, t0 + t, runningHz, m.ftf * runningHz);
    const first = Math.ceil(t * fs);
    const last = Math.min(out.length - 1, first + length);
    for (let k = first; k <= last; k++) {
      const tau = k / fs - t;
      out[k] += a * Math.exp(-decay * tau) * Math.sin(ringing * tau);
    }
  }
  return rate;
}

/** Load-zone modulation: an inner-race defect turns with the shaft, a ball with the cage. */
function modulation(fault: FaultType, t: number, runningHz: number, cageHz: number): number {
  if (fault === 'inner-race') return 0.4 + 0.6 * (0.5 + 0.5 * Math.cos(2 * Math.PI * runningHz * t));
  if (fault === 'ball') return 0.4 + 0.6 * (0.5 + 0.5 * Math.cos(2 * Math.PI * cageHz * t));
  return 1;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a seeded generator. */
export function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}
