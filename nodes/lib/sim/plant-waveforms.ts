/**
 * Raw acceleration waveforms of the simulated plant's machines, one per running asset per tick,
 * from the same fault schedule as the readings: a worn bearing shows as impacts at its defect
 * frequency ringing a resonance, growing with the fault's progress; misalignment as 1×/2× lines.
 */
import type { Reading } from '../reading';
import type { FaultType } from '../vibration/types';
import type { ProcessFault } from './faults';
import { PROFILES } from './machines';
import type { AssetSpec, PlantSimulator } from './plant';
import { generateWaveform, type GroundTruth } from './waveform';

export type BearingDefect = 'outer-race' | 'inner-race' | 'ball';
export const BEARING_DEFECTS: readonly BearingDefect[] = ['outer-race', 'inner-race', 'ball'];

export interface WaveformSettings {
  sampleRate: number;
  samples: number;
  /** The defect a bearing-wear fault shows as. */
  bearingDefect: BearingDefect;
}

/** What the spectrum node reads from a msg, plus the ground truth. */
export interface PlantWaveform {
  asset: string;
  sensor: string;
  samples: Float64Array;
  sampleRate: number;
  rpm: number;
  unit: 'g';
  /** Simulated epoch ms of the first sample. */
  ts: number;
  truth: GroundTruth;
}

export const WAVEFORM_SENSOR = 'acceleration';

function faultType(fault: ProcessFault, bearing: BearingDefect): FaultType {
  if (fault === 'bearing-wear') return bearing;
  if (fault === 'misalignment') return 'misalignment';
  return 'normal';
}

export class PlantWaveforms {
  private tick = 0;

  constructor(
    private readonly plant: PlantSimulator,
    private readonly assets: readonly AssetSpec[],
    private readonly settings: WaveformSettings,
    private readonly seed: number,
    /** Simulated epoch ms of the start of the run: waveform phases carry on from it. */
    private readonly start: number,
  ) {}

  /** One waveform per running asset at simulated time `ts`; `readings` are the same tick's (for the speed). */
  sample(ts: number, readings: readonly Reading[]): PlantWaveform[] {
    this.tick++;
    const out: PlantWaveform[] = [];
    this.assets.forEach((spec, index) => {
      const speed = readings.find((r) => r.asset === spec.id && r.sensor === 'speed');
      const rpm = speed === undefined ? PROFILES[spec.kind].speed : speed.value;
      if (!(rpm > 0)) return;
      let fault: FaultType = 'normal';
      let damage = 0;
      for (const f of this.plant.faultProgress(spec.id, ts)) {
        const type = faultType(f.fault, this.settings.bearingDefect);
        if (type !== 'normal' && f.progress >= damage) [fault, damage] = [type, f.progress];
      }
      const wave = generateWaveform({
        sampleRate: this.settings.sampleRate,
        samples: this.settings.samples,
        rpm,
        fault,
        damage,
        seed: (this.seed + index * 0x9e3779b1 + this.tick * 7919) >>> 0,
        startTime: (ts - this.start) / 1000,
      });
      out.push({
        asset: spec.id, sensor: WAVEFORM_SENSOR, samples: wave.samples, sampleRate: wave.sampleRate, rpm, unit: 'g', ts, truth: wave.truth,
      });
    });
    return out;
  }
}
