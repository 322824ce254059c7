import type { KeyBy, TimeMode, WindowOptionsInput, WindowType } from './options';

/** The window-stats editor fields as saved in a flow (numbers may arrive as strings). */
export interface WindowStatsConfig {
  window?: string;
  /** Seconds, for tumbling and sliding windows. */
  size?: string | number;
  hop?: string | number;
  /** Readings, for count windows. */
  countSize?: string | number;
  countHop?: string | number;
  time?: string;
  /** Seconds. */
  lateness?: string | number;
  /** Seconds; blank for the automatic timeout. */
  idleTimeout?: string | number;
  keyBy?: string;
  maxKeys?: string | number;
  quantileCap?: string | number;
  output?: string;
}

export type OutputMode = 'window' | 'batch';

/** Editor fields → engine options; unset fields take the engine defaults, bad ones fail in the engine. */
export function optionsFromConfig(config: WindowStatsConfig): WindowOptionsInput {
  const window = (config.window || undefined) as WindowType | undefined;
  const isCount = window === 'count';
  return {
    window,
    size: isCount ? optionalNumber(config.countSize) : seconds(config.size),
    hop: isCount ? optionalNumber(config.countHop) : seconds(config.hop),
    time: (config.time || undefined) as TimeMode | undefined,
    latenessMs: seconds(config.lateness),
    idleMs: seconds(config.idleTimeout),
    keyBy: (config.keyBy || undefined) as KeyBy | undefined,
    maxKeys: optionalNumber(config.maxKeys),
    quantileCap: optionalNumber(config.quantileCap),
  };
}

export function outputModeOf(config: WindowStatsConfig): OutputMode {
  return config.output === 'batch' ? 'batch' : 'window';
}

function optionalNumber(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return Number(value);
}

function seconds(value: string | number | undefined): number | undefined {
  const n = optionalNumber(value);
  return n === undefined ? undefined : n * 1000;
}
