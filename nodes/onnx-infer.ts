import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { MicroBatcher } from './lib/ml/infer-batcher';
import { scoreBatch, type InferResult, type LoadedModel, type ModelInfo, type ScoreResult } from './lib/ml/infer-engine';
import { FeatureMapper, type FeatureVector } from './lib/ml/infer-features';
import { ModelManager } from './lib/ml/infer-models';
import { inferOptionsFromConfig, userDirOf, type OnnxInferConfig } from './lib/ml/infer-config';
import { ModelRegistry } from './lib/ml/registry';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

interface MsgJob {
  msg: NodeMessageInFlow;
  send: Send;
  done: Done;
  results: Array<InferResult | undefined>;
  shadow: Array<InferResult | { error: string } | undefined>;
  left: number;
  error?: Error;
}

interface Item {
  vector: FeatureVector;
  job: MsgJob;
  index: number;
}

const STATUS_PERIOD_MS = 1000;
const CLOSE_WAIT_MS = 10_000;
/** Messages held while the first model loads, at most. */
const MAX_WAITING = 10_000;

export = function register(RED: NodeAPI): void {
  function OnnxInferNode(this: Node, config: NodeDef & OnnxInferConfig): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: OnnxInferConfig): void {
    const status = new ThrottledStatus((s) => node.status(s));
    let manager: ModelManager;
    let options: ReturnType<typeof inferOptionsFromConfig>;
    try {
      const userDir = userDirOf(RED.settings as { userDir?: string });
      options = inferOptionsFromConfig(config, userDir);
      const source = options.source;
      manager = new ModelManager(
        source.kind === 'file' ? source : { kind: 'registry', registry: new ModelRegistry(source.dir), name: source.name, shadow: source.shadow },
        {
          swapped: (role, info) => onSwap(role, info),
          failed: (err) => {
            node.error(RED._('onnx-infer.errors.load', { reason: err.message }));
            refreshStatus();
          },
        },
      );
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('onnx-infer.errors.config', { reason }));
      status.force(STATUS.error(RED._('onnx-infer.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }

    const counts = { scored: 0, anomalous: 0, bad: 0, waiting: 0 };
    let mapper: FeatureMapper | undefined;

    function onSwap(role: 'live' | 'shadow', info: ModelInfo | undefined): void {
      if (role === 'live' && info && (!mapper || mapper.index.features.join('\n') !== info.features.join('\n'))) {
        mapper = new FeatureMapper(info.features, options.mapping);
      }
      if (info) node.log(RED._(role === 'live' ? 'onnx-infer.log.live' : 'onnx-infer.log.shadow', { model: modelLabel(info) }));
      refreshStatus();
    }

    const finish = (job: MsgJob): void => {
      const rows = job.results.filter((r): r is InferResult => r !== undefined);
      if (rows.length > 0) {
        const out = job.msg as NodeMessage & { shadow?: unknown };
        out.payload = rows.length === 1 ? rows[0] : rows;
        out.topic = rows.length === 1 ? rows[0].asset : job.msg.topic;
        if (job.shadow.some((s) => s !== undefined)) out.shadow = job.shadow.length === 1 ? job.shadow[0] : job.shadow;
        job.send(out);
      }
      job.done(job.error);
    };

    const settle = (item: Item, live: InferResult | Error, shadow?: InferResult | { error: string }): void => {
      const job = item.job;
      if (live instanceof Error) {
        counts.bad++;
        job.error ??= live;
      } else {
        counts.scored++;
        if (live.anomalous) counts.anomalous++;
        job.results[item.index] = live;
        job.shadow[item.index] = shadow;
      }
      if (--job.left === 0) finish(job);
    };

    const runBatch = async (items: Item[]): Promise<void> => {
      const lease = manager.live.lease();
      if (!lease) {
        const err = manager.unavailable();
        items.forEach((item) => settle(item, err));
        return;
      }
      const shadowLease = manager.shadow.lease();
      try {
        const f = lease.model.info.features.length;
        const fitting = items.filter((item) => item.vector.values.length === f);
        if (fitting.length < items.length) {
          // Mapped for a model with other features, before a reload changed them.
          const err = new PdmError('INVALID_PAYLOAD', RED._('onnx-infer.errors.reshaped', { model: modelLabel(lease.model.info) }));
          items.filter((item) => item.vector.values.length !== f).forEach((item) => settle(item, err));
        }
        if (fitting.length === 0) return;
        const vectors = fitting.map((item) => item.vector);
        const [main, candidate] = await Promise.all([
          scoreBatch(lease.model, vectors).catch((err: unknown) => asError(err)),
          shadowLease ? scoreShadow(shadowLease.model, vectors) : undefined,
        ]);
        fitting.forEach((item, i) => {
          const shadow = candidate === undefined ? undefined : 'error' in candidate ? candidate : candidate[i];
          settle(item, main instanceof Error ? main : toResult(main[i], lease.model.info, item.vector), shadow);
        });
      } finally {
        lease.done();
        shadowLease?.done();
      }
    };

    const batcher = new MicroBatcher<Item>(options.batch, runBatch, (err, items) => {
      const e = asError(err);
      items.forEach((item) => settle(item, e));
    });

    const score = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      if (!mapper || !manager.live.current) {
        counts.bad++;
        done(manager.unavailable());
        return;
      }
      const mapped = mapper.map(msg.payload, msg.topic, Date.now());
      if (mapped.error) counts.bad++;
      if (mapped.vectors.length === 0) {
        done(mapped.error);
        return;
      }
      const n = mapped.vectors.length;
      const job: MsgJob = { msg, send, done, results: new Array(n), shadow: new Array(n), left: n, error: mapped.error };
      mapped.vectors.forEach((vector, index) => batcher.add({ vector, job, index }));
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      if (manager.live.current || !manager.reloading) {
        score(msg, send, done);
        return;
      }
      // No model yet, but one is being loaded: the message waits for it.
      if (counts.waiting >= MAX_WAITING) {
        counts.bad++;
        done(manager.unavailable());
        return;
      }
      counts.waiting++;
      void manager.settled().then(() => {
        counts.waiting--;
        try {
          score(msg, send, done);
        } catch (err) {
          done(asError(err));
        }
      });
    };

    function refreshStatus(): void {
      const bad = counts.bad > 0 ? RED._('onnx-infer.status.bad', { count: compactCount(counts.bad) }) : '';
      const live = manager.live.current?.info;
      if (manager.state === 'error' || !live) {
        if (manager.state === 'error') status.set(STATUS.error(RED._('onnx-infer.status.error', { reason: shortReason(manager.lastError) })));
        else if (manager.state === 'waiting') status.set(STATUS.connecting(RED._('onnx-infer.status.waiting')));
        else status.set(STATUS.connecting(RED._('onnx-infer.status.loading')));
        return;
      }
      const shadow = manager.shadow.current?.info;
      let text = RED._('onnx-infer.status.running', { model: modelLabel(live), scored: compactCount(counts.scored), anomalous: compactCount(counts.anomalous) });
      if (shadow) text += RED._('onnx-infer.status.shadow', { model: modelLabel(shadow) });
      status.set(batcher.pending > 0 ? STATUS.buffering(text) : STATUS.ok(text + bad));
    }

    const statusTimer = setInterval(refreshStatus, STATUS_PERIOD_MS);
    refreshStatus();
    onGuardedInput(node, handle);

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      status.cancel();
      const limit = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref());
      void Promise.race([batcher.drain(), limit])
        .then(() => manager.close())
        .catch((err: unknown) => node.warn(describeError(err)))
        .finally(() => done());
    });
  }

  RED.nodes.registerType('onnx-infer', OnnxInferNode);
};

function toResult(r: ScoreResult, info: ModelInfo, v: FeatureVector): InferResult {
  return { asset: v.asset, ts: v.ts, score: r.score, anomalous: r.anomalous, model: { name: info.name, version: info.version }, outputs: r.outputs };
}

/** The candidate's results; its failure is reported beside the live results, not instead of them. */
async function scoreShadow(model: LoadedModel, vectors: FeatureVector[]): Promise<InferResult[] | { error: string }> {
  try {
    const results = await scoreBatch(model, vectors);
    return results.map((r, i) => toResult(r, model.info, vectors[i]));
  } catch (err) {
    return { error: describeError(err) };
  }
}

function modelLabel(info: ModelInfo): string {
  return info.version === undefined ? info.name : `${info.name} v${info.version}`;
}

/** The first line of an error, short enough for a status text. */
function shortReason(err: PdmError | undefined): string {
  const text = err?.message.split(/[;\n]/)[0] ?? '';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(describeError(err));
}
