import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import type { InferResult, ModelInfo } from './lib/ml/infer-engine';
import { AssetPool, payloadByAsset } from './lib/ml/infer-assets';
import { inferOptionsFromConfig, userDirOf, type InferOptions, type OnnxInferConfig } from './lib/ml/infer-config';
import type { ModelSourceOptions } from './lib/ml/infer-models';
import { asError, modelLabel, ModelScorer, type ShadowResult } from './lib/ml/infer-scorer';
import { ModelRegistry } from './lib/ml/registry';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

/** One message in flight: its results fill in as its vectors are scored, in any asset's batch. */
interface MsgJob {
  msg: NodeMessageInFlow;
  send: Send;
  done: Done;
  results: Array<InferResult | undefined>;
  shadow: Array<ShadowResult | undefined>;
  /** Vectors not yet scored, plus one while the message is still being dispatched. */
  left: number;
  error?: Error;
  /** Items not scored as their asset has no live model yet (model-per-asset mode), by asset. */
  noModel: Array<{ asset: string; part: unknown }>;
}

const STATUS_PERIOD_MS = 1000;
const CLOSE_WAIT_MS = 10_000;
/** Messages held while models load, at most. */
const MAX_WAITING = 10_000;

export = function register(RED: NodeAPI): void {
  function OnnxInferNode(this: Node, config: NodeDef & OnnxInferConfig): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: OnnxInferConfig): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const counts = { scored: 0, anomalous: 0, bad: 0, noModel: 0, waiting: 0 };
    let options: InferOptions;
    let single: ModelScorer | undefined;
    let perAsset: AssetPool<ModelScorer> | undefined;
    try {
      options = inferOptionsFromConfig(config, userDirOf(RED.settings as { userDir?: string }));
      const source = options.source;
      if (source.kind === 'per-asset') {
        const registry = new ModelRegistry(source.dir);
        perAsset = new AssetPool(source, (asset) =>
          scorerFor({ kind: 'registry', registry, name: asset, shadow: source.shadow }, options),
        );
      } else {
        single = scorerFor(source.kind === 'file' ? source : { kind: 'registry', registry: new ModelRegistry(source.dir), name: source.name, shadow: source.shadow }, options);
      }
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('onnx-infer.errors.config', { reason }));
      status.force(STATUS.error(RED._('onnx-infer.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }

    function scorerFor(source: ModelSourceOptions, opts: InferOptions): ModelScorer {
      return new ModelScorer(source, opts, {
        swapped: (role: 'live' | 'shadow', info: ModelInfo | undefined) => {
          if (info) node.log(RED._(role === 'live' ? 'onnx-infer.log.live' : 'onnx-infer.log.shadow', { model: modelLabel(info) }));
          refreshStatus();
        },
        failed: (err) => {
          node.error(RED._('onnx-infer.errors.load', { reason: err.message }));
          refreshStatus();
        },
      });
    }

    const finish = (job: MsgJob): void => {
      const rows = job.results.filter((r): r is InferResult => r !== undefined);
      let withoutModel: NodeMessage | null = null;
      if (job.noModel.length > 0) {
        const assets = job.noModel.map((n) => n.asset);
        withoutModel = rows.length > 0 ? RED.util.cloneMessage(job.msg) : job.msg;
        // Several parts only come from an array payload, split into arrays per asset.
        withoutModel.payload = job.noModel.length === 1 ? job.noModel[0].part : job.noModel.flatMap((n) => n.part as unknown[]);
        (withoutModel as NodeMessage & { error?: unknown }).error = { message: RED._('onnx-infer.errors.noModel', { assets: assets.join(', ') }), assets };
      }
      let scored: NodeMessage | null = null;
      if (rows.length > 0) {
        const out = job.msg as NodeMessage & { shadow?: unknown };
        out.payload = rows.length === 1 ? rows[0] : rows;
        out.topic = rows.length === 1 ? rows[0].asset : job.msg.topic;
        if (job.shadow.some((s) => s !== undefined)) out.shadow = job.shadow.length === 1 ? job.shadow[0] : job.shadow;
        scored = out;
      }
      if (perAsset) {
        if (scored || withoutModel) job.send([scored, withoutModel]);
      } else if (scored) {
        job.send(scored);
      }
      job.done(job.error);
    };

    const release = (job: MsgJob): void => {
      if (--job.left === 0) finish(job);
    };

    const settle = (job: MsgJob, index: number, live: InferResult | Error, shadow?: ShadowResult): void => {
      if (live instanceof Error) {
        counts.bad++;
        job.error ??= live;
      } else {
        counts.scored++;
        if (live.anomalous) counts.anomalous++;
        job.results[index] = live;
        job.shadow[index] = shadow;
      }
      release(job);
    };

    const fail = (job: MsgJob, err: Error): void => {
      counts.bad++;
      job.error ??= err;
    };

    /** Maps one payload (or one asset's part of it) and queues its vectors; a model still loading is waited for. */
    const dispatch = (job: MsgJob, payload: unknown, pick: () => ModelScorer, asset?: string): void => {
      let scorer: ModelScorer;
      try {
        scorer = pick();
      } catch (err) {
        fail(job, asError(err));
        return;
      }
      if (!scorer.ready) {
        const manager = scorer.manager;
        if (manager.reloading && counts.waiting < MAX_WAITING) {
          counts.waiting++;
          job.left++;
          void manager.settled().then(() => {
            counts.waiting--;
            dispatch(job, payload, pick, asset);
            release(job);
          });
        } else if (asset !== undefined && manager.state === 'waiting' && !manager.reloading) {
          counts.noModel++;
          job.noModel.push({ asset, part: payload });
        } else {
          fail(job, manager.unavailable());
        }
        return;
      }
      const mapped = scorer.map(payload, job.msg.topic, Date.now());
      if (mapped.error) fail(job, mapped.error);
      for (const vector of mapped.vectors) {
        const index = job.results.length;
        job.results.push(undefined);
        job.shadow.push(undefined);
        job.left++;
        scorer.add({ vector, settle: (live, shadow) => settle(job, index, live, shadow) });
      }
    };

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const job: MsgJob = { msg, send, done, results: [], shadow: [], left: 1, noModel: [] };
      try {
        if (perAsset) {
          const pool = perAsset;
          for (const [asset, part] of payloadByAsset(msg.payload, msg.topic)) dispatch(job, part, () => pool.get(asset, Date.now()), asset);
        } else if (single) {
          const scorer = single;
          dispatch(job, msg.payload, () => scorer);
        }
      } catch (err) {
        fail(job, asError(err));
      }
      release(job);
    };

    function refreshStatus(): void {
      const bad = counts.bad > 0 ? RED._('onnx-infer.status.bad', { count: compactCount(counts.bad) }) : '';
      if (perAsset) {
        let text = RED._('onnx-infer.status.perAsset', { assets: compactCount(perAsset.size), scored: compactCount(counts.scored), anomalous: compactCount(counts.anomalous) });
        if (counts.noModel > 0) text += RED._('onnx-infer.status.noModel', { count: compactCount(counts.noModel) });
        if (perAsset.evicted > 0) text += RED._('onnx-infer.status.evicted', { count: compactCount(perAsset.evicted) });
        status.set(counts.waiting > 0 ? STATUS.buffering(text + bad) : STATUS.ok(text + bad));
        return;
      }
      if (!single) return;
      const manager = single.manager;
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
      status.set(single.pending > 0 ? STATUS.buffering(text) : STATUS.ok(text + bad));
    }

    const statusTimer = setInterval(() => {
      perAsset?.sweep(Date.now()).catch((err: unknown) => node.warn(describeError(err)));
      refreshStatus();
    }, STATUS_PERIOD_MS);
    refreshStatus();
    onGuardedInput(node, handle);

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      status.cancel();
      const limit = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref());
      const scorer = single;
      const closing = perAsset ? Promise.race([perAsset.close(), limit]) : scorer ? Promise.race([scorer.drain(), limit]).then(() => scorer.close()) : Promise.resolve();
      void closing
        .catch((err: unknown) => node.warn(describeError(err)))
        .finally(() => done());
    });
  }

  RED.nodes.registerType('onnx-infer', OnnxInferNode);
};

/** The first line of an error, short enough for a status text. */
function shortReason(err: PdmError | undefined): string {
  const text = err?.message.split(/[;\n]/)[0] ?? '';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
