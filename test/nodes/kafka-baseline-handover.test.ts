/**
 * Baselines across a rebalance, as docs/kafka-scale-out.md wires them: instance A's kafka-in feeds
 * anomaly-detect and its hand-over output; anomaly-detect's snapshots go through kafka-out to a
 * state topic; instance B's anomaly-detect is fed by a kafka-in reading that topic in a group of
 * its own. A second group member (instance B's reader of the readings topic) takes partitions away;
 * B restores the moved assets and flags an out-of-range reading at once, without a warm-up. Runs
 * against KAFKA_BROKERS when set, else the test broker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import { recorder, withCatalog } from '../support/node-helper';
import { kafkaNodes, kafkaSuite, pollUntil, unique, type FlowItem } from '../support/kafka/nodes';
import { waitFor } from '../support/runtime';
import anomalyDetectNode from '../../nodes/anomaly-detect';
import type { AnomalyEvent } from '../../nodes/lib/anomaly/events';
import { isSnapshotPayload } from '../../nodes/lib/anomaly/handover';

helper.init(require.resolve('node-red'));

const PARTITIONS = 4;
const ASSETS = Array.from({ length: 8 }, (_, i) => `asset-${i}`);
const partitionOf = (asset: string): number => Number(asset.split('-')[1]) % PARTITIONS;
const T0 = 1_700_000_000_000;
const LEARNED = 30;

interface EventMessage extends NodeMessage {
  payload: AnomalyEvent;
  anomaly: { key: string; state: string };
}

describe('anomaly-detect baselines follow their asset across a rebalance', () => {
  const suite = kafkaSuite('baseline-handover-test', PARTITIONS);

  it('hands a revoked asset’s baseline to its new owner, which flags the first out-of-range reading', async () => {
    const topic = unique('pdm.readings');
    const stateTopic = unique('pdm.state');
    const groupId = unique('analytics');
    const admin = suite.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }, { topic: stateTopic, numPartitions: 1 }], waitForLeaders: true });
    const committed = async (): Promise<number> =>
      (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    const producer = suite.kafka.producer();
    await producer.connect();
    const produce = async (from: number, count: number, value?: number): Promise<void> => {
      const messages = [];
      for (let i = from; i < from + count; i++) {
        for (const asset of ASSETS) {
          const reading = { asset, sensor: 'temp', value: value ?? 50 + Math.sin(i * 1.7) * 0.5, ts: T0 + i * 1000 };
          messages.push({ key: asset, partition: partitionOf(asset), value: JSON.stringify(reading) });
        }
      }
      await producer.send({ topic, messages });
    };

    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: suite.address },
      // Instance A: readings in, anomaly-detect, snapshots out to the state topic.
      { id: 'inA', z: 'f', type: 'kafka-in', broker: 'b', topics: topic, groupId, output: 'batch', commitInterval: 100, sessionTimeout: 6, wires: [['adA'], [], ['adA']] },
      { id: 'adA', z: 'f', type: 'anomaly-detect', warmUp: 20, wires: [['eventsA'], [], ['stateOut']] },
      { id: 'stateOut', z: 'f', type: 'kafka-out', broker: 'b', topic: stateTopic, keyProperty: 'asset', lingerMs: 5, wires: [] },
      // Instance B: the state topic read from the start in a group of its own.
      { id: 'stateIn', z: 'f', type: 'kafka-in', broker: 'b', topics: stateTopic, groupId: unique('state-b'), start: 'earliest', wires: [['adB'], [], []] },
      { id: 'adB', z: 'f', type: 'anomaly-detect', warmUp: 20, passNormal: true, wires: [['eventsB'], ['normalB'], []] },
      ...['eventsA', 'eventsB', 'normalB'].map((id) => ({ id, z: 'f', type: 'helper' })),
    ];
    await helper.load([...kafkaNodes, withCatalog(anomalyDetectNode)], flow);
    const eventsA = recorder<EventMessage>('eventsA');
    const eventsB = recorder<EventMessage>('eventsB');
    const normalB = recorder<NodeMessage & { anomaly: { warmingUp: boolean } }>('normalB');
    const restored = new Set<string>();
    const adB: Node = helper.getNode('adB');
    (adB as unknown as NodeJS.EventEmitter).on('input', (msg: NodeMessage) => {
      if (!isSnapshotPayload(msg.payload)) return;
      for (const s of [msg.payload].flat() as Array<{ asset: string }>) restored.add(s.asset);
    });
    try {
      await produce(0, LEARNED);
      await pollUntil(async () => (await committed()) === LEARNED * ASSETS.length, 'the learning readings absorbed and committed');

      // Instance B's reader joins the group and gets some partitions; its readings go to B's anomaly-detect.
      suite.other = suite.kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 600 });
      let taken: number[] = [];
      suite.other.on(suite.other.events.GROUP_JOIN, (e) => {
        taken = e.payload.memberAssignment[topic] ?? [];
      });
      await suite.other.connect();
      await suite.other.subscribe({ topic, fromBeginning: true });
      await suite.other.run({ eachMessage: async ({ message }) => void adB.receive({ payload: JSON.parse(String(message.value)) } as NodeMessage) });
      await waitFor(() => taken.length > 0, 30_000, 'the second member to get partitions');
      const moved = ASSETS.filter((a) => taken.includes(partitionOf(a)));
      const stayed = ASSETS.filter((a) => !moved.includes(a));
      assert.ok(moved.length > 0 && stayed.length > 0, 'the partitions were shared');
      await waitFor(() => moved.every((a) => restored.has(a)), 30_000, 'the moved assets’ snapshots restored by instance B');
      assert.deepEqual([...restored].sort(), moved, 'snapshots of exactly the moved assets');

      // One out-of-range reading per asset: each owner flags its own assets at once.
      await produce(LEARNED, 1, 80);
      await waitFor(() => eventsB.messages.length >= moved.length && eventsA.messages.length >= stayed.length, 30_000, 'the anomalies flagged');
      assert.deepEqual(eventsB.messages.map((m) => m.payload.asset).sort(), moved);
      for (const m of eventsB.messages) {
        assert.equal(m.anomaly.state, 'firing');
        assert.equal(m.payload.value, 80);
      }
      assert.deepEqual(normalB.messages, [], 'no reading of a moved asset was scored while warming up');
      const flaggedByA = eventsA.messages.flatMap((m) => [m.payload].flat().map((e) => e.asset));
      assert.deepEqual(flaggedByA.sort(), stayed, 'instance A kept the assets that stayed');
      assert.deepEqual(suite.broker?.unsupported ?? [], []);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
