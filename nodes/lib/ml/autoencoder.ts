import { PdmError } from '../errors';
import { mulberry32 } from '../sim/waveform';
import { quantileThreshold, type Dataset } from './dataset';
import { GraphBuilder, standardise, weightedSquareSum } from './onnx-graph';
import { fitScaler, standardise as standardiseRows, type Scaler } from './scaler';

/**
 * A small dense autoencoder on standardised features: F → h₁ → … → b → … → h₁ → F with tanh or
 * ReLU hidden layers and a linear output, trained on the mean squared reconstruction error with
 * Adam over shuffled mini-batches, from a seeded start (same data and seed, same model). Training
 * stops early when the held-back loss has not improved for `patience` epochs and keeps the best
 * weights. The anomaly statistic is a row's mean squared reconstruction error; its threshold is
 * the chosen quantile of that error on the held-back rows.
 */
export type Activation = 'tanh' | 'relu';

export interface AutoencoderOptions {
  /** Encoder widths, the last one the bottleneck; the decoder mirrors them. */
  hidden: number[];
  activation: Activation;
  epochs: number;
  batchSize: number;
  learningRate: number;
  patience: number;
  seed: number;
  thresholdQuantile: number;
  /** Multiplier on the held-back quantile (≥ 1 widens the limit). */
  thresholdMargin: number;
}

export const DEFAULT_AUTOENCODER: AutoencoderOptions = {
  hidden: [16, 4],
  activation: 'tanh',
  epochs: 60,
  batchSize: 64,
  learningRate: 0.005,
  patience: 6,
  seed: 1,
  thresholdQuantile: 0.99,
  thresholdMargin: 1,
};

export interface Layer {
  inputs: number;
  outputs: number;
  /** Row-major inputs × outputs, as ONNX MatMul takes it. */
  weights: number[];
  bias: number[];
}

export interface AutoencoderTrained {
  kind: 'autoencoder';
  features: string[];
  scaler: Scaler;
  activation: Activation;
  layers: Layer[];
  threshold: number;
  epochs: number;
  trainLoss: number;
  heldBackLoss: number;
  /** Mean reconstruction error of the held-back rows before training (the untrained network). */
  initialLoss: number;
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  trainLoss: number;
  heldBackLoss: number;
}

export interface TrainHooks {
  /** Awaited regularly so a caller can hand the event loop back (e.g. setImmediate). */
  pause?: () => Promise<void>;
  /** Milliseconds of work between pauses (default 20). */
  sliceMs?: number;
  onEpoch?: (info: EpochInfo) => void;
  signal?: AbortSignal;
}

/** Returns a check to call often: it pauses when a slice of work is used up and throws once cancelled. */
export function slicer(hooks: TrainHooks): () => Promise<void> {
  const sliceMs = hooks.sliceMs ?? 20;
  let sliceStart = performance.now();
  return async () => {
    if (hooks.signal?.aborted) throw new PdmError('INVALID_CONFIG', 'training was cancelled');
    if (hooks.pause && performance.now() - sliceStart > sliceMs) {
      await hooks.pause();
      sliceStart = performance.now();
    }
  };
}

/** Weights and biases as flat float64 arrays while training. */
interface Net {
  sizes: number[];
  w: Float64Array[];
  b: Float64Array[];
}

export function checkAutoencoderOptions(o: AutoencoderOptions): void {
  const bad = (what: string): never => {
    throw new PdmError('INVALID_CONFIG', what);
  };
  if (o.hidden.length === 0 || o.hidden.some((h) => !Number.isInteger(h) || h < 1 || h > 1024)) bad('hidden layer sizes must be whole numbers 1–1024');
  if (o.activation !== 'tanh' && o.activation !== 'relu') bad(`activation must be tanh or relu, got ${String(o.activation)}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 10_000) bad('epochs must be a whole number 1–10000');
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) bad('batch size must be a whole number ≥ 1');
  if (!(o.learningRate > 0 && o.learningRate < 1)) bad('learning rate must be in (0, 1)');
  if (!Number.isInteger(o.patience) || o.patience < 1) bad('patience must be a whole number ≥ 1');
  if (!Number.isFinite(o.seed)) bad('seed must be a number');
  if (!(o.thresholdMargin > 0 && Number.isFinite(o.thresholdMargin))) bad('threshold margin must be a positive number');
}

function initialNet(sizes: number[], seed: number): Net {
  const random = mulberry32(seed);
  const w: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const limit = Math.sqrt(6 / (sizes[l] + sizes[l + 1]));
    w.push(Float64Array.from({ length: sizes[l] * sizes[l + 1] }, () => (2 * random() - 1) * limit));
    b.push(new Float64Array(sizes[l + 1]));
  }
  return { sizes, w, b };
}

/** Per-row buffers for one forward and backward pass. */
class Workspace {
  readonly act: Float64Array[];
  readonly delta: Float64Array[];
  constructor(sizes: number[]) {
    this.act = sizes.map((s) => new Float64Array(s));
    this.delta = sizes.map((s) => new Float64Array(s));
  }
}

/** Forward pass of one standardised row into ws.act; returns its mean squared reconstruction error. */
function forward(net: Net, activation: Activation, z: Float64Array, offset: number, ws: Workspace): number {
  const { sizes } = net;
  const last = sizes.length - 1;
  const a0 = ws.act[0];
  for (let j = 0; j < sizes[0]; j++) a0[j] = z[offset + j];
  for (let l = 0; l < last; l++) {
    const input = ws.act[l];
    const out = ws.act[l + 1];
    const w = net.w[l];
    const n = sizes[l + 1];
    out.set(net.b[l]);
    for (let i = 0; i < sizes[l]; i++) {
      const x = input[i];
      const row = i * n;
      for (let o = 0; o < n; o++) out[o] += x * w[row + o];
    }
    if (l + 1 < last) {
      if (activation === 'tanh') for (let o = 0; o < n; o++) out[o] = Math.tanh(out[o]);
      else for (let o = 0; o < n; o++) out[o] = out[o] > 0 ? out[o] : 0;
    }
  }
  let sum = 0;
  const y = ws.act[last];
  for (let j = 0; j < sizes[0]; j++) sum += (y[j] - a0[j]) ** 2;
  return sum / sizes[0];
}

/** Adds this row's gradient (of its mean squared error times `weight`) to gw/gb. */
function backward(net: Net, activation: Activation, ws: Workspace, gw: Float64Array[], gb: Float64Array[], weight: number): void {
  const { sizes } = net;
  const last = sizes.length - 1;
  const f = sizes[0];
  for (let j = 0; j < f; j++) ws.delta[last][j] = ((2 * weight) / f) * (ws.act[last][j] - ws.act[0][j]);
  for (let l = last - 1; l >= 0; l--) {
    const n = sizes[l + 1];
    const delta = ws.delta[l + 1];
    const input = ws.act[l];
    const w = net.w[l];
    const g = gw[l];
    for (let o = 0; o < n; o++) gb[l][o] += delta[o];
    const prev = ws.delta[l];
    for (let i = 0; i < sizes[l]; i++) {
      const x = input[i];
      const row = i * n;
      let back = 0;
      for (let o = 0; o < n; o++) {
        g[row + o] += x * delta[o];
        back += w[row + o] * delta[o];
      }
      if (l > 0) prev[i] = activation === 'tanh' ? back * (1 - x * x) : x > 0 ? back : 0;
    }
  }
}

/** Mean squared reconstruction error of every row. */
function rowErrors(net: Net, activation: Activation, z: Float64Array, rows: number): Float64Array {
  const ws = new Workspace(net.sizes);
  const f = net.sizes[0];
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = forward(net, activation, z, i * f, ws);
  return out;
}

/** rowErrors in blocks, with `tick` between them. */
async function rowErrorsSliced(net: Net, activation: Activation, z: Float64Array, rows: number, tick: () => Promise<void>): Promise<Float64Array> {
  const ws = new Workspace(net.sizes);
  const f = net.sizes[0];
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    out[i] = forward(net, activation, z, i * f, ws);
    if (i % 1024 === 1023) await tick();
  }
  return out;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? 0 : sum / values.length;
}

function copyNet(net: Net): Net {
  return { sizes: net.sizes, w: net.w.map((w) => w.slice()), b: net.b.map((b) => b.slice()) };
}

class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private step = 0;
  constructor(
    params: Float64Array[],
    private readonly rate: number,
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  update(params: Float64Array[], grads: Float64Array[]): void {
    const beta1 = 0.9;
    const beta2 = 0.999;
    this.step += 1;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    params.forEach((p, k) => {
      const g = grads[k];
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= (this.rate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
      }
    });
  }
}

export async function trainAutoencoder(train: Dataset, heldBack: Dataset, options: AutoencoderOptions, hooks: TrainHooks = {}): Promise<AutoencoderTrained> {
  checkAutoencoderOptions(options);
  const f = train.features.length;
  const scaler = fitScaler(train);
  const z = standardiseRows(train, scaler);
  const zBack = standardiseRows(heldBack, scaler);
  const sizes = [f, ...options.hidden, ...options.hidden.slice(0, -1).reverse(), f];
  let net = initialNet(sizes, options.seed);
  const params = (n: Net): Float64Array[] => [...n.w, ...n.b];
  const gw = net.w.map((w) => new Float64Array(w.length));
  const gb = net.b.map((b) => new Float64Array(b.length));
  const adam = new Adam(params(net), options.learningRate);
  const ws = new Workspace(sizes);
  const order = Uint32Array.from({ length: train.rows }, (_, i) => i);
  const shuffle = mulberry32(options.seed ^ 0x5bd1e995);
  const tick = slicer(hooks);
  const initialLoss = mean(await rowErrorsSliced(net, options.activation, zBack, heldBack.rows, tick));
  let best = { net: copyNet(net), heldBackLoss: initialLoss, trainLoss: Infinity, epoch: 0 };
  let epoch = 0;
  for (let stale = 0; epoch < options.epochs && stale < options.patience; ) {
    epoch += 1;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let trainSum = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const end = Math.min(order.length, start + options.batchSize);
      for (const g of gw) g.fill(0);
      for (const g of gb) g.fill(0);
      for (let r = start; r < end; r++) {
        trainSum += forward(net, options.activation, z, order[r] * f, ws);
        backward(net, options.activation, ws, gw, gb, 1 / (end - start));
      }
      adam.update(params(net), [...gw, ...gb]);
      await tick();
    }
    const trainLoss = trainSum / order.length;
    const heldBackLoss = mean(await rowErrorsSliced(net, options.activation, zBack, heldBack.rows, tick));
    if (!Number.isFinite(trainLoss)) throw new PdmError('INVALID_CONFIG', 'training diverged (loss is not finite): lower the learning rate');
    hooks.onEpoch?.({ epoch, epochs: options.epochs, trainLoss, heldBackLoss });
    if (heldBackLoss < best.heldBackLoss * (1 - 1e-4)) {
      best = { net: copyNet(net), heldBackLoss, trainLoss, epoch };
      stale = 0;
    } else {
      stale += 1;
    }
  }
  net = best.net;
  const errors = await rowErrorsSliced(net, options.activation, zBack, heldBack.rows, tick);
  return {
    kind: 'autoencoder',
    features: [...train.features],
    scaler,
    activation: options.activation,
    layers: net.w.map((w, l) => ({ inputs: sizes[l], outputs: sizes[l + 1], weights: Array.from(w), bias: Array.from(net.b[l]) })),
    threshold: quantileThreshold(errors, options.thresholdQuantile) * options.thresholdMargin,
    epochs: best.epoch,
    trainLoss: best.trainLoss,
    heldBackLoss: best.heldBackLoss,
    initialLoss,
  };
}

function netOf(model: AutoencoderTrained): Net {
  return {
    sizes: [model.layers[0].inputs, ...model.layers.map((l) => l.outputs)],
    w: model.layers.map((l) => Float64Array.from(l.weights)),
    b: model.layers.map((l) => Float64Array.from(l.bias)),
  };
}

/** Normalised score (error / threshold) and mean squared reconstruction error of each row. */
export function scoreAutoencoder(model: AutoencoderTrained, dataset: Dataset): { score: Float64Array; error: Float64Array } {
  const error = rowErrors(netOf(model), model.activation, standardiseRows(dataset, model.scaler), dataset.rows);
  return { score: error.map((e) => e / model.threshold), error };
}

/**
 * The ONNX graph: z = (x − mean)/scale, the dense layers (MatMul, Add, Tanh or Relu), error =
 * mean (y − z)², score = error / threshold, reconstruction = y·scale + mean in raw units.
 */
export function exportAutoencoder(model: AutoencoderTrained, inputName: string): Uint8Array {
  const f = model.features.length;
  const g = new GraphBuilder(inputName, f);
  const z = standardise(g, model.scaler.mean, model.scaler.scale);
  let x = z;
  model.layers.forEach((layer, l) => {
    const product = g.op('MatMul', [x, g.constant(layer.weights, [layer.inputs, layer.outputs], `w${l}`)], `h${l}_mm`);
    x = g.op('Add', [product, g.constant(layer.bias, [layer.outputs], `b${l}`)], `h${l}`);
    if (l + 1 < model.layers.length) x = g.op(model.activation === 'tanh' ? 'Tanh' : 'Relu', [x], `a${l}`);
  });
  const residual = g.op('Sub', [x, z], 'residual');
  const error = weightedSquareSum(g, residual, new Array<number>(f).fill(1 / f), 'error_sum');
  const rescaled = g.op('Mul', [x, g.constant(model.scaler.scale, [f], 'out_scale')], 'rescaled');
  g.output(g.op('Mul', [error, g.constant([1 / model.threshold], [], 'inv_threshold')], 'score'), 'score');
  g.output(error, 'error');
  g.output(g.op('Add', [rescaled, g.constant(model.scaler.mean, [f], 'out_mean')], 'reconstruction'), 'reconstruction', f);
  const widths = model.layers.map((l) => l.outputs).join('→');
  return g.encode(`dense autoencoder ${f}→${widths} (${model.activation}); score = mean squared standardised reconstruction error / ${model.threshold.toPrecision(6)}`);
}
