import { PdmError } from '../errors';

/** The timescale-write node's settings, as the editor stores them, and their checked form. */
export interface TimescaleWriteConfig {
  db?: string;
  batchSize?: string | number;
  flushInterval?: string | number;
  maxBuffered?: string | number;
  spill?: boolean;
}

export interface WriteSettings {
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedRows: number;
  spill: boolean;
}

function bounded(value: unknown, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new PdmError('INVALID_CONFIG', `${what} must be between ${min} and ${max}`);
  return n;
}

export function writeSettings(config: TimescaleWriteConfig): WriteSettings {
  return {
    batchSize: Math.round(bounded(config.batchSize, 5000, 1, 100_000, 'batch size')),
    flushIntervalMs: Math.round(bounded(config.flushInterval, 1, 0.05, 60, 'flush interval (s)') * 1000),
    maxBufferedRows: Math.round(bounded(config.maxBuffered, 100_000, 1000, 10_000_000, 'memory buffer')),
    spill: config.spill !== false,
  };
}
