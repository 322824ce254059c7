import type { DefectMultipliers } from './bearing';
import { isoZone, ZONE_BOUNDARIES, type IsoZone, type MachineClass } from './iso10816';
import type { Peak, PeakFinder } from './peaks';
import type { SpectrumView } from './spectrum-view';
import type { Evidence, FaultType, Finding } from './types';

/**
 * Rule-based fault diagnosis. Thresholds come from the statistics of a noise-only spectrum, not
 * from any data set: a bin of an averaged power spectrum is chi-square distributed, so a line
 * 10 dB over the local median is a false alarm less than once in a thousand searches even
 * with a single segment, and two lines 6 dB over it together about as rarely.
 */
export const DETECT_DB = 10;
export const SUPPORT_DB = 6;
/**
 * Cage harmonics examined together in the whole-waveform envelope: a slow cage gives a few
 * impacts per window, whose comb is read better as a whole than from its first lines.
 */
const CAGE_COMB = 8;
/** Chance a noise-only spectrum may have of showing as many comb lines as were found. */
const COMB_FALSE_ALARM = 1e-3;
/** Running-speed harmonics examined for looseness. */
const MAX_ORDER = 10;
/** Prominent harmonics from 3× up that make a spectrum "looseness". */
const LOOSENESS_HARMONICS = 3;
/** Share of the velocity energy in 1×–3× above which vibration counts as synchronous. */
const SYNCHRONOUS_SHARE = 0.5;
/** 2× against 1× (velocity) from which misalignment is named rather than imbalance. */
const MISALIGNMENT_RATIO = 0.5;

interface BearingTone {
  fault: 'outer-race' | 'inner-race' | 'ball' | 'cage';
  /** Label of the fundamental; harmonics are written h×label (ball: in multiples of BSF). */
  label: string;
  multiple: (m: DefectMultipliers) => number;
}

const BEARING_TONES: readonly BearingTone[] = [
  { fault: 'outer-race', label: 'BPFO', multiple: (m) => m.bpfo },
  { fault: 'inner-race', label: 'BPFI', multiple: (m) => m.bpfi },
  { fault: 'ball', label: 'BSF', multiple: (m) => 2 * m.bsf },
  { fault: 'cage', label: 'FTF', multiple: (m) => m.ftf },
];

export interface DiagnosisInput {
  spectrum: SpectrumView;
  envelope: SpectrumView;
  /** The envelope spectrum over the whole waveform: finer bins, for the cage line. */
  wholeEnvelope: SpectrumView;
  runningHz: number;
  multipliers: DefectMultipliers;
  velocityRms: number;
  machineClass: MachineClass;
  /** m/s² per unit of the waveform. */
  toMetresPerSecond2: number;
  orderTolerance: number;
  defectTolerance: number;
}

export interface Assessment {
  fault: FaultType;
  zone: IsoZone;
  findings: Finding[];
  checked: Evidence[];
  /** Lines at 1×, 2×, 3× running speed (undefined beyond the spectrum). */
  orders: Array<Peak | undefined>;
  /** Envelope lines at the fundamental defect frequencies. */
  defects: { bpfo?: Peak; bpfi?: Peak; bsf?: Peak; bsf2x?: Peak; ftf?: Peak };
}

export function assess(input: DiagnosisInput, finder: PeakFinder): Assessment {
  const zone = isoZone(input.velocityRms, input.machineClass);
  const checked: Evidence[] = [];
  const bearing: Finding[] = [];
  const fundamentals = new Map<string, Peak | undefined>();
  for (const tone of BEARING_TONES) {
    const finding = bearingFinding(input, tone, finder, checked, fundamentals);
    if (finding) bearing.push(finding);
  }
  bearing.sort((a, b) => b.score - a.score);
  const orderPeaks: Array<Peak | undefined> = [];
  // The orders are a comb: its other lines are kept out of each one's floor.
  for (let h = 1; h <= MAX_ORDER; h++) orderPeaks.push(finder.find(input.spectrum, h * input.runningHz, input.orderTolerance, input.runningHz));
  const shaft = zone === 'A' ? undefined : shaftFinding(input, orderPeaks);
  const findings = shaft ? [...bearing, shaft] : bearing;
  return {
    fault: findings.length > 0 ? findings[0].fault : 'normal',
    zone,
    findings,
    checked,
    orders: orderPeaks.slice(0, 3),
    defects: {
      bpfo: fundamentals.get('BPFO'),
      bpfi: fundamentals.get('BPFI'),
      bsf: finder.find(input.envelope, input.multipliers.bsf * input.runningHz, input.defectTolerance),
      bsf2x: fundamentals.get('BSF'),
      ftf: fundamentals.get('FTF'),
    },
  };
}

function bearingFinding(
  input: DiagnosisInput, tone: BearingTone, finder: PeakFinder, checked: Evidence[], fundamentals: Map<string, Peak | undefined>,
): Finding | undefined {
  const base = tone.multiple(input.multipliers) * input.runningHz;
  // The cage turns at under half the shaft speed: its lines need the whole waveform's resolution.
  const envelope = tone.fault === 'cage' ? input.wholeEnvelope : input.envelope;
  const whole = envelope === input.wholeEnvelope;
  const harmonics = whole ? cageCombSize(input.multipliers) : 3;
  const prominence = [0, 0, 0];
  const evidence: Evidence[] = [];
  const supporting: Peak[] = [];
  const searched: Peak[] = [];
  for (let h = 1; h <= harmonics; h++) {
    const peak = finder.find(envelope, h * base, input.defectTolerance, base);
    if (h === 1) fundamentals.set(tone.label, peak);
    if (!peak) break;
    const line = evidenceOf(harmonicLabel(tone, h), 'envelope', peak);
    checked.push(line);
    searched.push(peak);
    if (h <= 3) prominence[h - 1] = peak.prominenceDb;
    if (peak.prominenceDb >= SUPPORT_DB) {
      evidence.push(line);
      supporting.push(peak);
    }
  }
  const [p1, p2, p3] = prominence;
  // A single (unaveraged) spectrum scatters more around its floor: there it takes a comb too full for noise.
  const detected = whole
    ? combFalseAlarm(searched, supporting.length) <= COMB_FALSE_ALARM
    : p1 >= DETECT_DB || (p1 >= SUPPORT_DB && Math.max(p2, p3) >= SUPPORT_DB);
  if (!detected) return undefined;
  let score = p1 + 0.5 * (Math.max(0, p2) + Math.max(0, p3));
  if (tone.fault === 'inner-race') {
    // An inner-race defect turns with the shaft through the load zone: sidebands at ± 1×.
    for (const sign of [-1, 1]) {
      const peak = finder.find(input.envelope, base + sign * input.runningHz, input.defectTolerance);
      if (peak && peak.prominenceDb >= SUPPORT_DB) {
        evidence.push(evidenceOf(sign < 0 ? 'BPFI−1×' : 'BPFI+1×', 'envelope', peak));
        score += 0.25 * peak.prominenceDb;
      }
    }
  }
  return { fault: tone.fault, score, evidence };
}

/** Cage harmonics in the comb: below the ball-pass line (BPFO = balls × FTF), which belongs to the outer race. */
function cageCombSize(m: DefectMultipliers): number {
  return Math.max(3, Math.min(CAGE_COMB, Math.ceil(m.bpfo / m.ftf) - 1));
}

/**
 * Probability that noise alone puts at least `found` of the searched lines SUPPORT_DB over
 * their floors. One bin of an unaveraged power spectrum is exponentially distributed, so it
 * exceeds r times its median with probability 2^−r; a line is the largest of its searched bins.
 */
export function combFalseAlarm(searched: readonly Peak[], found: number): number {
  const perBin = Math.pow(2, -Math.pow(10, SUPPORT_DB / 10));
  // chances[k]: probability that exactly k of the lines so far stand out (Poisson binomial).
  const chances = new Float64Array(searched.length + 1);
  chances[0] = 1;
  searched.forEach((peak, i) => {
    const p = 1 - Math.pow(1 - perBin, peak.searched);
    for (let k = i + 1; k >= 1; k--) chances[k] = chances[k] * (1 - p) + chances[k - 1] * p;
    chances[0] *= 1 - p;
  });
  let tail = 0;
  for (let k = found; k <= searched.length; k++) tail += chances[k];
  return tail;
}

function harmonicLabel(tone: BearingTone, h: number): string {
  if (tone.fault === 'ball') return `${2 * h}×BSF`;
  return h === 1 ? tone.label : `${h}×${tone.label}`;
}

/**
 * Imbalance, misalignment and looseness show at running-speed orders; they are named only
 * when the machine is past zone A and the orders carry most of the velocity energy.
 */
function shaftFinding(input: DiagnosisInput, peaks: Array<Peak | undefined>): Finding | undefined {
  const velocity = peaks.map((p) => (p ? velocityRmsOf(p, input.toMetresPerSecond2) : 0));
  const [v1, v2, v3] = velocity;
  const synchronous = v1 * v1 + v2 * v2 + v3 * v3;
  if (synchronous < SYNCHRONOUS_SHARE * input.velocityRms * input.velocityRms) return undefined;
  const evidence: Evidence[] = [];
  let prominentHigh = 0;
  peaks.forEach((peak, i) => {
    if (!peak || peak.prominenceDb < DETECT_DB) return;
    if (i >= 2) prominentHigh++;
    evidence.push({ ...evidenceOf(`${i + 1}×`, 'spectrum', peak), velocity: velocity[i] });
  });
  let fault: Finding['fault'];
  if (prominentHigh >= LOOSENESS_HARMONICS) fault = 'looseness';
  else if (v2 >= MISALIGNMENT_RATIO * v1) fault = 'misalignment';
  else if (peaks[0] && peaks[0].prominenceDb >= DETECT_DB) fault = 'imbalance';
  else return undefined;
  const score = 20 * Math.log10(Math.sqrt(synchronous) / ZONE_BOUNDARIES[input.machineClass][0]);
  return { fault, score, evidence };
}

/** Velocity RMS in mm/s of an acceleration line. */
export function velocityRmsOf(peak: Peak, toMetresPerSecond2: number): number {
  return ((peak.amplitude * toMetresPerSecond2) / (2 * Math.PI * peak.hz)) * 1000 * Math.SQRT1_2;
}

function evidenceOf(line: string, spectrum: Evidence['spectrum'], peak: Peak): Evidence {
  return {
    line, spectrum, expectedHz: peak.expectedHz, hz: peak.hz, amplitude: peak.amplitude, floor: peak.floor,
    prominenceDb: peak.prominenceDb,
  };
}
