/** The plant-sim node's editor fields (strings and numbers as the editor stores them) → options. */
import { PdmError } from '../errors';
import { isRecord } from '../reading';
import { PLANT_FAULTS_ALL, faultApplies, type PlantFault } from './faults';
import { ASSET_KINDS, sensorsOf, type AssetKind, type SensorName } from './machines';
import type { AssetSpec, PlantOptions, ScheduledFault } from './plant';

export interface PlantSimConfig {
  assetMode?: 'count' | 'json';
  assetCount?: number | string;
  assetKind?: string;
  assetsJson?: string;
  tickMs?: number | string;
  acceleration?: number | string;
  seed?: number | string;
  scheduleMode?: 'list' | 'random';
  scenarios?: unknown;
  ratePerMonth?: number | string;
  minFailureHours?: number | string;
  maxFailureHours?: number | string;
  repairHours?: number | string;
}

export interface PlantSimSettings {
  plant: Omit<PlantOptions, 'start'>;
  tickMs: number;
  acceleration: number;
}

const MAX_ASSETS = 10_000;

function invalid(reason: string): PdmError {
  return new PdmError('INVALID_CONFIG', reason);
}

function numberOf(value: unknown, name: string, fallback: number, min: number, max = Infinity): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw invalid(`${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  return n;
}

function kindOf(value: unknown, where: string): AssetKind {
  if (!ASSET_KINDS.includes(value as AssetKind)) throw invalid(`${where}: kind must be one of ${ASSET_KINDS.join(', ')}`);
  return value as AssetKind;
}

export function assetsFromConfig(config: PlantSimConfig): AssetSpec[] {
  if (config.assetMode === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(config.assetsJson ?? '');
    } catch {
      throw invalid('assets must be a JSON list of {"id", "kind"}');
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_ASSETS) throw invalid('assets must be a non-empty JSON list');
    const ids = new Set<string>();
    return parsed.map((item: unknown, i) => {
      if (!isRecord(item) || typeof item.id !== 'string' || item.id === '') throw invalid(`asset ${i + 1}: id must be a non-empty string`);
      if (ids.has(item.id)) throw invalid(`asset ${item.id} is listed twice`);
      ids.add(item.id);
      return { id: item.id, kind: kindOf(item.kind, `asset ${item.id}`) };
    });
  }
  const count = numberOf(config.assetCount, 'asset count', 4, 1, MAX_ASSETS);
  if (!Number.isInteger(count)) throw invalid('asset count must be a whole number');
  const kind = kindOf(config.assetKind ?? 'pump', 'assets');
  return Array.from({ length: count }, (_, i) => ({ id: `${kind}-${i + 1}`, kind }));
}

function scenariosFromConfig(raw: unknown, assets: AssetSpec[]): ScheduledFault[] {
  if (raw === undefined || raw === '') return [];
  if (!Array.isArray(raw)) throw invalid('scenarios must be a list');
  const kinds = new Map(assets.map((a) => [a.id, a.kind]));
  return raw.map((item: unknown, i) => {
    const where = `scenario ${i + 1}`;
    if (!isRecord(item)) throw invalid(`${where} must be an object`);
    const kind = kinds.get(String(item.asset));
    if (kind === undefined) throw invalid(`${where}: no asset ${String(item.asset)}`);
    const fault = item.fault as PlantFault;
    if (!PLANT_FAULTS_ALL.includes(fault)) throw invalid(`${where}: fault must be one of ${PLANT_FAULTS_ALL.join(', ')}`);
    if (!faultApplies(fault, kind)) throw invalid(`${where}: ${fault} needs a machine with pressure and flow`);
    const scheduled: ScheduledFault = {
      asset: String(item.asset),
      fault,
      onsetHours: numberOf(item.onsetHours, `${where} onset`, NaN, 0),
      failureHours: numberOf(item.failureHours, `${where} time to failure`, NaN, 0.001),
    };
    if (Number.isNaN(scheduled.onsetHours) || Number.isNaN(scheduled.failureHours)) throw invalid(`${where}: onset and time to failure are required`);
    if (item.sensor !== undefined && item.sensor !== '') {
      if (!sensorsOf(kind).includes(item.sensor as SensorName)) throw invalid(`${where}: ${kind} has no sensor ${String(item.sensor)}`);
      scheduled.sensor = item.sensor as SensorName;
    }
    return scheduled;
  });
}

export function settingsFromConfig(config: PlantSimConfig): PlantSimSettings {
  const assets = assetsFromConfig(config);
  const plant: Omit<PlantOptions, 'start'> = {
    assets,
    seed: Math.trunc(numberOf(config.seed, 'seed', 1, -(2 ** 31), 2 ** 32)),
    repairHours: numberOf(config.repairHours, 'repair time', 8, 0),
  };
  if (config.scheduleMode === 'random') {
    const minFailureHours = numberOf(config.minFailureHours, 'shortest time to failure', 48, 0.001);
    const maxFailureHours = numberOf(config.maxFailureHours, 'longest time to failure', 240, minFailureHours);
    plant.random = { ratePerMonth: numberOf(config.ratePerMonth, 'fault rate', 1, 0), minFailureHours, maxFailureHours };
  } else {
    plant.faults = scenariosFromConfig(config.scenarios, assets);
  }
  return {
    plant,
    tickMs: numberOf(config.tickMs, 'tick interval', 1000, 10, 3_600_000),
    acceleration: numberOf(config.acceleration, 'acceleration', 1440, 0.001, 1e7),
  };
}
