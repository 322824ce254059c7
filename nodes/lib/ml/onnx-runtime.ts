import { PdmError } from '../errors';

/**
 * The one place that touches onnxruntime-node. It is an optional dependency (a native module
 * that some platforms lack), so it is required on first use and its absence is reported as a
 * clear error instead of failing when the package loads. Only the few types used here are
 * declared, so the package compiles without it.
 */
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Declared element types and shapes (onnxruntime ≥ 1.21). */
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}
interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: {
    create(source: string | Uint8Array, options?: OrtSessionOptions): Promise<OrtSession>;
  };
}

export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

let cached: OrtModule | undefined;
let loadError: unknown;

/** The onnxruntime-node module; a PdmError that says how to install it when it cannot be loaded. */
export function loadOnnxRuntime(): OrtModule {
  if (cached) return cached;
  if (loadError === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require(ONNX_RUNTIME_PACKAGE) as OrtModule;
      return cached;
    } catch (err) {
      loadError = err;
    }
  }
  throw new PdmError(
    'INVALID_CONFIG',
    `${ONNX_RUNTIME_PACKAGE} is not available (${loadError instanceof Error ? loadError.message.split('\n')[0] : String(loadError)}); ` +
      `install it in the Node-RED user directory with "npm install ${ONNX_RUNTIME_PACKAGE}" and restart Node-RED`,
    { cause: loadError },
  );
}

export function onnxRuntimeAvailable(): boolean {
  try {
    loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

/** A declared input or output: its element type ('float32', …) and shape when the runtime tells them. */
export interface OnnxValueInfo {
  name: string;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

function valueInfo(names: readonly string[], metadata: readonly OrtValueMetadata[] | undefined): OnnxValueInfo[] {
  return names.map((name) => {
    const m = metadata?.find((v) => v.name === name);
    return m && m.isTensor ? { name, type: m.type, shape: m.shape } : { name };
  });
}

/** One output of a run: the flat float data and its shape. */
export interface OnnxOutput {
  data: Float32Array;
  dims: number[];
}

export interface OnnxSessionOptions {
  /** Threads inside one operator (default 1: Node-RED shares the machine with everything else). */
  threads?: number;
}

/** A loaded model that scores row-major float32 batches. */
export class OnnxSession {
  private closed = false;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
  ) {}

  /** Loads a model from a file path or from its bytes. */
  static async create(source: string | Uint8Array, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
    const ort = loadOnnxRuntime();
    try {
      const threads = options.threads ?? 1;
      const session = await ort.InferenceSession.create(source, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      return new OnnxSession(ort, session);
    } catch (err) {
      const what = typeof source === 'string' ? source : `${source.length} bytes`;
      throw new PdmError('INVALID_CONFIG', `cannot load ONNX model ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  get inputs(): OnnxValueInfo[] {
    return valueInfo(this.session.inputNames, this.session.inputMetadata);
  }

  get outputs(): OnnxValueInfo[] {
    return valueInfo(this.session.outputNames, this.session.outputMetadata);
  }

  /**
   * Runs `rows` × `cols` row-major values through the input `inputName` and returns the
   * requested outputs (all of them when `outputs` is omitted).
   */
  async run(inputName: string, data: Float32Array, rows: number, cols: number, outputs?: readonly string[]): Promise<Record<string, OnnxOutput>> {
    if (this.closed) throw new PdmError('INVALID_CONFIG', 'the ONNX session is closed');
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || data.length !== rows * cols) {
      throw new PdmError('INVALID_PAYLOAD', `ONNX input must be ${rows} × ${cols} values, got ${data.length}`);
    }
    const result = await this.session.run({ [inputName]: new this.ort.Tensor('float32', data, [rows, cols]) });
    const out: Record<string, OnnxOutput> = {};
    for (const name of outputs ?? this.session.outputNames) {
      const tensor = result[name];
      if (!tensor) throw new PdmError('INVALID_CONFIG', `the ONNX model has no output '${name}'`);
      if (!(tensor.data instanceof Float32Array)) throw new PdmError('INVALID_CONFIG', `ONNX output '${name}' is not float32`);
      out[name] = { data: tensor.data, dims: [...tensor.dims] };
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}
