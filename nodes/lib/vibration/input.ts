import { rejection, type Rejection } from '../errors';
import { describeType, parseTopic } from '../reading';
import { parseUnit, type SpectrumSettings } from './config';
import type { Waveform } from './types';

/** The msg fields a waveform comes in. */
export interface WaveformMessage {
  payload?: unknown;
  topic?: unknown;
  sampleRate?: unknown;
  rpm?: unknown;
  unit?: unknown;
  asset?: unknown;
  sensor?: unknown;
  /** Time of the first sample, epoch ms. */
  ts?: unknown;
}

export type WaveformResult = { ok: true; waveform: Waveform } | { ok: false; error: Rejection };

/**
 * Reads a waveform from a msg: samples from msg.payload (an array or typed array), the rest
 * from msg properties with the node's settings as defaults. The samples are not copied.
 */
export function waveformFromMessage(msg: WaveformMessage, settings: SpectrumSettings, now: () => number): WaveformResult {
  const samples = samplesOf(msg.payload);
  if (!samples) return fail('INVALID_PAYLOAD', `msg.payload must be an array or typed array of samples, got ${describeType(msg.payload)}`);
  if (samples.length > settings.analyzer.maxSamples) {
    return fail('PAYLOAD_TOO_LARGE', `the waveform has ${samples.length} samples, more than the limit of ${settings.analyzer.maxSamples}`);
  }
  const sampleRate = numberField(msg.sampleRate, settings.sampleRate, 'msg.sampleRate');
  if (typeof sampleRate !== 'number') return { ok: false, error: sampleRate };
  const rpm = numberField(msg.rpm, settings.rpm, 'msg.rpm');
  if (typeof rpm !== 'number') return { ok: false, error: rpm };
  const unit = msg.unit === undefined || msg.unit === '' ? settings.unit : parseUnit(msg.unit);
  if (!unit) return fail('INVALID_PAYLOAD', `msg.unit must be "g" or "m/s²", got ${JSON.stringify(msg.unit)}`);
  const topic = parseTopic(msg.topic);
  const asset = textField(msg.asset) ?? topic?.asset ?? settings.asset;
  const sensor = textField(msg.sensor) ?? topic?.sensor ?? settings.sensor;
  if (!asset) return fail('MISSING_FIELD', 'no asset: set msg.asset, msg.topic "asset/sensor" or the node\'s asset');
  if (!sensor) return fail('MISSING_FIELD', 'no sensor: set msg.sensor, msg.topic "asset/sensor" or the node\'s sensor');
  let start: number;
  if (msg.ts === undefined) start = now() - (samples.length / sampleRate) * 1000;
  else if (typeof msg.ts === 'number' && Number.isFinite(msg.ts)) start = msg.ts;
  else return fail('BAD_TIMESTAMP', `msg.ts must be epoch milliseconds, got ${describeType(msg.ts)}`);
  return { ok: true, waveform: { samples, sampleRate, rpm, unit, asset, sensor, start } };
}

function samplesOf(payload: unknown): ArrayLike<number> | undefined {
  if (Array.isArray(payload)) return payload as number[];
  if (ArrayBuffer.isView(payload) && !(payload instanceof DataView) && !Buffer.isBuffer(payload)) {
    if (payload instanceof BigInt64Array || payload instanceof BigUint64Array) return undefined;
    return payload as unknown as ArrayLike<number>;
  }
  return undefined;
}

function numberField(value: unknown, fallback: number | undefined, name: string): number | Rejection {
  if (value === undefined || value === null || value === '') {
    return fallback ?? rejection('MISSING_FIELD', `${name} is missing and the node has no default`);
  }
  if (typeof value !== 'number') return rejection('NOT_A_NUMBER', `${name} must be a number, got ${describeType(value)}`);
  return value;
}

function textField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function fail(code: Rejection['code'], reason: string): WaveformResult {
  return { ok: false, error: rejection(code, reason) };
}
