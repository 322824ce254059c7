/**
 * What a healthy machine of each kind reads, and the ISO 10816-1 class II vibration zones the
 * velocity RMS is judged by (medium machines, 15–75 kW, rigid foundation).
 */
export type AssetKind = 'pump' | 'motor' | 'compressor' | 'conveyor';
export const ASSET_KINDS: readonly AssetKind[] = ['pump', 'motor', 'compressor', 'conveyor'];

export type SensorName =
  | 'vibration_rms'
  | 'vibration_peak'
  | 'bearing_temperature'
  | 'winding_temperature'
  | 'current'
  | 'speed'
  | 'pressure'
  | 'flow';

export const SENSOR_UNITS: Readonly<Record<SensorName, string>> = {
  vibration_rms: 'mm/s',
  vibration_peak: 'mm/s',
  bearing_temperature: '°C',
  winding_temperature: '°C',
  current: 'A',
  speed: 'rpm',
  pressure: 'bar',
  flow: 'm³/h',
};

/** Nominal values at rated load, temperatures above ambient. */
export interface MachineProfile {
  speed: number;
  vibrationRms: number;
  bearingRise: number;
  windingRise: number;
  current: number;
  /** Absent for machines without a process side. */
  pressure?: number;
  flow?: number;
}

export const PROFILES: Readonly<Record<AssetKind, MachineProfile>> = {
  pump: { speed: 2950, vibrationRms: 1.8, bearingRise: 30, windingRise: 50, current: 42, pressure: 4.5, flow: 120 },
  motor: { speed: 1480, vibrationRms: 1.5, bearingRise: 25, windingRise: 55, current: 60 },
  compressor: { speed: 2970, vibrationRms: 2.0, bearingRise: 38, windingRise: 60, current: 110, pressure: 7.5, flow: 600 },
  conveyor: { speed: 1450, vibrationRms: 1.4, bearingRise: 20, windingRise: 45, current: 25 },
};

export function sensorsOf(kind: AssetKind): SensorName[] {
  const base: SensorName[] = ['vibration_rms', 'vibration_peak', 'bearing_temperature', 'winding_temperature', 'current', 'speed'];
  return PROFILES[kind].pressure === undefined ? base : [...base, 'pressure', 'flow'];
}

export type IsoZone = 'A' | 'B' | 'C' | 'D';

/** Zone boundaries of velocity RMS (mm/s) for ISO 10816-1 class II. */
export const ISO_CLASS_II = { ab: 1.12, bc: 2.8, cd: 7.1 } as const;

export function isoZone(velocityRms: number): IsoZone {
  if (velocityRms <= ISO_CLASS_II.ab) return 'A';
  if (velocityRms <= ISO_CLASS_II.bc) return 'B';
  if (velocityRms <= ISO_CLASS_II.cd) return 'C';
  return 'D';
}
