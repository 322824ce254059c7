import { PdmError } from '../errors';
import { shapeText, type FeatureVector } from './infer-features';

/** What scoring needs to know of a model (a registry ModelMeta has all of it). */
export interface ModelInfo {
  name: string;
  /** Registry version; a model loaded from a file has none. */
  version?: number;
  features: readonly string[];
  inputName: string;
}

export interface TensorSpec {
  name: string;
  /** Element type as onnxruntime names it ('float32', 'float64', …), when known. */
  type?: string;
  /** Declared dimensions, numbers or symbolic names; empty or absent when not declared. */
  shape?: ReadonlyArray<number | string>;
}

export interface OutputTensor {
  data: ArrayLike<number | bigint>;
  dims: readonly number[];
}

/** A loaded inference session as the scoring code uses it (onnx-runtime.ts's OnnxSession is one). */
export interface ScoringBackend {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Runs rows × cols row-major values through `inputName` and returns the named outputs. */
  run(inputName: string, data: Float32Array, rows: number, cols: number, outputs?: readonly string[]): Promise<Record<string, OutputTensor>>;
  close(): Promise<void>;
}

export interface LoadedModel {
  info: ModelInfo;
  backend: ScoringBackend;
}

export interface ScoreResult {
  score: number;
  anomalous: boolean;
  /** The model's other outputs for this row: a number per row ([N]) or a list ([N, k]). */
  outputs: Record<string, number | number[]>;
}

/** One row of the node's output: what msg.payload (or msg.shadow) holds per feature vector. */
export interface InferResult extends ScoreResult {
  asset: string;
  ts: number;
  model: { name: string; version?: number };
}

export const SCORE_OUTPUT = 'score';

function label(info: ModelInfo): string {
  return info.version === undefined ? `model ${info.name}` : `model ${info.name} v${info.version}`;
}

/**
 * Checks a session against the package's graph contract and the model's feature list: input
 * `inputName` float32 [N, F] and an output `score`. Throws naming the expected and the declared
 * shape, so a wrong model fails when it loads rather than on the first message.
 */
export function checkModel(info: ModelInfo, backend: ScoringBackend): void {
  const f = info.features.length;
  const expected = `"${info.inputName}" float32 ${shapeText(['N', f])}`;
  const input = backend.inputs.find((i) => i.name === info.inputName);
  if (!input) {
    const found = backend.inputs.map((i) => `"${i.name}" ${i.type ?? '?'} ${shapeText(i.shape ?? [])}`).join(', ');
    throw new PdmError('INVALID_CONFIG', `${label(info)}: expected input ${expected}, the graph has ${found || 'no inputs'}`);
  }
  const shape = input.shape ?? [];
  const declared = `"${input.name}" ${input.type ?? '?'} ${shapeText(shape)}`;
  const wrongRank = shape.length !== 0 && shape.length !== 2;
  const wrongWidth = shape.length === 2 && typeof shape[1] === 'number' && shape[1] !== f;
  if ((input.type !== undefined && input.type !== 'float32') || wrongRank || wrongWidth) {
    throw new PdmError('INVALID_CONFIG', `${label(info)}: input shape mismatch, expected ${expected} (${f} features: ${info.features.join(', ')}), the graph declares ${declared}`);
  }
  if (!backend.outputs.some((o) => o.name === SCORE_OUTPUT)) {
    throw new PdmError('INVALID_CONFIG', `${label(info)}: the graph has no output "${SCORE_OUTPUT}" (outputs: ${backend.outputs.map((o) => o.name).join(', ') || 'none'})`);
  }
}

/** Runs one batch through one model: a single session.run over an [N, F] float32 tensor. */
export async function scoreBatch(model: LoadedModel, vectors: readonly FeatureVector[]): Promise<ScoreResult[]> {
  const f = model.info.features.length;
  const n = vectors.length;
  const data = new Float32Array(n * f);
  for (let i = 0; i < n; i++) {
    const v = vectors[i].values;
    if (v.length !== f) {
      throw new PdmError('INVALID_PAYLOAD', `${label(model.info)}: input shape mismatch, expected ${shapeText([1, f])} (features: ${model.info.features.join(', ')}), received ${shapeText([1, v.length])} for ${vectors[i].asset}`);
    }
    data.set(v, i * f);
  }
  let outputs: Record<string, OutputTensor>;
  try {
    outputs = await model.backend.run(model.info.inputName, data, n, f, floatOutputs(model.backend));
  } catch (err) {
    throw new PdmError('INVALID_PAYLOAD', `${label(model.info)} failed on input ${shapeText([n, f])}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const score = outputs[SCORE_OUTPUT];
  if (!score || score.data.length !== n) {
    throw new PdmError('INVALID_PAYLOAD', `${label(model.info)}: output "${SCORE_OUTPUT}" should be ${shapeText([n])}, got ${score ? shapeText(score.dims) : 'nothing'}`);
  }
  const extras = Object.entries(outputs).filter(([name, t]) => name !== SCORE_OUTPUT && t.dims[0] === n);
  const results: ScoreResult[] = new Array<ScoreResult>(n);
  for (let i = 0; i < n; i++) {
    const s = Number(score.data[i]);
    const row: Record<string, number | number[]> = {};
    for (const [name, t] of extras) row[name] = rowOf(t, i, n);
    results[i] = { score: s, anomalous: s >= 1, outputs: row };
  }
  return results;
}

/** The outputs to fetch: float32 ones (or of undeclared type); others, such as int64 labels, are left out. */
function floatOutputs(backend: ScoringBackend): string[] {
  return backend.outputs.filter((o) => o.type === undefined || o.type === 'float32').map((o) => o.name);
}

function rowOf(t: OutputTensor, i: number, n: number): number | number[] {
  const width = t.data.length / n;
  if (width === 1) return Number(t.data[i]);
  const row = new Array<number>(width);
  for (let j = 0; j < width; j++) row[j] = Number(t.data[i * width + j]);
  return row;
}

interface Held {
  model: LoadedModel;
  uses: number;
  retired: boolean;
}

/**
 * The model in one role (live or shadow). A batch leases the current model; swapping in a new
 * one retires the old, which is released once its last running batch ends, so a promotion or a
 * rollback never drops a message in flight.
 */
export class ModelSlot {
  private held: Held | undefined;

  constructor(private readonly onReleaseError: (err: unknown) => void = () => undefined) {}

  get current(): LoadedModel | undefined {
    return this.held?.model;
  }

  /** The current model and a function to call when done with it, or undefined when empty. */
  lease(): { model: LoadedModel; done: () => void } | undefined {
    const held = this.held;
    if (!held) return undefined;
    held.uses++;
    let returned = false;
    return {
      model: held.model,
      done: () => {
        if (returned) return;
        returned = true;
        held.uses--;
        this.releaseIfIdle(held);
      },
    };
  }

  /** Puts `model` in place (undefined empties the slot); the previous one goes when idle. */
  swap(model: LoadedModel | undefined): void {
    const old = this.held;
    this.held = model ? { model, uses: 0, retired: false } : undefined;
    if (old) {
      old.retired = true;
      this.releaseIfIdle(old);
    }
  }

  private releaseIfIdle(held: Held): void {
    if (held.retired && held.uses === 0) held.model.backend.close().catch(this.onReleaseError);
  }
}
