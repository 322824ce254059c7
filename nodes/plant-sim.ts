import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { SimClock } from './lib/sim/clock';
import { settingsFromConfig, type PlantSimConfig, type PlantSimSettings } from './lib/sim/config';
import { PlantSimulator, type TruthEvent } from './lib/sim/plant';

type PlantSimDef = NodeDef & PlantSimConfig;

interface ControlMessage extends NodeMessageInFlow {
  reset?: unknown;
}

const HOUR_MS = 3_600_000;

export = function register(RED: NodeAPI): void {
  function PlantSimNode(this: Node, config: PlantSimDef): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: PlantSimDef): void {
    const status = new ThrottledStatus((s) => node.status(s));
    let settings: PlantSimSettings;
    try {
      settings = settingsFromConfig(config);
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('plant-sim.errors.config', { reason }));
      status.force(STATUS.error(RED._('plant-sim.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }

    let plant: PlantSimulator;
    let clock: SimClock;
    let samples = 0;
    const begin = (): void => {
      const simStart = Date.now();
      plant = new PlantSimulator({ ...settings.plant, start: simStart });
      clock = new SimClock(settings.acceleration, simStart);
      samples = 0;
    };

    const describeNext = (now: number): string => {
      const next = plant.nextFailure(now);
      if (!next) return RED._('plant-sim.status.noFailure');
      const hours = (next.ts - now) / HOUR_MS;
      const inTime = hours >= 48 ? `${(hours / 24).toFixed(1)} d` : `${hours.toFixed(1)} h`;
      return RED._('plant-sim.status.next', { asset: next.asset, fault: next.fault, in: inTime });
    };

    const tick = (): void => {
      try {
        const now = clock.simNow();
        const { readings, truth } = plant.sample(now);
        samples += readings.length;
        const data: NodeMessage = { _msgid: RED.util.generateId(), topic: 'plant-sim', payload: readings };
        (data as NodeMessage & { sim: { ts: number } }).sim = { ts: now };
        const events = truth.map((event: TruthEvent) => ({ _msgid: RED.util.generateId(), topic: `${event.asset}/${event.fault}`, payload: event }));
        node.send([data, null]);
        if (events.length > 0) node.send([null, events]);
        const simTime = new Date(now).toISOString().slice(0, 16).replace('T', ' ');
        status.set(STATUS.ok(`${simTime} · ${describeNext(now)} · ${compactCount(samples)}`));
      } catch (err) {
        node.error(RED._('plant-sim.errors.tick', { reason: describeError(err) }));
        status.force(STATUS.error(RED._('plant-sim.status.error')));
      }
    };

    begin();
    let timer: NodeJS.Timeout | undefined = setInterval(tick, settings.tickMs);

    node.on('input', (msg: ControlMessage, _send, done) => {
      if (msg.reset !== undefined && msg.reset !== false) {
        begin();
        status.force(STATUS.idle(RED._('plant-sim.status.reset')));
      }
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      status.cancel();
      done();
    });
  }

  RED.nodes.registerType('plant-sim', PlantSimNode);
};
