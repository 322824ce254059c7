/**
 * Tiny ONNX models for tests, built with onnx-proto: a standardised squared distance
 * score = Σ((x − mean) / scale)² / threshold over F features, with the package's graph contract
 * (input float32 [N, F], output 'score' float32 [N]) and optionally the standardised vector as a
 * second output 'z'. Options produce deliberately wrong graphs for the mismatch tests.
 */
import { onnx } from 'onnx-proto';

export interface DistanceModelOptions {
  mean: number[];
  scale?: number[];
  threshold?: number;
  inputName?: string;
  /** Declared feature dimension of the input (defaults to mean.length). */
  declaredFeatures?: number | string;
  /** Declared input element type (onnx.TensorProto.DataType), FLOAT unless testing a mismatch. */
  inputType?: onnx.TensorProto.DataType;
  extraOutput?: boolean;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

function floatTensor(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: FLOAT, floatData: values };
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function distanceModel(options: DistanceModelOptions): Uint8Array {
  const f = options.mean.length;
  const scale = options.scale ?? options.mean.map(() => 1);
  const input = options.inputName ?? 'features';
  const inputType = options.inputType ?? FLOAT;
  const nodes: onnx.INodeProto[] = [];
  let x = input;
  if (inputType === DOUBLE) {
    nodes.push({ opType: 'Cast', input: [input], output: ['x32'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] });
    x = 'x32';
  }
  nodes.push(
    { opType: 'Sub', input: [x, 'mean'], output: ['centred'] },
    { opType: 'Div', input: ['centred', 'scale'], output: ['z'] },
    { opType: 'Mul', input: ['z', 'z'], output: ['squared'] },
    {
      opType: 'ReduceSum', input: ['squared'], output: ['distance'],
      attribute: [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ],
    },
    { opType: 'Div', input: ['distance', 'threshold'], output: ['score'] },
  );
  const outputs = [valueInfo('score', FLOAT, ['N'])];
  if (options.extraOutput) outputs.push(valueInfo('z', FLOAT, ['N', f]));
  const model: onnx.IModelProto = {
    irVersion: 7,
    producerName: 'pdm-test',
    opsetImport: [{ domain: '', version: 12 }],
    graph: {
      name: 'distance',
      node: nodes,
      initializer: [floatTensor('mean', options.mean), floatTensor('scale', scale), { name: 'threshold', dims: [], dataType: FLOAT, floatData: [options.threshold ?? 1] }],
      input: [valueInfo(input, inputType, ['N', options.declaredFeatures ?? f])],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** The score the distance model computes, for checking results. */
export function expectedDistance(x: readonly number[], options: DistanceModelOptions): number {
  const scale = options.scale ?? options.mean.map(() => 1);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += ((x[i] - options.mean[i]) / scale[i]) ** 2;
  return sum / (options.threshold ?? 1);
}
