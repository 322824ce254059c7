import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeError, PdmError } from './lib/errors';
import type { Reading } from './lib/reading';
import { compactCount, STATUS, ThrottledStatus, type NodeStatusLike } from './lib/status';
import { SimClock } from './lib/sim/clock';
import { settingsFromConfig, type PlantSimConfig, type PlantSimSettings } from './lib/sim/config';
import { startPlantOutlets, type PlantOutlets } from './lib/sim/outlets';
import { PlantSimulator, type TruthEvent } from './lib/sim/plant';
import { PlantWaveforms } from './lib/sim/plant-waveforms';

type PlantSimDef = NodeDef & PlantSimConfig;

interface PlantSimCredentials {
  mqttUsername?: string;
  mqttPassword?: string;
  opcuaUsername?: string;
  opcuaPassword?: string;
}

interface ControlMessage extends NodeMessageInFlow {
  reset?: unknown;
}

const HOUR_MS = 3_600_000;

export = function register(RED: NodeAPI): void {
  const userDir = (): string => (RED.settings.userDir as string | undefined) ?? path.join(os.homedir(), '.node-red');

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
    let waveforms: PlantWaveforms | undefined;
    let samples = 0;
    const begin = (): void => {
      const simStart = Date.now();
      plant = new PlantSimulator({ ...settings.plant, start: simStart });
      clock = new SimClock(settings.acceleration, simStart);
      if (settings.waveform) waveforms = new PlantWaveforms(plant, settings.plant.assets, settings.waveform, settings.plant.seed, simStart);
      samples = 0;
    };

    /** What the servers and the publisher add to the status: a problem, or nothing. */
    let outletProblem: { status: (text: string) => NodeStatusLike; text: string } | undefined;
    let outlets: PlantOutlets | undefined;
    let lastMqttError = '';
    const credentials = (node.credentials ?? {}) as PlantSimCredentials;
    const outletsReady = startPlantOutlets(settings.plant.assets, settings, {
      mqttUsername: credentials.mqttUsername,
      mqttPassword: credentials.mqttPassword,
      opcuaPkiDir: path.join(userDir(), 'predictive-maintenance', 'plant-sim-pki'),
      opcuaUsername: credentials.opcuaUsername,
      opcuaPassword: credentials.opcuaPassword,
      onMqttState: (state, err) => {
        if (state === 'connected') outletProblem = undefined;
        else outletProblem = { status: STATUS.connecting, text: RED._(`plant-sim.status.mqtt-${state}`) };
        // The client retries every second: warn once per distinct error, not on every attempt.
        const reason = err ? describeError(err) : '';
        if (reason !== '' && reason !== lastMqttError) node.warn(RED._('plant-sim.errors.mqtt', { reason }));
        if (state === 'connected' || reason !== '') lastMqttError = reason;
      },
      onModbusSocketError: (err) => node.debug(RED._('plant-sim.log.modbusSocket', { reason: describeError(err) })),
    }).then(
      (started) => {
        outlets = started;
        if (started.describe().length > 0) node.log(RED._('plant-sim.log.serving', { outlets: started.describe().join(', ') }));
        return started;
      },
      (err: unknown) => {
        const reason = describeError(err);
        node.error(RED._('plant-sim.errors.outlet', { reason }));
        outletProblem = { status: STATUS.error, text: reason };
        return undefined;
      },
    );

    const describeNext = (now: number): string => {
      const next = plant.nextFailure(now);
      if (!next) return RED._('plant-sim.status.noFailure');
      const hours = (next.ts - now) / HOUR_MS;
      const inTime = hours >= 48 ? `${(hours / 24).toFixed(1)} d` : `${hours.toFixed(1)} h`;
      return RED._('plant-sim.status.next', { asset: next.asset, fault: next.fault, in: inTime });
    };

    const sendWaveforms = (now: number, readings: readonly Reading[]): void => {
      if (!waveforms) return;
      const msgs = waveforms.sample(now, readings).map((w) => ({
        _msgid: RED.util.generateId(),
        topic: `${w.asset}/${w.sensor}`,
        payload: w.samples,
        sampleRate: w.sampleRate,
        rpm: w.rpm,
        unit: w.unit,
        asset: w.asset,
        sensor: w.sensor,
        ts: w.ts,
        truth: w.truth,
      }));
      if (msgs.length > 0) node.send([null, null, msgs as NodeMessage[]]);
    };

    const tick = (): void => {
      try {
        const now = clock.simNow();
        const { readings, truth } = plant.sample(now);
        samples += readings.length;
        outlets?.update(readings);
        const data: NodeMessage = { _msgid: RED.util.generateId(), topic: 'plant-sim', payload: readings };
        (data as NodeMessage & { sim: { ts: number } }).sim = { ts: now };
        const events = truth.map((event: TruthEvent) => ({ _msgid: RED.util.generateId(), topic: `${event.asset}/${event.fault}`, payload: event }));
        node.send([data, null, null]);
        if (events.length > 0) node.send([null, events, null]);
        sendWaveforms(now, readings);
        const simTime = new Date(now).toISOString().slice(0, 16).replace('T', ' ');
        const text = `${simTime} · ${describeNext(now)} · ${compactCount(samples)}`;
        status.set(outletProblem ? outletProblem.status(`${text} · ${outletProblem.text}`) : STATUS.ok(text));
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
      outletsReady
        .then((started) => started?.stop())
        .catch((err: unknown) => node.warn(RED._('plant-sim.errors.stop', { reason: describeError(err) })))
        .finally(done);
    });
  }

  RED.nodes.registerType('plant-sim', PlantSimNode, {
    credentials: {
      mqttUsername: { type: 'text' },
      mqttPassword: { type: 'password' },
      opcuaUsername: { type: 'text' },
      opcuaPassword: { type: 'password' },
    },
  });
};
