import { onnx } from 'onnx-proto';
import { PdmError } from '../errors';

/**
 * A small builder for ONNX graphs, written with the ONNX protobuf messages. Opset 13 and IR
 * version 8 (the newest the bundled definitions know, read by onnxruntime 1.30). Inputs and
 * outputs are float32; inside, the graph casts to float64 and computes in double precision, so
 * that the exported model scores like the TypeScript model it came from (Q and reconstruction
 * errors are small differences of large numbers, which float32 arithmetic would blur).
 */
export const OPSET = 13;
export const IR_VERSION = 8;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;
  /** The float64 copy of the input that the graph computes on. */
  readonly input: string;

  constructor(
    readonly inputName: string,
    private readonly features: number,
  ) {
    this.input = this.cast(inputName, DOUBLE, 'x');
  }

  /** A float64 constant; `dims` [] is a scalar. */
  constant(values: ArrayLike<number>, dims: number[], hint = 'c'): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new PdmError('INVALID_CONFIG', `ONNX constant ${hint}: ${values.length} values for shape [${dims.join(', ')}]`);
    const name = this.fresh(hint);
    const data = Float64Array.from(values);
    const bytes = new Uint8Array(data.byteLength);
    const view = new DataView(bytes.buffer);
    data.forEach((v, i) => view.setFloat64(i * 8, v, true));
    this.initializers.push({ name, dims, dataType: DOUBLE, rawData: bytes });
    return name;
  }

  /** Adds one operator and returns the name of its (single) output. */
  op(type: string, inputs: string[], hint = type.toLowerCase()): string {
    const out = this.fresh(hint);
    this.nodes.push({ opType: type, input: inputs, output: [out], name: out });
    return out;
  }

  /** Publishes a tensor as float32 graph output `name`; `width` undefined = a [N] vector, else [N, width]. */
  output(tensor: string, name: string, width?: number): void {
    this.cast(tensor, FLOAT, name, name);
    this.outputs.push(valueInfo(name, width === undefined ? ['N'] : ['N', width]));
  }

  private cast(tensor: string, to: number, hint: string, output?: string): string {
    const out = output ?? this.fresh(hint);
    this.nodes.push({ opType: 'Cast', input: [tensor], output: [out], name: `cast_${out}`, attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }] });
    return out;
  }

  /** The serialised model. */
  encode(docString: string): Uint8Array {
    const graph: onnx.IGraphProto = {
      name: 'pdm',
      node: this.nodes,
      initializer: this.initializers,
      input: [valueInfo(this.inputName, ['N', this.features])],
      output: this.outputs,
    };
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'node-red-contrib-predictive-maintenance',
      docString,
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }
}

function valueInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** X → (X − mean) / scale: the scaler inside every exported graph. */
export function standardise(g: GraphBuilder, mean: readonly number[], scale: readonly number[]): string {
  const f = mean.length;
  const centred = g.op('Sub', [g.input, g.constant(mean, [f], 'mean')], 'centred');
  return g.op('Div', [centred, g.constant(scale, [f], 'scale')], 'z');
}

/** Σ_j w_j x_ij² over the columns of an [N, F] tensor: a MatMul with a vector gives [N]. */
export function weightedSquareSum(g: GraphBuilder, x: string, weights: ArrayLike<number>, hint: string): string {
  const squared = g.op('Mul', [x, x], `${hint}_sq`);
  return g.op('MatMul', [squared, g.constant(weights, [weights.length], `${hint}_w`)], hint);
}
