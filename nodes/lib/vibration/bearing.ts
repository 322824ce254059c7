/**
 * Rolling-element bearing defect frequencies as multiples of the shaft speed, from the bearing's
 * geometry (the usual kinematic formulas, no slip) or as published by the maker.
 */
export interface BearingGeometry {
  /** Number of rolling elements. */
  balls: number;
  /** Ball (rolling element) diameter, any length unit. */
  ballDiameter: number;
  /** Pitch diameter, same unit as the ball diameter. */
  pitchDiameter: number;
  /** Contact angle in degrees (0 for a deep-groove ball bearing under radial load). */
  contactAngle: number;
}

/** Defect frequencies per unit of shaft speed (multiply by the shaft frequency in Hz). */
export interface DefectMultipliers {
  /** Ball pass frequency, outer race. */
  bpfo: number;
  /** Ball pass frequency, inner race. */
  bpfi: number;
  /** Ball spin frequency (one ball revolution; a ball defect strikes the races at 2 × BSF). */
  bsf: number;
  /** Fundamental train (cage) frequency. */
  ftf: number;
}

/** SKF 6205-2RS JEM, the drive-end bearing of the Case Western Reserve University test rig (inches). */
export const BEARING_6205: BearingGeometry = { balls: 9, ballDiameter: 0.3126, pitchDiameter: 1.537, contactAngle: 0 };

export function multipliersFromGeometry(g: BearingGeometry): DefectMultipliers {
  const ratio = (g.ballDiameter / g.pitchDiameter) * Math.cos((g.contactAngle * Math.PI) / 180);
  return {
    bpfo: (g.balls / 2) * (1 - ratio),
    bpfi: (g.balls / 2) * (1 + ratio),
    bsf: (g.pitchDiameter / (2 * g.ballDiameter)) * (1 - ratio * ratio),
    ftf: 0.5 * (1 - ratio),
  };
}

/** Why a geometry cannot be a bearing, or undefined when it can. */
export function geometryProblem(g: BearingGeometry): string | undefined {
  if (!Number.isInteger(g.balls) || g.balls < 3 || g.balls > 100) return 'the number of balls must be an integer from 3 to 100';
  if (!(g.ballDiameter > 0)) return 'the ball diameter must be > 0';
  if (!(g.pitchDiameter > g.ballDiameter)) return 'the pitch diameter must be larger than the ball diameter';
  if (!(g.contactAngle >= 0 && g.contactAngle < 90)) return 'the contact angle must be from 0 to 90 degrees';
  return undefined;
}

export function multipliersProblem(m: DefectMultipliers): string | undefined {
  for (const [name, value] of Object.entries(m)) {
    if (!(Number.isFinite(value) && value > 0 && value < 100)) return `the ${name.toUpperCase()} multiplier must be a number from 0 to 100`;
  }
  return undefined;
}
