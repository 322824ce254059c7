import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, recorder, useConfiguredStore, withCatalog } from '../support/node-helper';
import type { Node, NodeMessage } from 'node-red';
import anomalyDetectNode from '../../nodes/anomaly-detect';
import { SLOW_PROCESS_PROFILE } from '../../nodes/lib/anomaly/config';
import type { AnomalyEvent } from '../../nodes/lib/anomaly/events';
import type { WindowStats } from '../../nodes/lib/stats/types';
import { pumpReadings } from '../lib/anomaly/pump';

helper.init(require.resolve('node-red'));
helper.settings({ contextStorage: { default: { module: 'memory' } } });

const T0 = 1_700_000_000_000;

interface OutMessage extends NodeMessage {
  payload: unknown;
  anomaly?: Record<string, unknown>;
  error?: { message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 'a', z: 'f', type: 'anomaly-detect', warmUp: 20, passNormal: true, ...config, wires: [['events'], ['normal']] },
    { id: 'events', z: 'f', type: 'helper' },
    { id: 'normal', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(anomalyDetectNode), flow(config));
  return helper.getNode('a');
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

/** A steady signal with a little deterministic jitter. */
function steady(n: number, from = 0, sensor = 'temp'): { asset: string; sensor: string; value: number; ts: number }[] {
  return Array.from({ length: n }, (_, i) => ({ asset: 'pump-1', sensor, value: 50 + Math.sin((from + i) * 1.7) * 0.5, ts: T0 + (from + i) * 1000 }));
}

describe('anomaly-detect node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('forwards a normal single reading on output 2 with its score, and an anomaly on output 1', async () => {
    const node = await load();
    const normal = recorder<OutMessage>('normal');
    const out = recorder<OutMessage>('events');
    for (const r of steady(30)) node.receive({ payload: r, topic: 'kept' });
    const passed = await normal.next(30);
    assert.equal(passed[0].anomaly?.warmingUp, true);
    assert.equal(passed[29].anomaly?.warmingUp, false);
    assert.equal(passed[29].topic, 'kept');
    assert.equal(typeof passed[29].anomaly?.score, 'number');
    node.receive({ payload: { asset: 'pump-1', sensor: 'temp', value: 80, ts: T0 + 31_000 }, _msgid: 'm-1' });
    const [msg] = await out.next();
    const event = msg.payload as AnomalyEvent;
    assert.equal(msg._msgid, 'm-1', 'the incoming msg is forwarded');
    assert.equal(msg.topic, 'pump-1/temp');
    assert.deepEqual(msg.anomaly, { key: 'pump-1/temp', state: 'firing' });
    assert.equal(event.value, 80);
    assert.equal(event.severity, 'critical');
    assert.ok(event.detectors.some((d) => d.name === 'zscore'));
    assert.ok(event.expected!.low < 50 && event.expected!.high > 50);
    assert.equal(normal.messages.length, 30);
  });

  it('a batch gives at most one message of normal readings with aligned scores, and one message per event', async () => {
    const node = await load({ cooldown: 0 });
    const normal = recorder<OutMessage>('normal');
    const out = recorder<OutMessage>('events');
    const batch = steady(60);
    batch[40] = { ...batch[40], value: 90 };
    batch[50] = { ...batch[50], value: 10 };
    node.receive({ payload: batch });
    const [[passed], firing] = await Promise.all([normal.next(), out.next(4)]);
    assert.equal((passed.payload as unknown[]).length, 56, 'all but two anomalies and the two readings that resolved them');
    assert.equal((passed.anomaly?.scores as number[]).length, 56);
    assert.ok((passed.anomaly?.scores as number[]).every((s) => s < 1));
    assert.deepEqual(firing.map((m) => (m.payload as AnomalyEvent).value), [90, batch[43].value, 10, batch[53].value]);
    assert.deepEqual(firing.map((m) => m.anomaly?.state), ['firing', 'resolved', 'firing', 'resolved']);
    await settle();
    assert.equal(out.messages.length, 4);
  });

  it('sends the events of a batch in one message when asked', async () => {
    const node = await load({ batchEvents: true, passNormal: false, cooldown: 0 });
    const out = recorder<OutMessage>('events');
    const batch = steady(40);
    batch[30] = { ...batch[30], value: 90 };
    batch[35] = { ...batch[35], value: 95 };
    node.receive({ payload: batch });
    const [msg] = await out.next();
    assert.equal((msg.payload as AnomalyEvent[]).length, 4);
    assert.deepEqual((msg.anomaly?.events as { state: string }[]).map((e) => e.state), ['firing', 'resolved', 'firing', 'resolved']);
  });

  it('scores window statistics per feature', async () => {
    const node = await load({ features: 'mean,max', warmUp: 10 });
    const out = recorder<OutMessage>('events');
    const normal = recorder<OutMessage>('normal');
    const stats = (i: number, max: number): WindowStats => ({
      asset: 'fan-2', sensor: 'vibration', start: T0 + i * 10_000, end: T0 + (i + 1) * 10_000, count: 100,
      mean: 2 + Math.sin(i) * 0.1, std: 0.1, min: 1.8, max, range: max - 1.8, rms: 2, peak: max, peakToPeak: max - 1.8,
      crestFactor: 1.5, skewness: 0, kurtosis: 3, median: 2, p05: 1.85, p95: 2.2, slope: 0, rateOfChange: 0, first: 2, last: 2,
    });
    node.receive({ payload: Array.from({ length: 20 }, (_, i) => stats(i, 2.3 + Math.cos(i) * 0.05)) });
    await normal.next();
    node.receive({ payload: stats(20, 9) });
    const [msg] = await out.next();
    const event = msg.payload as AnomalyEvent;
    assert.deepEqual([event.asset, event.sensor, event.feature, event.value, event.ts], ['fan-2', 'vibration', 'max', 9, T0 + 210_000]);
    assert.equal(msg.anomaly?.key, 'fan-2/vibration/max');
  });

  it('restores baselines after a redeploy from the node context', async () => {
    const node = await load({ persistInterval: 0 });
    await useConfiguredStore();
    const normal = recorder<OutMessage>('normal');
    node.receive({ payload: steady(30) });
    await normal.next();
    await helper.setFlows(flow({ persistInterval: 0, name: 'redeployed' }), 'full');
    const again = recorder<OutMessage>('normal');
    const out = recorder<OutMessage>('events');
    helper.getNode('a').receive({ payload: steady(1, 30)[0] });
    const [msg] = await again.next();
    assert.equal(msg.anomaly?.warmingUp, false, 'no warm-up after the redeploy');
    helper.getNode('a').receive({ payload: { asset: 'pump-1', sensor: 'temp', value: 70, ts: T0 + 40_000 } });
    await out.next();
  });

  it('saves the baselines of many keys on its interval, a slice at a time, into the node context', async () => {
    const node = await load({ persistInterval: 0.05 });
    const normal = recorder<OutMessage>('normal');
    const readings = Array.from({ length: 450 }, (_, i) => ({ asset: `pump-${i}`, sensor: 'temp', value: 50, ts: T0 }));
    node.receive({ payload: readings });
    await normal.next();
    const stored = (): Record<string, unknown> | undefined => node.context().get('anomalyBaselines') as Record<string, unknown> | undefined;
    for (let waited = 0; Object.keys(stored() ?? {}).length < 450 && waited < 2000; waited += 20) await settle();
    assert.equal(Object.keys(stored() ?? {}).length, 450);
    assert.ok('b' in ((stored() ?? {})['pump-449/temp'] as object), 'a baseline as the detector writes it');
  });

  it('forgets the baselines when the node is removed', async () => {
    await load({ persistInterval: 0 });
    await useConfiguredStore();
    const normal = recorder<OutMessage>('normal');
    helper.getNode('a').receive({ payload: steady(30) });
    await normal.next();
    await helper.setFlows(flow().filter((n) => n.id !== 'a'), 'full');
    await helper.setFlows(flow({ persistInterval: 0 }), 'full');
    const again = recorder<OutMessage>('normal');
    helper.getNode('a').receive({ payload: steady(1, 30)[0] });
    const [msg] = await again.next();
    assert.equal(msg.anomaly?.warmingUp, true);
  });

  it('reports a bad single reading to a Catch node', async () => {
    const node = await load();
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: { asset: 'pump-1', sensor: 'temp', value: 'hot', ts: T0 } });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /value must be a number/);
  });

  it('keeps the good readings of a batch and reports the bad ones once', async () => {
    const node = await load();
    const caught = recorder<OutMessage>('caught');
    const normal = recorder<OutMessage>('normal');
    node.receive({ payload: [...steady(3), { asset: 'pump-1', value: 1, ts: T0 }, null] });
    const [[passed], [error]] = await Promise.all([normal.next(), caught.next()]);
    assert.equal((passed.payload as unknown[]).length, 3);
    assert.match(String(error.error?.message), /2 of 5 items rejected; first at index 3: sensor must be a non-empty string/);
    assert.deepEqual((error.anomaly?.rejected as { index: number }[]).map((r) => r.index), [3, 4]);
    await settle();
    assert.equal(caught.messages.length, 1);
  });

  it('shows warming up, then keys and firing counts in the status', async () => {
    const node = await load();
    const statuses: { fill?: string; shape?: string; text?: string }[] = [];
    events(node).on('call:status', (call: { args: [{ fill?: string; shape?: string; text?: string }] }) => statuses.push(call.args[0]));
    const normal = recorder<OutMessage>('normal');
    node.receive({ payload: steady(5) });
    await normal.next();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual(statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'warming up · 1 keys' });
    node.receive({ payload: [...steady(20, 5), { asset: 'pump-1', sensor: 'temp', value: 99, ts: T0 + 60_000 }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: '1 keys · 1 firing' });
  });

  it('the level-shift detector of the slow-process profile fires on a drop and names itself in the event', async () => {
    const node = await load({ ...SLOW_PROCESS_PROFILE, warmUp: 100, window: 100 });
    const out = recorder<OutMessage>('events');
    for (const r of steady(150)) node.receive({ payload: r });
    const drop = steady(20, 150).map((r) => ({ ...r, value: r.value - 10 }));
    for (const r of drop) node.receive({ payload: r });
    const [msg] = await out.next();
    const event = msg.payload as AnomalyEvent;
    assert.ok(event.ts >= T0 + 150_000, 'nothing before the drop');
    assert.deepEqual(event.detectors.map((d) => d.name), ['shift']);
    assert.ok(event.detectors[0].detail && 'short' in event.detectors[0].detail);
  });

  it('refuses level-shift spans where the long one is not longer, with the reason', async () => {
    const node = await load({ shiftShort: 20, shiftLong: 10 });
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: steady(1)[0] });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /shiftLong/);
  });

  it('with an invalid configuration every message fails to a Catch node with the reason', async () => {
    const node = await load({ rules: [{ match: 'x/*', options: '{"zThreshold": -1}' }] });
    const caught = recorder<OutMessage>('caught');
    node.receive({ payload: steady(1)[0] });
    const [msg] = await caught.next();
    assert.match(String(msg.error?.message), /zThreshold/);
  });

  describe('multivariate', () => {
    const MV = { detectors: ['zscore'], mvEnabled: true, mvSensors: 'flow,pressure,current', mvTraining: 100, mvK: 2, mvN: 3, persistInterval: 0 };
    const train = (node: Node): void => {
      node.receive({ payload: Array.from({ length: 100 }, (_, i) => pumpReadings('pump-7', i, T0)).flat() });
    };
    const broken = (from: number): unknown[] => [from, from + 1, from + 2].flatMap((i) => pumpReadings('pump-7', i, T0, true));

    it('fires an event for a broken relation between sensors that no single sensor shows', async () => {
      const node = await load(MV);
      const normal = recorder<OutMessage>('normal');
      const out = recorder<OutMessage>('events');
      train(node);
      await normal.next();
      node.receive({ payload: broken(100) });
      const [msg] = await out.next();
      const event = msg.payload as AnomalyEvent<Record<string, number>>;
      assert.equal(msg.topic, 'pump-7/flow,pressure,current');
      assert.deepEqual(msg.anomaly, { key: 'pump-7/flow,pressure,current', state: 'firing' });
      assert.equal(event.sensor, 'flow,pressure,current');
      assert.deepEqual(Object.keys(event.value), ['flow', 'pressure', 'current']);
      assert.equal(event.detectors[0].name, 'q');
      await settle();
      assert.equal(out.messages.length, 1, 'no univariate event: each sensor stays in its range');
    });

    it('keeps the trained model across a redeploy', async () => {
      const node = await load(MV);
      await useConfiguredStore();
      const normal = recorder<OutMessage>('normal');
      train(node);
      await normal.next();
      await helper.setFlows(flow({ ...MV, name: 'redeployed' }), 'full');
      const out = recorder<OutMessage>('events');
      helper.getNode('a').receive({ payload: broken(100) });
      const [msg] = await out.next();
      assert.equal((msg.payload as AnomalyEvent).sensor, 'flow,pressure,current', 'scored at once, without relearning');
    });

    it('method "deviation" fires an event naming the sensor that stepped', async () => {
      const node = await load({ ...MV, detectors: [], mvMethod: 'deviation' });
      const normal = recorder<OutMessage>('normal');
      const out = recorder<OutMessage>('events');
      train(node);
      await normal.next();
      const stepped = [100, 101, 102, 103, 104, 105].flatMap((i) => pumpReadings('pump-7', i, T0).map((r) => (r.sensor === 'flow' ? { ...r, value: r.value + 40 } : r)));
      node.receive({ payload: stepped });
      const [msg] = await out.next();
      const event = msg.payload as AnomalyEvent<Record<string, number>>;
      assert.equal(event.sensor, 'flow,pressure,current');
      assert.equal(event.detectors[0].name, 'deviation');
      assert.equal(Object.keys(event.detectors[0].detail ?? {})[0], 'flow');
    });

    it('refuses a sensor list that is not a list of names, with the reason', async () => {
      const node = await load({ ...MV, mvSensors: 'flow,press*' });
      const caught = recorder<OutMessage>('caught');
      node.receive({ payload: pumpReadings('pump-7', 0, T0)[0] });
      const [msg] = await caught.next();
      assert.match(String(msg.error?.message), /multivariate: "press\*": name each sensor/);
      const spy = helper.log() as unknown as { args: [{ level: number; msg: unknown }][]; ERROR: number };
      const errors = spy.args.filter(([entry]) => entry.level === spy.ERROR).map(([entry]) => String(entry.msg));
      assert.ok(errors.some((m) => m.startsWith('Invalid configuration: multivariate:')), 'logged on deploy');
    });
  });
});
