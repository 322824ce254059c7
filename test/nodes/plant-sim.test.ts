import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import { events, recorder, withCatalog } from '../support/node-helper';
import plantSimNode from '../../nodes/plant-sim';
import type { Reading } from '../../nodes/lib/reading';
import type { TruthEvent } from '../../nodes/lib/sim/plant';

helper.init(require.resolve('node-red'));

interface DataMessage extends NodeMessage {
  payload: Reading[];
  sim: { ts: number };
}

interface TruthMessage extends NodeMessage {
  payload: TruthEvent;
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

const HOUR = 3_600_000;

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    {
      id: 's', z: 'f', type: 'plant-sim', assetMode: 'count', assetCount: 2, assetKind: 'pump', tickMs: 20,
      // 20 ms real → 1 simulated hour per tick.
      acceleration: 180_000, seed: 3, scheduleMode: 'list',
      scenarios: [{ asset: 'pump-2', fault: 'bearing-wear', onsetHours: '2', failureHours: '3', sensor: '' }],
      ...config, wires: [['data'], ['truth']],
    },
    { id: 'data', z: 'f', type: 'helper' },
    { id: 'truth', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(plantSimNode), flow(config));
  return helper.getNode('s');
}

describe('plant-sim node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('emits a batch of readings per tick stamped with simulated time', async () => {
    const started = Date.now();
    await load();
    const data = recorder<DataMessage>('data');
    const [first, second] = await data.next(2);
    assert.equal(first.payload.length, 16, '2 pumps × 8 sensors');
    assert.deepEqual(new Set(first.payload.map((r) => r.asset)), new Set(['pump-1', 'pump-2']));
    assert.ok(first.payload.every((r) => r.ts === first.sim.ts && typeof r.value === 'number' && typeof r.unit === 'string'));
    assert.ok(second.sim.ts - first.sim.ts > 0.5 * HOUR, 'simulated time runs at the acceleration');
    assert.ok(first.sim.ts >= started);
  });

  it('publishes the ground truth of the scheduled fault on output 2 at its simulated times', async () => {
    await load();
    const truth = recorder<TruthMessage>('truth');
    const [onset, failure] = await truth.next(2, 3000);
    const t0 = onset.payload.ts - 2 * HOUR;
    assert.deepEqual(onset.payload, { asset: 'pump-2', fault: 'bearing-wear', kind: 'onset', ts: t0 + 2 * HOUR });
    assert.deepEqual(failure.payload, { asset: 'pump-2', fault: 'bearing-wear', kind: 'failure', ts: t0 + 5 * HOUR });
    assert.equal(onset.topic, 'pump-2/bearing-wear');
  });

  it('restarts the simulation on msg.reset', async () => {
    const node = await load({ acceleration: 3_600_000 });
    const data = recorder<DataMessage>('data');
    const [before] = await data.next(3).then((msgs) => msgs.slice(-1));
    assert.ok(before.sim.ts - Date.now() > HOUR);
    node.receive({ reset: true });
    const [afterReset] = await data.next(1);
    assert.ok(afterReset.sim.ts < before.sim.ts, 'simulated time starts over');
  });

  it('shows the simulated time and the next failure in its status', async () => {
    const node = await load();
    const status = await new Promise<{ fill?: string; text?: string }>((resolve) => {
      events(node).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => {
        if (call.args[0].fill === 'green') resolve(call.args[0]);
      });
    });
    assert.match(status.text ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d · next pump-2 bearing-wear in \d+\.\d h · \d+/);
  });

  it('rejects a bad configuration: no output, an error, and done(err) for each msg', async () => {
    const node = await load({ scenarios: [{ asset: 'pump-9', fault: 'bearing-wear', onsetHours: 1, failureHours: 2 }] });
    const caught = recorder<NodeMessage & { error: { message: string } }>('caught');
    const data = recorder<DataMessage>('data');
    node.receive({ payload: 1 });
    const [msg] = await caught.next();
    assert.match(msg.error.message, /no asset pump-9/);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(data.messages.length, 0);
  });
});
