import { PdmError } from '../errors';
import type { Reading } from '../reading';

/**
 * Assembles per-asset vectors (one value per configured sensor) from single-sensor readings
 * that arrive separately.
 *
 * - 'timestamp': readings whose ts lie within `toleranceMs` of an open vector's ts (the ts of
 *   its first reading) fill it; the vector is emitted once every sensor has a value. A completed
 *   vector discards older incomplete ones, and at most `maxPending` stay open per asset.
 * - 'latest': each reading of the `pacing` sensor emits the latest value of every sensor,
 *   provided each is no older than `maxAgeMs`.
 */
export interface AlignerOptions {
  sensors: string[];
  mode: 'timestamp' | 'latest';
  toleranceMs?: number;
  maxAgeMs?: number;
  pacing?: string;
  maxPending?: number;
  maxAssets?: number;
}

export interface AlignedVector {
  asset: string;
  ts: number;
  /** One value per sensor, in the configured order. */
  values: Float64Array;
}

interface Slot {
  ts: number;
  values: Float64Array;
  filled: Uint8Array;
  count: number;
}

interface LatestState {
  values: Float64Array;
  stamps: Float64Array;
}

export class VectorAligner {
  private readonly index = new Map<string, number>();
  private readonly sensors: readonly string[];
  private readonly mode: 'timestamp' | 'latest';
  private readonly toleranceMs: number;
  private readonly maxAgeMs: number;
  private readonly pacing: number;
  private readonly maxPending: number;
  private readonly maxAssets: number;
  private readonly open = new Map<string, Slot[]>();
  private readonly latest = new Map<string, LatestState>();
  /** Incomplete vectors discarded so far. */
  dropped = 0;

  constructor(options: AlignerOptions) {
    const { sensors, mode, toleranceMs = 0, maxAgeMs = Infinity, pacing = sensors[0], maxPending = 16, maxAssets = 10_000 } = options;
    if (sensors.length === 0 || new Set(sensors).size !== sensors.length) {
      throw new PdmError('INVALID_CONFIG', 'sensors must be a non-empty list of distinct names');
    }
    if (mode !== 'timestamp' && mode !== 'latest') throw new PdmError('INVALID_CONFIG', `unknown alignment mode "${String(mode)}"`);
    if (!(toleranceMs >= 0) || !(maxAgeMs > 0)) throw new PdmError('INVALID_CONFIG', 'toleranceMs must be ≥ 0 and maxAgeMs > 0');
    if (!(Number.isInteger(maxPending) && maxPending >= 1 && Number.isInteger(maxAssets) && maxAssets >= 1)) {
      throw new PdmError('INVALID_CONFIG', 'maxPending and maxAssets must be whole numbers ≥ 1');
    }
    sensors.forEach((s, i) => this.index.set(s, i));
    const pacingIndex = this.index.get(pacing);
    if (pacingIndex === undefined) throw new PdmError('INVALID_CONFIG', `pacing sensor "${pacing}" is not in the sensor list`);
    this.sensors = sensors.slice();
    this.mode = mode;
    this.toleranceMs = toleranceMs;
    this.maxAgeMs = maxAgeMs;
    this.pacing = pacingIndex;
    this.maxPending = maxPending;
    this.maxAssets = maxAssets;
  }

  get sensorNames(): readonly string[] {
    return this.sensors;
  }

  /** Feeds one reading; returns a vector when one is complete. Readings of other sensors are ignored. */
  push(reading: Reading): AlignedVector | undefined {
    const j = this.index.get(reading.sensor);
    if (j === undefined) return undefined;
    return this.mode === 'timestamp' ? this.pushAligned(reading, j) : this.pushLatest(reading, j);
  }

  /** Forgets one asset's partial state, or every asset's. */
  clear(asset?: string): void {
    if (asset === undefined) {
      this.open.clear();
      this.latest.clear();
    } else {
      this.open.delete(asset);
      this.latest.delete(asset);
    }
  }

  private pushAligned(reading: Reading, j: number): AlignedVector | undefined {
    let slots = this.open.get(reading.asset);
    if (!slots) {
      this.checkAssetRoom(this.open.size);
      slots = [];
      this.open.set(reading.asset, slots);
    }
    let best = -1;
    let bestGap = Infinity;
    for (let i = 0; i < slots.length; i++) {
      const gap = Math.abs(slots[i].ts - reading.ts);
      if (gap <= this.toleranceMs && gap < bestGap && slots[i].filled[j] === 0) {
        best = i;
        bestGap = gap;
      }
    }
    if (best < 0) {
      const d = this.sensors.length;
      slots.push({ ts: reading.ts, values: new Float64Array(d), filled: new Uint8Array(d), count: 0 });
      best = slots.length - 1;
      if (slots.length > this.maxPending) {
        slots.shift();
        best--;
        this.dropped++;
      }
    }
    const slot = slots[best];
    slot.values[j] = reading.value;
    slot.filled[j] = 1;
    slot.count++;
    if (slot.count < this.sensors.length) return undefined;
    let kept = 0;
    for (const s of slots) {
      if (s === slot) continue;
      if (s.ts < slot.ts) this.dropped++;
      else slots[kept++] = s;
    }
    slots.length = kept;
    return { asset: reading.asset, ts: slot.ts, values: slot.values };
  }

  private pushLatest(reading: Reading, j: number): AlignedVector | undefined {
    let state = this.latest.get(reading.asset);
    if (!state) {
      this.checkAssetRoom(this.latest.size);
      state = { values: new Float64Array(this.sensors.length), stamps: new Float64Array(this.sensors.length).fill(NaN) };
      this.latest.set(reading.asset, state);
    }
    state.values[j] = reading.value;
    state.stamps[j] = reading.ts;
    if (j !== this.pacing) return undefined;
    const oldest = reading.ts - this.maxAgeMs;
    for (let i = 0; i < state.stamps.length; i++) {
      if (!(state.stamps[i] >= oldest)) return undefined;
    }
    return { asset: reading.asset, ts: reading.ts, values: state.values.slice() };
  }

  private checkAssetRoom(size: number): void {
    if (size >= this.maxAssets) throw new PdmError('KEY_LIMIT', `more than ${this.maxAssets} assets`);
  }
}

/** Throws unless `values` holds one finite value per sensor, in the sensors' order. */
export function checkVector(sensors: readonly string[], values: ArrayLike<number>): void {
  const d = sensors.length;
  if (values.length !== d) throw new PdmError('INVALID_PAYLOAD', `vector has ${values.length} values, expected ${d}`);
  for (let j = 0; j < d; j++) {
    if (!Number.isFinite(values[j])) throw new PdmError('NON_FINITE', `${sensors[j]} is ${values[j]}`);
  }
}

