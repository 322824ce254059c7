/**
 * Window state across a rebalance, as docs/kafka-scale-out.md wires it: kafka-in → window-stats,
 * with kafka-in's hand-over output into the same window-stats. When a second group member takes
 * partitions away, the open windows of exactly the assets on them are flushed; when the partitions
 * come back, their windows are built afresh from the committed offset, so every reading is counted
 * in exactly one window. Runs against KAFKA_BROKERS when set, else the test broker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import { recorder, withCatalog } from '../support/node-helper';
import { kafkaNodes, kafkaSuite, pollUntil, unique, type FlowItem } from '../support/kafka/nodes';
import { waitFor } from '../support/runtime';
import windowStatsNode from '../../nodes/window-stats';

helper.init(require.resolve('node-red'));

const PARTITIONS = 4;
const ASSETS = Array.from({ length: 8 }, (_, i) => `asset-${i}`);
/** asset-i is written to partition i mod 4, so which assets a partition holds is known. */
const partitionOf = (asset: string): number => Number(asset.split('-')[1]) % PARTITIONS;
/** The start of an hour, so all readings of a test fall in one one-hour window. */
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

interface WindowMessage extends NodeMessage {
  payload: { asset: string; sensor: string; count: number };
  stats: { closedBy: string };
}

describe('kafka-in hand-over keeps window state right across a rebalance', () => {
  const suite = kafkaSuite('rebalance-state-test', PARTITIONS);

  it('flushes the windows of the assets on revoked partitions and rebuilds them on assign', async () => {
    const topic = unique('pdm.windows');
    const groupId = unique('windows');
    const admin = suite.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    const committed = async (): Promise<number> =>
      (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    const producer = suite.kafka.producer();
    await producer.connect();
    let seq = 0;
    const produce = async (perAsset: number): Promise<void> => {
      const messages = [];
      for (let i = 0; i < perAsset; i++, seq++) {
        for (const asset of ASSETS) messages.push({ key: asset, partition: partitionOf(asset), value: JSON.stringify({ asset, sensor: 'vib', value: seq, ts: T0 + seq * 1000 }) });
      }
      await producer.send({ topic, messages });
    };

    const flow: FlowItem[] = [
      { id: 'f', type: 'tab' },
      { id: 'b', type: 'kafka-broker', brokers: suite.address },
      { id: 'in', z: 'f', type: 'kafka-in', broker: 'b', topics: topic, groupId, output: 'batch', commitInterval: 100, sessionTimeout: 6, wires: [['ws'], [], ['ws']] },
      { id: 'ws', z: 'f', type: 'window-stats', size: 3600, lateness: 0, idleTimeout: 86_400, wires: [['windows'], []] },
      { id: 'windows', z: 'f', type: 'helper' },
    ];
    await helper.load([...kafkaNodes, withCatalog(windowStatsNode)], flow);
    const windows = recorder<WindowMessage>('windows');
    try {
      await produce(5);
      await pollUntil(async () => (await committed()) === 5 * ASSETS.length, 'the first 40 readings absorbed and committed');
      assert.equal(windows.messages.length, 0, 'one-hour windows are still open');

      // A second member joins: the group splits the partitions, kafka-in hands over the ones it loses.
      suite.other = suite.kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 600 });
      let taken: number[] = [];
      suite.other.on(suite.other.events.GROUP_JOIN, (e) => {
        taken = e.payload.memberAssignment[topic] ?? [];
      });
      const seenByOther: string[] = [];
      await suite.other.connect();
      await suite.other.subscribe({ topic, fromBeginning: true });
      await suite.other.run({ eachMessage: async ({ message }) => void seenByOther.push(String(message.value)) });
      await waitFor(() => taken.length > 0, 30_000, 'the second member to get partitions');
      const revoked = ASSETS.filter((a) => taken.includes(partitionOf(a)));
      const kept = ASSETS.filter((a) => !revoked.includes(a));
      assert.ok(revoked.length > 0 && kept.length > 0, 'the partitions were shared');
      await waitFor(() => windows.messages.length >= revoked.length, 20_000, 'windows flushed for the revoked assets');
      assert.deepEqual(windows.messages.map((m) => m.payload.asset).sort(), revoked, 'exactly the assets on revoked partitions');
      for (const m of windows.messages) {
        assert.equal(m.stats.closedBy, 'flush');
        assert.equal(m.payload.count, 5, `${m.payload.asset}: the readings it had, in one window`);
      }
      assert.deepEqual(seenByOther, [], 'the new owner starts at the committed offset: nothing is read twice');

      // The second member leaves; kafka-in is assigned everything again and new readings arrive.
      await suite.other.disconnect();
      suite.other = undefined;
      await produce(3);
      await pollUntil(async () => (await committed()) === 8 * ASSETS.length, 'the next 24 readings absorbed and committed');
      const before = windows.messages.length;
      helper.getNode('ws').receive({ flush: true } as NodeMessage);
      await waitFor(() => windows.messages.length === before + ASSETS.length, 10_000, 'a window per asset');
      const rebuilt = new Map(windows.messages.slice(before).map((m) => [m.payload.asset, m.payload.count]));
      for (const asset of revoked) assert.equal(rebuilt.get(asset), 3, `${asset}: rebuilt from the readings after the hand-over`);
      for (const asset of kept) assert.equal(rebuilt.get(asset), 8, `${asset}: one window for all its readings`);
      const counted = windows.messages.reduce((n, m) => n + m.payload.count, 0);
      assert.equal(counted, 8 * ASSETS.length, 'every reading in exactly one window');
      assert.deepEqual(suite.broker?.unsupported ?? [], []);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
