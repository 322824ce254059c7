/**
 * ISO 10816 / 20816 evaluation zones from the broadband velocity RMS (mm/s, 10–1000 Hz):
 * A newly commissioned, B unrestricted long-term operation, C restricted operation, D damage.
 */
export type MachineClass = 'I' | 'II' | 'III' | 'IV';
export type IsoZone = 'A' | 'B' | 'C' | 'D';

export const MACHINE_CLASSES: readonly MachineClass[] = ['I', 'II', 'III', 'IV'];

/** Zone boundaries A/B, B/C, C/D in mm/s RMS per machine class (ISO 10816-1 table). */
export const ZONE_BOUNDARIES: Readonly<Record<MachineClass, readonly [number, number, number]>> = {
  I: [0.71, 1.8, 4.5],
  II: [1.12, 2.8, 7.1],
  III: [1.8, 4.5, 11.2],
  IV: [2.8, 7.1, 18],
};

export function isoZone(velocityRms: number, machineClass: MachineClass): IsoZone {
  const [ab, bc, cd] = ZONE_BOUNDARIES[machineClass];
  if (velocityRms < ab) return 'A';
  if (velocityRms < bc) return 'B';
  if (velocityRms < cd) return 'C';
  return 'D';
}
