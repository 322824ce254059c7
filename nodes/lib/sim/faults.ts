/**
 * Fault types of the simulated plant and how each one bends a machine's signals as its
 * progress runs from 0 (onset) to 1 (failure).
 */
import { ISO_CLASS_II, PROFILES, type AssetKind, type SensorName } from './machines';

export type ProcessFault = 'bearing-wear' | 'misalignment' | 'cavitation' | 'overheating';
export type SensorFault = 'stuck' | 'spike' | 'drift' | 'dropout';
export type PlantFault = ProcessFault | SensorFault;

export const PROCESS_FAULTS: readonly ProcessFault[] = ['bearing-wear', 'misalignment', 'cavitation', 'overheating'];
export const SENSOR_FAULTS: readonly SensorFault[] = ['stuck', 'spike', 'drift', 'dropout'];
export const PLANT_FAULTS_ALL: readonly PlantFault[] = [...PROCESS_FAULTS, ...SENSOR_FAULTS];

export function isSensorFault(fault: PlantFault): fault is SensorFault {
  return (SENSOR_FAULTS as readonly string[]).includes(fault);
}

export function faultApplies(fault: PlantFault, kind: AssetKind): boolean {
  return fault !== 'cavitation' || PROFILES[kind].pressure !== undefined;
}

/** Velocity RMS at failure of a worn bearing: well inside zone D. */
const BEARING_FAILURE_RMS = 1.3 * ISO_CLASS_II.cd;

/** The physical state of one running machine before sensor noise and sensor faults. */
export interface MachineState {
  vibrationRms: number;
  crestFactor: number;
  /** Relative standard deviation of the vibration RMS from sample to sample. */
  vibrationNoise: number;
  bearingRise: number;
  windingRise: number;
  current: number;
  speed: number;
  pressure: number;
  flow: number;
  /** Relative standard deviation of pressure and flow. */
  processNoise: number;
}

export function healthyState(kind: AssetKind, state: MachineState): void {
  const p = PROFILES[kind];
  state.vibrationRms = p.vibrationRms;
  state.crestFactor = 3;
  state.vibrationNoise = 0.06;
  state.bearingRise = p.bearingRise;
  state.windingRise = p.windingRise;
  state.current = p.current;
  state.speed = p.speed;
  state.pressure = p.pressure ?? 0;
  state.flow = p.flow ?? 0;
  state.processNoise = 0.01;
}

/** Applies a process fault at progress 0..1 on top of the state (faults compose). */
export function applyProcessFault(fault: ProcessFault, kind: AssetKind, progress: number, state: MachineState): void {
  const p = PROFILES[kind];
  switch (fault) {
    case 'bearing-wear': {
      // Spalls grow on their own: velocity RMS rises exponentially from nominal to zone D.
      const growth = Math.log(BEARING_FAILURE_RMS / p.vibrationRms);
      const factor = Math.exp(growth * progress);
      state.vibrationRms *= factor;
      state.crestFactor += 3 * progress;
      state.bearingRise += 35 * (factor - 1) / (Math.exp(growth) - 1);
      break;
    }
    case 'misalignment':
      // 1× and 2× running-speed lines rise; the coupling loads the bearings.
      state.vibrationRms *= 1 + 3.2 * progress;
      state.bearingRise += 18 * progress;
      state.current *= 1 + 0.05 * progress;
      break;
    case 'cavitation':
      // Collapsing vapour bubbles: broadband, erratic vibration and a falling head and flow.
      state.vibrationRms *= 1 + 1.5 * progress;
      state.vibrationNoise += 0.5 * progress;
      state.crestFactor += 1.5 * progress;
      state.pressure *= 1 - 0.35 * progress;
      state.flow *= 1 - 0.3 * progress;
      state.processNoise += 0.08 * progress;
      state.current *= 1 - 0.08 * progress;
      break;
    case 'overheating':
      // Blocked cooling or overload: the winding reaches its insulation limit (class F, 155 °C).
      state.windingRise += 85 * progress * progress + 10 * progress;
      state.current *= 1 + 0.2 * progress;
      state.bearingRise += 6 * progress;
      break;
  }
}

/** A stopped machine after a failure, until it is repaired. */
export function stoppedState(state: MachineState): void {
  state.vibrationRms = 0.05;
  state.crestFactor = 3;
  state.vibrationNoise = 0.3;
  state.bearingRise = 0;
  state.windingRise = 0;
  state.current = 0;
  state.speed = 0;
  state.pressure = 0;
  state.flow = 0;
  state.processNoise = 0;
}

export function stateValue(state: MachineState, sensor: SensorName, ambient: number): number {
  switch (sensor) {
    case 'vibration_rms':
      return state.vibrationRms;
    case 'vibration_peak':
      return state.vibrationRms * state.crestFactor;
    case 'bearing_temperature':
      return ambient + state.bearingRise;
    case 'winding_temperature':
      return ambient + state.windingRise;
    case 'current':
      return state.current;
    case 'speed':
      return state.speed;
    case 'pressure':
      return state.pressure;
    case 'flow':
      return state.flow;
  }
}
