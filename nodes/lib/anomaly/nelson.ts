/**
 * Nelson rules (a superset of the Western Electric rules) on z = (x − mean)/σ of the baseline.
 * Bit r−1 of a result stands for rule r:
 * 1 one point beyond 3σ · 2 nine in a row on one side · 3 six in a row steadily rising or falling
 * 4 fourteen in a row alternating up and down · 5 two of three beyond 2σ on one side
 * 6 four of five beyond 1σ on one side · 7 fifteen in a row within 1σ · 8 eight in a row beyond
 * 1σ with points on both sides.
 */
export const NELSON_HISTORY = 15;

export class NelsonRing {
  private readonly z = new Float64Array(NELSON_HISTORY);
  private head = 0;
  count = 0;

  /** Adds a z value and returns the bits of the rules in `mask` that now hold. */
  push(z: number, mask: number): number {
    this.z[this.head] = z;
    this.head = (this.head + 1) % NELSON_HISTORY;
    if (this.count < NELSON_HISTORY) this.count++;
    let hits = 0;
    if (mask & 1 && Math.abs(z) > 3) hits |= 1;
    if (mask & 2 && this.sameSide(9, 0)) hits |= 2;
    if (mask & 4 && this.monotone(6)) hits |= 4;
    if (mask & 8 && this.alternating(14)) hits |= 8;
    if (mask & 16 && this.beyondOnOneSide(3, 2, 2)) hits |= 16;
    if (mask & 32 && this.beyondOnOneSide(5, 4, 1)) hits |= 32;
    if (mask & 64 && this.allWithin(15)) hits |= 64;
    if (mask & 128 && this.noneWithinBothSides(8)) hits |= 128;
    return hits;
  }

  /** Most recent first: at(0) is the value just pushed. */
  at(back: number): number {
    return this.z[(this.head - 1 - back + 2 * NELSON_HISTORY) % NELSON_HISTORY];
  }

  /** Plain form for persistence, oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = this.count - 1; i >= 0; i--) out.push(this.at(i));
    return out;
  }

  private sameSide(n: number, limit: number): boolean {
    if (this.count < n) return false;
    let above = 0;
    let below = 0;
    for (let i = 0; i < n; i++) {
      const z = this.at(i);
      if (z > limit) above++;
      else if (z < -limit) below++;
    }
    return above === n || below === n;
  }

  private monotone(n: number): boolean {
    if (this.count < n) return false;
    let rising = 0;
    let falling = 0;
    for (let i = 0; i < n - 1; i++) {
      const d = this.at(i) - this.at(i + 1);
      if (d > 0) rising++;
      else if (d < 0) falling++;
    }
    return rising === n - 1 || falling === n - 1;
  }

  private alternating(n: number): boolean {
    if (this.count < n) return false;
    let previous = 0;
    for (let i = 0; i < n - 1; i++) {
      const d = Math.sign(this.at(i) - this.at(i + 1));
      if (d === 0 || d === previous) return false;
      previous = d;
    }
    return true;
  }

  private beyondOnOneSide(n: number, needed: number, limit: number): boolean {
    if (this.count < n) return false;
    let above = 0;
    let below = 0;
    for (let i = 0; i < n; i++) {
      const z = this.at(i);
      if (z > limit) above++;
      else if (z < -limit) below++;
    }
    return above >= needed || below >= needed;
  }

  private allWithin(n: number): boolean {
    if (this.count < n) return false;
    for (let i = 0; i < n; i++) if (Math.abs(this.at(i)) >= 1) return false;
    return true;
  }

  private noneWithinBothSides(n: number): boolean {
    if (this.count < n) return false;
    let above = 0;
    let below = 0;
    for (let i = 0; i < n; i++) {
      const z = this.at(i);
      if (z > 1) above++;
      else if (z < -1) below++;
    }
    return above + below === n && above > 0 && below > 0;
  }
}

/** Rule numbers (1..8) of a bit set. */
export function nelsonRuleList(bits: number): number[] {
  const rules: number[] = [];
  for (let r = 0; r < 8; r++) if (bits & (1 << r)) rules.push(r + 1);
  return rules;
}
