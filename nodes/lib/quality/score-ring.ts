/**
 * The share of good readings among the last `size` recorded: a ring of flags and a running
 * count, so each update is O(1) whatever the window.
 */
export class ScoreRing {
  private readonly flags: Uint8Array;
  private next = 0;
  private filled = 0;
  private good = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`score window must be a positive integer, got ${size}`);
    this.flags = new Uint8Array(size);
  }

  record(good: boolean): void {
    const flag = good ? 1 : 0;
    if (this.filled === this.flags.length) this.good -= this.flags[this.next];
    else this.filled++;
    this.flags[this.next] = flag;
    this.good += flag;
    this.next = this.next + 1 === this.flags.length ? 0 : this.next + 1;
  }

  /** Good share in [0, 1]; 1 before anything is recorded (nothing bad seen yet). */
  get score(): number {
    return this.filled === 0 ? 1 : this.good / this.filled;
  }

  get count(): number {
    return this.filled;
  }

  clear(): void {
    this.flags.fill(0);
    this.next = 0;
    this.filled = 0;
    this.good = 0;
  }
}
