import { PdmError } from '../errors';
import { describeType, isRecord, parseTopic, type Reading } from '../reading';
import { isWindowStats, WINDOW_FEATURES, type WindowStats } from '../stats/types';
import { VectorAligner } from '../anomaly/multivariate-align';

/** One complete model input: the values of the model's features, in its order. */
export interface FeatureVector {
  asset: string;
  ts: number;
  values: Float64Array;
}

/** What one msg.payload holds for a feature list: single named values and complete vectors. */
export interface ParsedFeatures {
  /** Single feature values; `sensor` is the feature name. */
  values: Reading[];
  vectors: FeatureVector[];
  /** Window statistics or readings of no feature in the list. */
  ignored: number;
  error?: PdmError;
}

const STAT_NAMES: ReadonlySet<string> = new Set(WINDOW_FEATURES);

/** "[N, 4]" */
export function shapeText(dims: ReadonlyArray<number | string>): string {
  return `[${dims.join(', ')}]`;
}

/**
 * A model's feature list and how the package's messages fill it. A feature named
 * `sensor.stat` (stat one of the window-stats fields, e.g. `bearing-de.rms`) is taken from
 * window-stats output; any other name from a reading of that sensor.
 */
export class FeatureIndex {
  readonly features: readonly string[];
  private readonly position = new Map<string, number>();
  /** sensor → [stat, feature name] pairs it supplies. */
  private readonly statsOf = new Map<string, Array<[keyof WindowStats, string]>>();

  constructor(features: readonly string[]) {
    if (features.length === 0 || new Set(features).size !== features.length) {
      throw new PdmError('INVALID_CONFIG', 'the feature list must be non-empty and without repeats');
    }
    this.features = features.slice();
    features.forEach((name, i) => {
      this.position.set(name, i);
      const cut = name.lastIndexOf('.');
      const stat = name.slice(cut + 1);
      if (cut <= 0 || !STAT_NAMES.has(stat)) return;
      const sensor = name.slice(0, cut);
      const list = this.statsOf.get(sensor) ?? [];
      list.push([stat as keyof WindowStats, name]);
      this.statsOf.set(sensor, list);
    });
  }

  get size(): number {
    return this.features.length;
  }

  indexOf(feature: string): number | undefined {
    return this.position.get(feature);
  }

  /** "[1, 3] (features: a, b, c)", for shape errors. */
  describe(rows: number | string = 1): string {
    return `${shapeText([rows, this.size])} (features: ${this.features.join(', ')})`;
  }

  /** msg.payload → feature values and vectors; the first malformed item ends the parse with an error. */
  parse(payload: unknown, topic: unknown, now: number): ParsedFeatures {
    const out: ParsedFeatures = { values: [], vectors: [], ignored: 0 };
    const asset = assetOf(topic);
    if (isNumberList(payload)) {
      this.addVector(payload, asset, now, out);
      return out;
    }
    const items: unknown[] = Array.isArray(payload) ? payload : [payload];
    for (const item of items) {
      if (out.error) break;
      if (isNumberList(item)) this.addVector(item, asset, now, out);
      else if (isWindowStats(item)) this.addStats(item, out);
      else if (isRecord(item) && isRecord(item.features)) this.addNamed(item, asset, now, out);
      else if (isRecord(item) && typeof item.sensor === 'string' && 'value' in item) this.addReading(item, asset, now, out);
      else out.error = new PdmError('INVALID_PAYLOAD', `expected window statistics, readings, {features: {...}} or a number array, got ${describeItem(item)}`);
    }
    return out;
  }

  private addVector(list: ArrayLike<unknown>, asset: string | undefined, ts: number, out: ParsedFeatures): void {
    if (list.length !== this.size) {
      out.error = new PdmError('INVALID_PAYLOAD', `input shape mismatch: the model expects ${this.describe()}, received ${shapeText([1, list.length])}`);
      return;
    }
    const values = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        out.error = new PdmError('NON_FINITE', `feature ${this.features[i]} (index ${i}) is ${describeType(v)}, expected a finite number`);
        return;
      }
      values[i] = v;
    }
    if (asset === undefined) {
      out.error = new PdmError('MISSING_FIELD', 'a number array needs msg.topic naming the asset');
      return;
    }
    out.vectors.push({ asset, ts, values });
  }

  private addNamed(item: Record<string, unknown>, topicAsset: string | undefined, now: number, out: ParsedFeatures): void {
    const named = item.features as Record<string, unknown>;
    const asset = typeof item.asset === 'string' && item.asset !== '' ? item.asset : topicAsset;
    const ts = typeof item.ts === 'number' && Number.isFinite(item.ts) ? item.ts : now;
    const missing = this.features.filter((f) => !(f in named));
    if (missing.length > 0) {
      out.error = new PdmError('MISSING_FIELD', `features missing: ${missing.join(', ')}; the model expects ${this.describe()}`);
      return;
    }
    this.addVector(this.features.map((f) => named[f]), asset, ts, out);
  }

  private addStats(stats: WindowStats, out: ParsedFeatures): void {
    const wanted = this.statsOf.get(stats.sensor);
    if (wanted === undefined) {
      out.ignored++;
      return;
    }
    for (const [stat, feature] of wanted) {
      const value = stats[stat];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        out.error = new PdmError('NON_FINITE', `${stats.asset}: ${feature} is ${describeType(value)}`);
        return;
      }
      out.values.push({ asset: stats.asset, sensor: feature, value, ts: stats.end });
    }
  }

  private addReading(item: Record<string, unknown>, topicAsset: string | undefined, now: number, out: ParsedFeatures): void {
    const sensor = item.sensor as string;
    if (!this.position.has(sensor)) {
      out.ignored++;
      return;
    }
    const asset = typeof item.asset === 'string' && item.asset !== '' ? item.asset : topicAsset;
    const { value } = item;
    if (asset === undefined) out.error = new PdmError('MISSING_FIELD', 'a reading needs an asset');
    else if (typeof value !== 'number' || !Number.isFinite(value)) out.error = new PdmError('NON_FINITE', `${asset}/${sensor}: value is ${describeType(value)}`);
    else out.values.push({ asset, sensor, value, ts: typeof item.ts === 'number' && Number.isFinite(item.ts) ? item.ts : now });
  }
}

export interface MapperOptions {
  /** How single values are joined into vectors: equal window ends (within the tolerance) or the latest of each. */
  align: 'timestamp' | 'latest';
  toleranceMs: number;
  /** In 'latest' mode, the oldest a value may be to join a vector, ms. */
  maxAgeMs: number;
}

export const DEFAULT_MAPPER_OPTIONS: MapperOptions = { align: 'timestamp', toleranceMs: 0, maxAgeMs: Infinity };

export interface MappedInput {
  vectors: FeatureVector[];
  ignored: number;
  error?: PdmError;
}

/**
 * Turns messages into model input vectors: complete vectors pass through; single values
 * (window statistics, readings) are aligned per asset and a vector is emitted once every
 * feature has a value. In 'latest' mode the model's first feature paces the emission.
 */
export class FeatureMapper {
  readonly index: FeatureIndex;
  private readonly aligner: VectorAligner;

  constructor(features: readonly string[], options: MapperOptions = DEFAULT_MAPPER_OPTIONS) {
    this.index = new FeatureIndex(features);
    this.aligner = new VectorAligner({
      sensors: this.index.features.slice(),
      mode: options.align,
      toleranceMs: options.toleranceMs,
      maxAgeMs: options.maxAgeMs,
    });
  }

  map(payload: unknown, topic: unknown, now: number): MappedInput {
    const parsed = this.index.parse(payload, topic, now);
    const vectors = parsed.vectors;
    for (const value of parsed.values) {
      const aligned = this.aligner.push(value);
      if (aligned) vectors.push(aligned);
    }
    return { vectors, ignored: parsed.ignored, error: parsed.error };
  }

  clear(asset?: string): void {
    this.aligner.clear(asset);
  }
}

function describeItem(item: unknown): string {
  if (!isRecord(item)) return describeType(item);
  const keys = Object.keys(item);
  return `an object with ${keys.length === 0 ? 'no fields' : `fields ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}`}`;
}

/** The asset a topic names: `asset/sensor` topics' first part, else the whole topic. */
export function assetOf(topic: unknown): string | undefined {
  if (typeof topic !== 'string' || topic === '') return undefined;
  return parseTopic(topic)?.asset ?? topic;
}

export function isNumberList(value: unknown): value is ArrayLike<unknown> {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return true;
  return Array.isArray(value) && value.length > 0 && (typeof value[0] === 'number' || value[0] === null);
}
