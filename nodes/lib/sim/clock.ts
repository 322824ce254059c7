/** Simulated time that runs `acceleration` times faster than an injected real clock. */
export class SimClock {
  private realStart: number;

  constructor(
    readonly acceleration: number,
    /** Simulated epoch ms at the start. */
    readonly simStart: number,
    private readonly now: () => number = Date.now,
  ) {
    this.realStart = now();
  }

  /** Simulated epoch ms now. */
  simNow(): number {
    return this.simStart + (this.now() - this.realStart) * this.acceleration;
  }
}
