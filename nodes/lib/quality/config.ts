import { PdmError } from '../errors';
import { isSensorType, type SensorRule } from '../sensor-rules';
import { DEFAULT_QUALITY_CONFIG, type QualityConfig } from './checker';
import type { KeyLimitAction } from './key-state';
import type { DuplicateMode, FlatlineAction, QualityRules } from './rules';

type Cell = string | number | null | undefined;

/** One row of the editor's rule table; an empty cell inherits the default or the type profile. */
export interface EditorRuleRow {
  match?: string;
  /** A SensorType, or empty to infer it from the sensor name. */
  type?: string;
  min?: Cell;
  max?: Cell;
  /** 0 turns the check off for the matching sensors. */
  maxRate?: Cell;
  flatlineSamples?: Cell;
  flatlineSeconds?: Cell;
}

/** The node's properties as the editor saves them (numbers may arrive as strings). */
export interface EditorQualityConfig {
  maxRate?: Cell;
  flatlineSamples?: Cell;
  flatlineSeconds?: Cell;
  flatlineAction?: string;
  /** Seconds. */
  futureTolerance?: Cell;
  /** Seconds; 0 = no limit. */
  maxAge?: Cell;
  duplicates?: string;
  scoreWindow?: Cell;
  maxBatch?: Cell;
  maxKeys?: Cell;
  keyLimit?: string;
  rules?: EditorRuleRow[];
}

const FLATLINE_ACTIONS: readonly FlatlineAction[] = ['uncertain', 'reject'];
const DUPLICATE_MODES: readonly DuplicateMode[] = ['off', 'ts', 'ts+value'];
const KEY_LIMITS: readonly KeyLimitAction[] = ['evict', 'reject'];

/** Editor properties → checker config; throws PdmError('INVALID_CONFIG') naming the bad field. */
export function qualityConfigFromEditor(editor: EditorQualityConfig): QualityConfig {
  const base = DEFAULT_QUALITY_CONFIG;
  const defaults: QualityRules = {
    ...base.defaults,
    maxRate: rate(number(editor.maxRate, 'max rate', 0)) ?? base.defaults.maxRate,
    flatlineSamples: samples(number(editor.flatlineSamples, 'flatline samples', 0)) ?? 0,
    flatlineSeconds: nonNegative(number(editor.flatlineSeconds, 'flatline seconds', 0), 'flatline seconds') ?? 0,
  };
  return {
    defaults,
    rules: (editor.rules ?? []).map(ruleFromRow),
    flatlineAction: choice(editor.flatlineAction, FLATLINE_ACTIONS, base.flatlineAction, 'flatline action'),
    futureToleranceMs: seconds(editor.futureTolerance, 'future tolerance', base.futureToleranceMs),
    maxAgeMs: seconds(editor.maxAge, 'max age', base.maxAgeMs),
    duplicates: choice(editor.duplicates, DUPLICATE_MODES, base.duplicates, 'duplicates'),
    scoreWindow: positiveInteger(editor.scoreWindow, 'score window', base.scoreWindow),
    maxBatch: positiveInteger(editor.maxBatch, 'max batch', base.maxBatch),
    maxKeys: positiveInteger(editor.maxKeys, 'max keys', base.maxKeys),
    keyLimit: choice(editor.keyLimit, KEY_LIMITS, base.keyLimit, 'key limit'),
  };
}

function ruleFromRow(row: EditorRuleRow, index: number): SensorRule<QualityRules> {
  const where = `rule ${index + 1}`;
  const match = typeof row.match === 'string' ? row.match.trim() : '';
  if (match === '') throw new PdmError('INVALID_CONFIG', `${where}: match is empty`);
  const type = row.type === undefined || row.type === '' ? undefined : row.type;
  if (type !== undefined && !isSensorType(type)) throw new PdmError('INVALID_CONFIG', `${where}: unknown sensor type "${type}"`);
  const options: Partial<QualityRules> = {
    min: number(row.min, `${where} min`),
    max: number(row.max, `${where} max`),
    maxRate: rate(number(row.maxRate, `${where} max rate`)),
    flatlineSamples: samples(number(row.flatlineSamples, `${where} flatline samples`)),
    flatlineSeconds: nonNegative(number(row.flatlineSeconds, `${where} flatline seconds`), `${where} flatline seconds`),
  };
  if (options.min !== undefined && options.max !== undefined && options.min > options.max) {
    throw new PdmError('INVALID_CONFIG', `${where}: min ${options.min} is above max ${options.max}`);
  }
  return { match, type, options };
}

/** An empty cell → `fallback`; anything else must be a finite number. */
function number(cell: Cell, field: string, fallback?: number): number | undefined {
  if (cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '')) return fallback;
  const value = typeof cell === 'number' ? cell : Number(cell);
  if (!Number.isFinite(value)) throw new PdmError('INVALID_CONFIG', `${field} must be a number, got "${String(cell)}"`);
  return value;
}

function nonNegative(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && value < 0) throw new PdmError('INVALID_CONFIG', `${field} must not be negative`);
  return value;
}

/** 0 (or less) switches the rate check off. */
function rate(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value > 0 ? value : Infinity;
}

/** 0 switches the sample-count flatline check off; 1 would flag every reading. */
function samples(value: number | undefined): number | undefined {
  if (value === undefined || value === 0) return value;
  if (!Number.isInteger(value) || value < 2) {
    throw new PdmError('INVALID_CONFIG', `flatline samples must be 0 (off) or a whole number of at least 2, got ${value}`);
  }
  return value;
}

function seconds(cell: Cell, field: string, fallbackMs: number): number {
  const value = nonNegative(number(cell, field), field);
  return value === undefined ? fallbackMs : value * 1000;
}

function positiveInteger(cell: Cell, field: string, fallback: number): number {
  const value = number(cell, field, fallback) as number;
  if (!Number.isInteger(value) || value < 1) throw new PdmError('INVALID_CONFIG', `${field} must be a whole number of at least 1`);
  return value;
}

function choice<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, field: string): T {
  if (value === undefined || value === '') return fallback;
  if (!allowed.includes(value as T)) throw new PdmError('INVALID_CONFIG', `${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}
