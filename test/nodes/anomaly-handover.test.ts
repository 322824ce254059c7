/**
 * anomaly-detect's baseline hand-over between two nodes standing for two instances: the old
 * owner's snapshot output is wired straight into the new owner, as a state topic would carry it.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import { recorder, useConfiguredStore, withCatalog } from '../support/node-helper';
import { statuses } from '../support/kafka/nodes';
import { waitFor } from '../support/runtime';
import anomalyDetectNode from '../../nodes/anomaly-detect';
import type { AnomalyEvent } from '../../nodes/lib/anomaly/events';
import type { BaselineSnapshot } from '../../nodes/lib/anomaly/handover';

helper.init(require.resolve('node-red'));
helper.settings({ contextStorage: { default: { module: 'memory' } } });

const T0 = 1_700_000_000_000;

interface OutMessage extends NodeMessage {
  payload: unknown;
  anomaly?: { key?: string; state?: string; warmingUp?: boolean };
  error?: { message?: string };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

const flow = (name = ''): FlowItem[] => [
  { id: 'f', type: 'tab' },
  { id: 'old', z: 'f', type: 'anomaly-detect', name, warmUp: 20, passNormal: true, persistInterval: 0, wires: [['oldEvents'], ['oldNormal'], ['snapshots', 'new']] },
  { id: 'new', z: 'f', type: 'anomaly-detect', name, warmUp: 20, passNormal: true, persistInterval: 0, wires: [['newEvents'], ['newNormal'], []] },
  ...['oldEvents', 'oldNormal', 'snapshots', 'newEvents', 'newNormal', 'caught'].map((id) => ({ id, z: 'f', type: 'helper' })),
  { id: 'catcher', z: 'f', type: 'catch', scope: ['new'], uncaught: false, wires: [['caught']] },
];

function reading(asset: string, sensor: string, i: number, value?: number): { asset: string; sensor: string; value: number; ts: number } {
  return { asset, sensor, value: value ?? 50 + Math.sin(i * 1.7) * 0.5, ts: T0 + i * 1000 };
}

/** What kafka-in sends on output 3 for a key of a partition it lost. */
const revoked = (key: string): NodeMessage =>
  ({ topic: key, flush: key, kafka: { event: 'revoked', topic: 'maintenance.sensors.raw', partition: 0 } }) as NodeMessage;

describe('anomaly-detect baseline hand-over', () => {
  let oldOwner: Node;
  let newOwner: Node;
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  const load = async (): Promise<void> => {
    await helper.load(withCatalog(anomalyDetectNode), flow());
    oldOwner = helper.getNode('old');
    newOwner = helper.getNode('new');
  };

  it('sends a revoked asset’s baselines as one snapshot; the new owner flags the first anomaly without warming up', async () => {
    await load();
    const oldNormal = recorder<OutMessage>('oldNormal');
    const snapshots = recorder<OutMessage>('snapshots');
    const newEvents = recorder<OutMessage>('newEvents');
    const newNormal = recorder<OutMessage>('newNormal');
    for (let i = 0; i < 30; i++) {
      for (const [asset, sensor] of [['pump-1', 'temp'], ['pump-1', 'vib'], ['pump-2', 'temp']]) oldOwner.receive({ payload: reading(asset, sensor, i) } as NodeMessage);
    }
    await oldNormal.next(90, 10_000);

    const newInputs = recorder<OutMessage>('new');
    oldOwner.receive(revoked('pump-1/temp'));
    oldOwner.receive(revoked('pump-1/vib'));
    const [[sent]] = await Promise.all([snapshots.next(), newInputs.next()]);
    const snapshot = sent.payload as BaselineSnapshot;
    assert.equal(sent.topic, 'pump-1');
    assert.equal(snapshot.type, 'anomaly-baseline');
    assert.equal(snapshot.version, 1);
    assert.equal(snapshot.asset, 'pump-1');
    assert.equal(snapshot.node, 'old');
    assert.deepEqual(Object.keys(snapshot.keys).sort(), ['pump-1/temp', 'pump-1/vib'], 'every key of the asset in one snapshot');
    assert.equal(snapshot.keys['pump-1/temp'].b.n, 30);

    // The second hand-over of the same asset finds nothing left: it sends nothing.
    oldOwner.receive({ payload: reading('pump-2', 'temp', 30) } as NodeMessage);
    const [pump2] = await oldNormal.next();
    assert.equal(pump2.anomaly?.warmingUp, false, 'the asset that stayed keeps its baseline');
    assert.equal(snapshots.messages.length, 1);

    newOwner.receive({ payload: reading('pump-1', 'temp', 30, 80) } as NodeMessage);
    const [event] = await newEvents.next();
    assert.equal((event.payload as AnomalyEvent).value, 80);
    assert.deepEqual(event.anomaly, { key: 'pump-1/temp', state: 'firing' });
    newOwner.receive({ payload: reading('pump-1', 'vib', 30) } as NodeMessage);
    const [vib] = await newNormal.next();
    assert.equal(vib.anomaly?.warmingUp, false);

    oldOwner.receive({ payload: reading('pump-1', 'temp', 31) } as NodeMessage);
    const [again] = await oldNormal.next();
    assert.equal(again.anomaly?.warmingUp, true, 'the old owner forgot the asset');
  });

  it('refuses a bad snapshot with the reason and counts it in the status', async () => {
    await load();
    const seen = statuses(newOwner);
    const caught = recorder<OutMessage>('caught');
    newOwner.receive({ payload: { type: 'anomaly-baseline', version: 9, asset: 'pump-1', node: 'old', savedAt: T0, keys: {} } } as NodeMessage);
    const [err] = await caught.next();
    assert.match(err.error?.message ?? '', /invalid baseline snapshot: version 9 is not supported \(expected 1\)/);
    newOwner.receive({ payload: [{ type: 'anomaly-baseline', version: 1, asset: 'pump-1', node: 'old', savedAt: T0, keys: { 'pump-1/temp': { b: {} } } }] } as NodeMessage);
    const [second] = await caught.next();
    assert.match(second.error?.message ?? '', /the state of "pump-1\/temp" is not a baseline/);
    await waitFor(() => seen.some((s) => s.text?.includes('2 bad') === true), 10_000, 'the bad snapshots counted in the status');
  });

  it('keeps a baseline that has learned more than an old snapshot', async () => {
    await load();
    const snapshots = recorder<OutMessage>('snapshots');
    const newEvents = recorder<OutMessage>('newEvents');
    const newNormal = recorder<OutMessage>('newNormal');
    for (let i = 0; i < 25; i++) oldOwner.receive({ payload: reading('pump-1', 'temp', i) } as NodeMessage);
    for (let i = 0; i < 40; i++) newOwner.receive({ payload: reading('pump-1', 'temp', i, 20 + Math.sin(i)) } as NodeMessage);
    await newNormal.next(40, 10_000);
    const newInputs = recorder<OutMessage>('new');
    oldOwner.receive(revoked('pump-1/temp'));
    await Promise.all([snapshots.next(), newInputs.next()]);
    // The old snapshot (mean 50) would make a reading at 20 anomalous; the state kept here knows 20 is normal.
    newOwner.receive({ payload: reading('pump-1', 'temp', 40, 20) } as NodeMessage);
    const [kept] = await newNormal.next(1, 10_000); console.log('DBG', JSON.stringify(kept.anomaly), JSON.stringify(kept.payload));
    assert.equal(kept.anomaly?.warmingUp, false);
    assert.equal(newEvents.messages.length, 0);
  });

  it('saves the hand-over to context: after a redeploy the old owner has forgotten the asset, the new owner kept it', async () => {
    await load();
    await useConfiguredStore();
    const oldNormal = recorder<OutMessage>('oldNormal');
    for (let i = 0; i < 30; i++) {
      for (const asset of ['pump-1', 'pump-2']) oldOwner.receive({ payload: reading(asset, 'temp', i) } as NodeMessage);
    }
    await oldNormal.next(60, 10_000);
    // A redeploy saves the baselines; the hand-over then takes one that is only in the context.
    await helper.setFlows(flow('saved'), 'full');
    const snapshots = recorder<OutMessage>('snapshots');
    const newInputs = recorder<OutMessage>('new');
    helper.getNode('old').receive(revoked('pump-1/temp'));
    const [[sent]] = await Promise.all([snapshots.next(), newInputs.next()]);
    assert.equal((sent.payload as BaselineSnapshot).keys['pump-1/temp'].b.n, 30);

    await helper.setFlows(flow('redeployed'), 'full');
    const oldAgain = recorder<OutMessage>('oldNormal');
    const newAgain = recorder<OutMessage>('newNormal');
    helper.getNode('old').receive({ payload: reading('pump-1', 'temp', 30) } as NodeMessage);
    helper.getNode('old').receive({ payload: reading('pump-2', 'temp', 30) } as NodeMessage);
    helper.getNode('new').receive({ payload: reading('pump-1', 'temp', 30) } as NodeMessage);
    const [oldPump1, oldPump2] = await oldAgain.next(2);
    const [newPump1] = await newAgain.next();
    assert.equal(oldPump1.anomaly?.warmingUp, true, 'handed over: not restored from the old owner\'s context');
    assert.equal(oldPump2.anomaly?.warmingUp, false, 'the asset that stayed is restored');
    assert.equal(newPump1.anomaly?.warmingUp, false, 'the restored snapshot was saved by the new owner');
  });
});
