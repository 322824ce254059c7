import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { modelTrainSettings, nameList, type ModelTrainConfig, type ModelTrainSettings } from './lib/ml/config';
import { registryCatalog } from './lib/ml/catalog';
import { parseDataset } from './lib/ml/dataset';
import { ModelRegistry, validateModelName } from './lib/ml/registry';
import { retrain } from './lib/ml/retrain';
import { trainInWorker } from './lib/ml/train-thread';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type ModelTrainDef = NodeDef & ModelTrainConfig;
type Send = (msg: Array<NodeMessage | null>) => void;
type TrainMessage = NodeMessageInFlow & { features?: unknown; modelName?: unknown; asset?: unknown; training?: unknown };

const DEFAULT_REGISTRY_FOLDER = 'pdm-models';
/** msg.topic asking for the registry's catalog instead of a training run. */
const CATALOG_TOPIC = 'catalog';
/** A training registers and then promotes: one catalog for both changes. */
const CATALOG_SETTLE_MS = 250;

export = function register(RED: NodeAPI): void {
  function ModelTrainNode(this: Node, config: ModelTrainDef): void {
    RED.nodes.createNode(this, config);
    let settings: ModelTrainSettings;
    try {
      settings = modelTrainSettings(config);
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('model-train.errors.config', { reason }));
      this.status(STATUS.error(RED._('model-train.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, settings);
  }

  function registryDir(settings: ModelTrainSettings): string {
    if (settings.registryDir !== '') return settings.registryDir;
    const userDir = (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
    return path.join(userDir, DEFAULT_REGISTRY_FOLDER);
  }

  function start(node: Node, settings: ModelTrainSettings): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const registry = new ModelRegistry(registryDir(settings));
    const abort = new AbortController();
    let running: Promise<void> | undefined;
    let failed = 0;
    status.set(STATUS.idle(RED._('model-train.status.idle')));

    const failedText = (): string => (failed > 0 ? RED._('model-train.status.failed', { count: compactCount(failed) }) : '');

    const catalogMessage = async (msg: NodeMessage): Promise<NodeMessage> => {
      msg.topic = 'models';
      msg.payload = await registryCatalog(registry);
      return msg;
    };
    const publishCatalog = (): void => {
      catalogMessage({ _msgid: RED.util.generateId() } as NodeMessage).then(
        (msg) => node.send([null, msg]),
        (err: unknown) => node.warn(RED._('model-train.errors.catalog', { reason: describeError(err) })),
      );
    };
    let catalogTimer: NodeJS.Timeout | undefined;
    const unsubscribe = registry.onChange(() => {
      clearTimeout(catalogTimer);
      catalogTimer = setTimeout(publishCatalog, CATALOG_SETTLE_MS);
    });

    const train = async (msg: TrainMessage, send: Send): Promise<void> => {
      const name = msg.modelName === undefined ? settings.options.name : validateModelName(msg.modelName);
      const asset = msg.asset === undefined ? undefined : assetName(msg.asset);
      const features = msg.features === undefined ? settings.features : Array.isArray(msg.features) ? msg.features.map(String) : nameList(msg.features);
      const { dataset, dropped } = parseDataset({ payload: msg.payload, features, maxRows: settings.maxRows });
      status.force(STATUS.buffering(RED._('model-train.status.training', { rows: compactCount(dataset.rows) })));
      const started = Date.now();
      const result = await retrain(registry, dataset, { ...settings.options, name, asset }, settings.policy, {
        signal: abort.signal,
        onEpoch: (e) => status.set(STATUS.buffering(RED._('model-train.status.epoch', { epoch: e.epoch, epochs: e.epochs, loss: e.heldBackLoss.toPrecision(3) }))),
      }, trainInWorker);
      if (abort.signal.aborted) return;
      const out = msg as NodeMessage & { training?: unknown };
      out.payload = result.meta;
      out.training = { outcome: result.outcome, reason: result.reason, dropped, ms: Date.now() - started };
      send([out, null]);
      const key = result.outcome === 'live' ? 'model-train.status.live' : result.outcome === 'candidate' ? 'model-train.status.candidate' : 'model-train.status.registered';
      status.force(STATUS.ok(RED._(key, { name: result.meta.name, version: result.meta.version }) + failedText()));
    };

    onGuardedInput<TrainMessage, Send>(node, (msg, send, done) => {
      if (msg.topic === CATALOG_TOPIC) {
        catalogMessage(msg as NodeMessage).then((out) => {
          send([null, out]);
          done();
        }, (err: unknown) => done(err instanceof Error ? err : new Error(describeError(err))));
        return;
      }
      if (running) {
        failed++;
        done(new PdmError('INVALID_CONFIG', RED._('model-train.errors.busy'), { retriable: true }));
        return;
      }
      running = train(msg, send).then(
        () => done(),
        (err: unknown) => {
          if (abort.signal.aborted) {
            done();
            return;
          }
          failed++;
          status.force(STATUS.error(RED._('model-train.status.error') + failedText()));
          done(err instanceof Error ? err : new Error(describeError(err)));
        },
      ).finally(() => {
        running = undefined;
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      abort.abort();
      status.cancel();
      unsubscribe();
      clearTimeout(catalogTimer);
      if (running) void running.then(() => done());
      else done();
    });
  }

  RED.nodes.registerType('model-train', ModelTrainNode);
};

function assetName(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new PdmError('INVALID_PAYLOAD', `msg.asset must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}
