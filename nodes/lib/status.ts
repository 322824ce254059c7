/**
 * Node status without node-red: a node hands in a function that sets its status, and this
 * class throttles updates (high-rate nodes must not flood the editor) and keeps the counters
 * that every status shows.
 */
export type StatusFill = 'green' | 'yellow' | 'red' | 'blue' | 'grey';
export type StatusShape = 'dot' | 'ring';

export interface NodeStatusLike {
  fill?: StatusFill;
  shape?: StatusShape;
  text?: string;
}

export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export const STATUS = {
  ok: (text: string): NodeStatusLike => ({ fill: 'green', shape: 'dot', text }),
  connecting: (text: string): NodeStatusLike => ({ fill: 'yellow', shape: 'ring', text }),
  error: (text: string): NodeStatusLike => ({ fill: 'red', shape: 'ring', text }),
  buffering: (text: string): NodeStatusLike => ({ fill: 'blue', shape: 'dot', text }),
  idle: (text: string): NodeStatusLike => ({ fill: 'grey', shape: 'ring', text }),
};

/**
 * Calls `apply` at most once per `intervalMs`. A status asked for inside the interval is
 * kept and applied when the interval ends, so the last state is always shown.
 */
export class ThrottledStatus {
  private lastApplied = -Infinity;
  private pending: NodeStatusLike | (() => NodeStatusLike) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastText: string | undefined;

  constructor(
    private readonly apply: (status: NodeStatusLike) => void,
    private readonly intervalMs = 500,
    private readonly now: Clock = systemClock,
  ) {}

  /**
   * A function in place of the status is called only when its status is applied, so a node
   * that sets its status for every message builds the text only for those shown.
   */
  set(status: NodeStatusLike | (() => NodeStatusLike)): void {
    if (typeof status !== 'function' && keyOf(status) === this.lastText && this.pending === undefined) return;
    const elapsed = this.now() - this.lastApplied;
    if (elapsed >= this.intervalMs && this.timer === undefined) {
      this.emitChanged(status);
      return;
    }
    this.pending = status;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const next = this.pending;
        this.pending = undefined;
        if (next) this.emitChanged(next);
      }, Math.max(0, this.intervalMs - elapsed));
      this.timer.unref?.();
    }
  }

  /** Applies a status at once, dropping anything pending (used on close and on errors). */
  force(status: NodeStatusLike): void {
    this.cancel();
    this.emit(status, keyOf(status));
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  /** Applies the status unless it is the one shown (a status object was checked when it was set). */
  private emitChanged(status: NodeStatusLike | (() => NodeStatusLike)): void {
    const shown = typeof status === 'function' ? status() : status;
    const key = keyOf(shown);
    if (typeof status === 'function' && key === this.lastText) return;
    this.emit(shown, key);
  }

  private emit(status: NodeStatusLike, key: string): void {
    this.lastApplied = this.now();
    this.lastText = key;
    this.apply(status);
  }
}

function keyOf(status: NodeStatusLike): string {
  return `${status.fill}|${status.shape}|${status.text}`;
}

/** Compact counts for a status text: 1234 → "1.2k", 5_600_000 → "5.6M". */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}
