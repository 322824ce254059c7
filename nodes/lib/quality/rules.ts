import { rejection, type Rejection } from '../errors';
import type { Reading } from '../reading';
import { RANGE_PROFILES, SENSOR_TYPES, type SensorType } from '../sensor-rules';
import type { KeyState } from './key-state';
import { worstQuality } from './opc-quality';

/** The per-sensor options of the data-quality checks (one row of the editor's rule table). */
export interface QualityRules {
  /** Plausible range, inclusive. */
  min: number;
  max: number;
  /** Largest plausible change per second against the previous accepted reading; Infinity = off. */
  maxRate: number;
  /** The same value this many readings in a row is a stuck sensor; 0 = off. */
  flatlineSamples: number;
  /** The same value for this many seconds is a stuck sensor; 0 = off. */
  flatlineSeconds: number;
}

export const UNBOUNDED_RULES: Readonly<QualityRules> = {
  min: -Infinity,
  max: Infinity,
  maxRate: Infinity,
  flatlineSamples: 0,
  flatlineSeconds: 0,
};

/** The sensor-type range profiles as rule defaults. */
export const TYPE_RANGES: Readonly<Partial<Record<SensorType, Partial<QualityRules>>>> = Object.fromEntries(
  SENSOR_TYPES.map((type) => [type, { min: RANGE_PROFILES[type].min, max: RANGE_PROFILES[type].max }]),
);

export type FlatlineAction = 'uncertain' | 'reject';
export type DuplicateMode = 'off' | 'ts' | 'ts+value';

/** Node-wide settings of the checks. */
export interface CheckPolicy {
  /** A ts further than this ahead of the clock is rejected. */
  futureToleranceMs: number;
  /** A ts older than this is rejected; 0 = no limit. */
  maxAgeMs: number;
  duplicates: DuplicateMode;
  flatlineAction: FlatlineAction;
}

/**
 * Runs the rule checks on one normalised reading of `state`'s key, in a fixed order: source
 * quality, future and stale time, duplicate, range, rate of change, flatline. An accepted
 * reading is recorded in `state` and gets its quality set ('uncertain' when it looks stuck and
 * flatlines are only flagged); a rejected one is marked 'bad' and leaves the state as it was,
 * except that a rejected flatline keeps the run going. A reading `stamped` with its arrival time
 * (the source sent no timestamp) is not checked for duplicates: its ts says nothing about the event.
 */
export function checkReading(
  reading: Reading,
  state: KeyState,
  policy: CheckPolicy,
  now: number,
  stamped = false,
): Rejection | undefined {
  const failure = firstFailure(reading, state, policy, now, stamped);
  if (failure !== undefined) {
    reading.quality = 'bad';
    return failure;
  }
  const stuck = state.extendRun(reading.value, reading.ts);
  if (stuck && policy.flatlineAction === 'reject') {
    reading.quality = 'bad';
    return rejection('FLATLINE', flatlineReason(state));
  }
  state.accept(reading.ts, reading.value);
  const quality = reading.quality ?? 'good';
  reading.quality = stuck ? worstQuality(quality, 'uncertain') : quality;
  return undefined;
}

function firstFailure(reading: Reading, state: KeyState, policy: CheckPolicy, now: number, stamped: boolean): Rejection | undefined {
  const { value, ts } = reading;
  if (reading.quality === 'bad') return rejection('BAD_QUALITY', 'the source marks this reading bad');
  if (ts > now + policy.futureToleranceMs) {
    return rejection('FUTURE_TIMESTAMP', `ts is ${seconds(ts - now)} s ahead of the clock (tolerance ${seconds(policy.futureToleranceMs)} s)`);
  }
  if (policy.maxAgeMs > 0 && ts < now - policy.maxAgeMs) {
    return rejection('STALE_TIMESTAMP', `ts is ${seconds(now - ts)} s old (limit ${seconds(policy.maxAgeMs)} s)`);
  }
  if (policy.duplicates !== 'off' && !stamped && state.isDuplicate(ts, value, policy.duplicates === 'ts+value')) {
    return rejection('DUPLICATE', `${state.key} already has a reading at ts ${ts}`);
  }
  const rules = state.rules;
  if (value < rules.min || value > rules.max) {
    return rejection('OUT_OF_RANGE', `value ${value} is outside ${rules.min}..${rules.max} for ${state.key} (${state.type})`);
  }
  // Only against an older accepted reading: an out-of-order one has no meaningful slope.
  if (rules.maxRate !== Infinity && ts > state.lastTs) {
    const rate = (Math.abs(value - state.lastValue) * 1000) / (ts - state.lastTs);
    if (rate > rules.maxRate) {
      return rejection('RATE_OF_CHANGE', `changes ${round(rate)}/s since the previous reading (limit ${rules.maxRate}/s)`);
    }
  }
  return undefined;
}

function flatlineReason(state: KeyState): string {
  const { flatlineSamples, flatlineSeconds } = state.rules;
  const limits = [flatlineSamples > 1 ? `${flatlineSamples} readings` : '', flatlineSeconds > 0 ? `${flatlineSeconds} s` : '']
    .filter(Boolean)
    .join(' or ');
  return `${state.key} has repeated the same value for ${limits}`;
}

function seconds(ms: number): number {
  return round(ms / 1000);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
