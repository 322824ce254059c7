import { rejection, type Rejection } from '../errors';
import { assess } from './diagnosis';
import { EnvelopeAnalyzer, strongestBand } from './envelope';
import { nextPowerOfTwo, previousPowerOfTwo } from './fft';
import { SpectralKurtosis } from './kurtosis';
import type { Peak } from './peaks';
import { PeakFinder } from './peaks';
import type { SpectrumView } from './spectrum-view';
import { firstBadSample, TimeStatsCalculator } from './time-stats';
import {
  STANDARD_GRAVITY, type AnalyzerOptions, type Diagnosis, type VibrationFeatures, type Waveform,
} from './types';
import { WelchWorkspace } from './welch';

/** Everything one waveform yields. The spectra are views on reused buffers: valid until the next analyse call. */
export interface Analysis {
  features: VibrationFeatures;
  diagnosis: Diagnosis;
  spectrum: SpectrumView;
  envelope: SpectrumView;
}

export type AnalysisOutcome = { ok: true; analysis: Analysis } | { ok: false; error: Rejection };

/** Smallest Welch segment, and the averages the 'auto' segment size aims for. */
export const MIN_SEGMENT = 256;
const AUTO_AVERAGES = 4;
/**
 * In 'auto', running-speed orders lie at least this many bins apart, so that the Hann main
 * lobes (± 2 bins) of neighbouring harmonics stand clear of each other and of the floor between them.
 */
const MIN_BINS_PER_ORDER = 4;
/** The envelope band (auto mode) starts above the running-speed harmonics and is at least this wide. */
const AUTO_BAND_MIN_HZ = 500;
const AUTO_BAND_MIN_WIDTH_HZ = 1000;
export const MAX_RPM = 100_000;

/**
 * The vibration analysis of one accelerometer waveform: time statistics, Welch spectrum,
 * velocity RMS, running-speed orders, envelope spectrum at the bearing defect frequencies,
 * band RMS values and a diagnosis. Buffers are kept per segment size and reused.
 */
export class VibrationAnalyzer {
  private readonly stats = new TimeStatsCalculator();
  private readonly welch = new Map<number, WelchWorkspace>();
  private readonly envelopes = new EnvelopeAnalyzer();
  private readonly finder = new PeakFinder();
  private readonly kurtosis = new SpectralKurtosis();
  /** Samples that came as a plain array, as float64; reallocated only when the waveform length changes. */
  private converted = new Float64Array(0);

  constructor(readonly options: AnalyzerOptions) {}

  analyze(w: Waveform): AnalysisOutcome {
    const problem = this.check(w);
    if (problem) return { ok: false, error: problem };
    const n = w.samples.length;
    const fs = w.sampleRate;
    const runningHz = w.rpm / 60;
    const o = this.options;
    const samples = this.typed(w.samples);
    const time = this.stats.compute(samples, fs);
    // Typed-array samples are all numbers: a NaN or infinity among them makes the mean non-finite.
    if (!Number.isFinite(time.mean)) {
      const bad = badSample(w.samples);
      if (bad) return { ok: false, error: bad };
    }
    const welch = this.workspace(this.segmentSizeFor(n, fs, runningHz));
    const spectrum = welch.run(samples, time.mean, fs);
    const toMs2 = w.unit === 'g' ? STANDARD_GRAVITY : 1;
    const velocityRms = velocityRmsOf(spectrum, o.velocityBand[0], o.velocityBand[1], toMs2);

    const m = o.multipliers;
    const highestTone = Math.max(m.bpfi, 2 * m.bsf, m.bpfo) * runningHz;
    const [lowHz, highHz] = o.envelopeBand === 'auto' ? this.autoBand(samples, time.mean, spectrum, fs, runningHz, highestTone) : o.envelopeBand;
    const envelope = this.envelopes.run(welch, fs, lowHz, Math.min(highHz, fs / 2), 3.5 * highestTone + runningHz);

    const a = assess({
      spectrum, envelope, wholeEnvelope: this.envelopes.wholeWindow, runningHz, multipliers: m, velocityRms, machineClass: o.machineClass,
      toMetresPerSecond2: toMs2, orderTolerance: o.orderTolerance, defectTolerance: o.defectTolerance,
    }, this.finder);

    const end = w.start + (n / fs) * 1000;
    const features: VibrationFeatures = {
      asset: w.asset, sensor: w.sensor, start: w.start, end, unit: w.unit, ...time,
      sampleRate: fs, rpm: w.rpm, velocityRms,
      order1x: amplitudeOf(a.orders[0]), order2x: amplitudeOf(a.orders[1]), order3x: amplitudeOf(a.orders[2]),
      bpfo: amplitudeOf(a.defects.bpfo), bpfi: amplitudeOf(a.defects.bpfi), bsf: amplitudeOf(a.defects.bsf),
      bsf2x: amplitudeOf(a.defects.bsf2x), ftf: amplitudeOf(a.defects.ftf),
    };
    for (const band of o.bands) features[`band_${band.name}`] = Math.sqrt(spectrum.bandMeanSquare(band.lowHz, band.highHz));
    const diagnosis: Diagnosis = {
      asset: w.asset, sensor: w.sensor, start: w.start, end, fault: a.fault, zone: a.zone, machineClass: o.machineClass,
      velocityRms, runningSpeedHz: runningHz,
      defectHz: { bpfo: m.bpfo * runningHz, bpfi: m.bpfi * runningHz, bsf: m.bsf * runningHz, ftf: m.ftf * runningHz },
      envelopeBand: { lowHz, highHz }, findings: a.findings, checked: a.checked,
    };
    return { ok: true, analysis: { features, diagnosis, spectrum, envelope } };
  }

  /**
   * The Welch segment length used for n samples: in 'auto', the longest that keeps four averages,
   * or longer (fewer averages) where a slow shaft needs the finer bins to resolve its orders.
   */
  segmentSizeFor(n: number, sampleRate: number, runningHz: number): number {
    const configured = this.options.segmentSize;
    const limit = previousPowerOfTwo(n);
    if (configured !== 'auto') return Math.min(configured, limit);
    const averaged = previousPowerOfTwo((2 * n) / (AUTO_AVERAGES + 1));
    const resolving = nextPowerOfTwo((MIN_BINS_PER_ORDER * sampleRate) / runningHz);
    return Math.max(MIN_SEGMENT, Math.min(limit, Math.max(averaged, resolving)));
  }

  /**
   * The demodulation band: where the spectral kurtosis shows impacts, or else the strongest
   * high-frequency resonance. It starts above the running-speed harmonics and spans six times
   * the highest defect line (at least AUTO_BAND_MIN_WIDTH_HZ, at most 40 % of Nyquist).
   */
  private autoBand(
    samples: Float32Array | Float64Array, mean: number, spectrum: SpectrumView, fs: number, runningHz: number, highestTone: number,
  ): [number, number] {
    const minHz = Math.max(AUTO_BAND_MIN_HZ, 20 * runningHz);
    const widthHz = Math.min(Math.max(AUTO_BAND_MIN_WIDTH_HZ, 6 * highestTone), 0.4 * (fs / 2));
    return this.kurtosis.bestBand(samples, mean, fs, minHz, widthHz, highestTone) ?? strongestBand(spectrum, fs, minHz, widthHz);
  }

  /** The samples as a float typed array, so the passes over them see one or two array types, whatever the payload was. */
  private typed(samples: ArrayLike<number>): Float32Array | Float64Array {
    if (samples instanceof Float32Array || samples instanceof Float64Array) return samples;
    if (this.converted.length !== samples.length) this.converted = new Float64Array(samples.length);
    for (let i = 0; i < samples.length; i++) this.converted[i] = samples[i];
    return this.converted;
  }

  private check(w: Waveform): Rejection | undefined {
    const n = w.samples.length;
    if (n === 0) return rejection('INVALID_PAYLOAD', 'the waveform is empty');
    if (n > this.options.maxSamples) {
      return rejection('PAYLOAD_TOO_LARGE', `the waveform has ${n} samples, more than the limit of ${this.options.maxSamples}`);
    }
    if (!(Number.isFinite(w.sampleRate) && w.sampleRate > 0)) return rejection('OUT_OF_RANGE', `sample rate ${w.sampleRate} Hz is not a positive number`);
    if (!(Number.isFinite(w.rpm) && w.rpm > 0 && w.rpm <= MAX_RPM)) {
      return rejection('OUT_OF_RANGE', `running speed ${w.rpm} rpm is outside (0, ${MAX_RPM}]`);
    }
    const runningHz = w.rpm / 60;
    if (runningHz >= w.sampleRate / 2) {
      return rejection('OUT_OF_RANGE', `running speed ${runningHz.toFixed(1)} Hz is above the Nyquist frequency ${w.sampleRate / 2} Hz`);
    }
    const revolutionSamples = (w.sampleRate * 60) / w.rpm;
    if (n < revolutionSamples) {
      return rejection('OUT_OF_RANGE', `the waveform (${n} samples) is shorter than one revolution (${Math.ceil(revolutionSamples)} samples)`);
    }
    if (n < MIN_SEGMENT) return rejection('OUT_OF_RANGE', `the waveform has ${n} samples; at least ${MIN_SEGMENT} are needed`);
    return Array.isArray(w.samples) ? badSample(w.samples) : undefined;
  }

  private workspace(size: number): WelchWorkspace {
    let ws = this.welch.get(size);
    if (!ws) {
      ws = new WelchWorkspace(size);
      this.welch.set(size, ws);
    }
    return ws;
  }
}

/** RMS velocity (mm/s) in [lowHz, highHz] from an acceleration spectrum, integrated bin by bin (÷ 2πf). */
export function velocityRmsOf(spectrum: SpectrumView, lowHz: number, highHz: number, toMetresPerSecond2: number): number {
  const [from, to] = spectrum.binRange(lowHz, highHz);
  let total = 0;
  for (let k = Math.max(1, from); k <= to; k++) {
    const omega = 2 * Math.PI * k * spectrum.binHz;
    total += spectrum.power[k] / (omega * omega);
  }
  return Math.sqrt(total * spectrum.meanSquareFactor) * toMetresPerSecond2 * 1000;
}

function badSample(samples: ArrayLike<number>): Rejection | undefined {
  const bad = firstBadSample(samples);
  if (bad < 0) return undefined;
  const value = samples[bad];
  return typeof value === 'number'
    ? rejection('NON_FINITE', `sample ${bad} is ${value}`)
    : rejection('NOT_A_NUMBER', `sample ${bad} is not a number`);
}

function amplitudeOf(peak: Peak | undefined): number {
  return peak ? peak.amplitude : 0;
}
