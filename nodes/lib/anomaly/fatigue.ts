import {
  makeEvent, severityOf, severityRank, type AlertState, type AnomalyEvent, type DetectorScore, type EventSource,
  type ExpectedRange, type SeverityThresholds,
} from './events';

/**
 * Alert-fatigue controls for one key, independent of how the score was made:
 * - k-of-n: an episode starts when k of the last n scores are ≥ 1;
 * - hysteresis: it ends when the score stays below clearRatio for clearSamples in a row;
 * - cooldown: a 'firing' event follows the previous one of the key by at least cooldownMs,
 *   except when the severity escalates within an announced episode. While an episode lasts,
 *   a reading ≥ 1 after the cooldown repeats the 'firing' event (a reminder).
 * A 'resolved' event closes only episodes that announced themselves with a 'firing' event.
 */
export interface FatigueOptions {
  k: number;
  n: number;
  clearRatio: number;
  clearSamples: number;
  cooldownMs: number;
}

export const DEFAULT_FATIGUE: FatigueOptions = { k: 1, n: 1, clearRatio: 0.8, clearSamples: 3, cooldownMs: 60_000 };

export class FatigueState {
  /** Bit i set = the score i samples ago was ≥ 1. */
  recent = 0;
  firing = false;
  announced = false;
  below = 0;
  lastFiredAt = -Infinity;
  lastRank = -1;
  peakScore = 0;
}

function popcount(bits: number): number {
  let v = bits - ((bits >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Feeds one score; returns the event to emit, if any. `now` is the injected clock's time. */
export function stepFatigue(
  s: FatigueState,
  score: number,
  now: number,
  o: FatigueOptions,
  severities: SeverityThresholds,
): AlertState | undefined {
  const over = score >= severities.low;
  const mask = o.n >= 32 ? 0xffffffff : (1 << o.n) - 1;
  s.recent = ((s.recent << 1) | (over ? 1 : 0)) & mask;
  if (!s.firing) {
    if (!over || popcount(s.recent) < o.k) return undefined;
    s.firing = true;
    s.announced = false;
    s.below = 0;
    s.lastRank = -1;
    s.peakScore = score;
  } else if (score < o.clearRatio * severities.low) {
    if (++s.below < o.clearSamples) return undefined;
    const announced = s.announced;
    s.firing = false;
    s.announced = false;
    s.recent = 0;
    return announced ? 'resolved' : undefined;
  } else {
    s.below = 0;
    if (score > s.peakScore) s.peakScore = score;
  }
  if (!over) return undefined;
  const rank = severityRank(score, severities);
  if (now - s.lastFiredAt < o.cooldownMs && !(s.announced && rank > s.lastRank)) return undefined;
  s.lastFiredAt = now;
  s.announced = true;
  if (rank > s.lastRank) s.lastRank = rank;
  return 'firing';
}

/**
 * The event for a transition returned by stepFatigue: 'firing' carries the score's severity and
 * the detectors, 'resolved' the episode's peak severity and no detectors.
 */
export function alertEvent<V>(
  transition: AlertState,
  s: FatigueState,
  source: EventSource<V>,
  score: number,
  severities: SeverityThresholds,
  detectors: DetectorScore[],
  expected?: ExpectedRange,
): AnomalyEvent<V> {
  return transition === 'firing'
    ? makeEvent(source, score, severityOf(score, severities), detectors, expected)
    : makeEvent(source, score, severityOf(s.peakScore, severities), [], expected);
}

/**
 * The fatigue stage as every scorer uses it: steps a key's FatigueState with the injected clock,
 * keeps the count of firing keys, and builds the event of a transition.
 */
export class AlertStage {
  firingCount = 0;

  constructor(
    readonly options: FatigueOptions,
    readonly severities: SeverityThresholds,
    private readonly now: () => number,
  ) {}

  step(s: FatigueState, score: number): AlertState | undefined {
    const wasFiring = s.firing;
    const transition = stepFatigue(s, score, this.now(), this.options, this.severities);
    if (s.firing !== wasFiring) this.firingCount += s.firing ? 1 : -1;
    return transition;
  }

  event<V>(
    transition: AlertState,
    s: FatigueState,
    source: EventSource<V>,
    score: number,
    detectors: DetectorScore[],
    expected?: ExpectedRange,
  ): AnomalyEvent<V> {
    return alertEvent(transition, s, source, score, this.severities, detectors, expected);
  }
}
