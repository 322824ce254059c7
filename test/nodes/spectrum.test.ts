import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, withCatalog } from '../support/node-helper';
import type { Node, NodeMessage } from 'node-red';
import spectrumNode from '../../nodes/spectrum';
import { generateWaveform } from '../../nodes/lib/sim/waveform';
import type { ChartPoint } from '../../nodes/lib/vibration/chart';
import type { Diagnosis, VibrationFeatures } from '../../nodes/lib/vibration/types';
import { isWindowStats } from '../../nodes/lib/stats/types';

helper.init(require.resolve('node-red'));

interface OutMessage extends NodeMessage {
  payload: unknown;
  action?: string;
  vibration?: { segmentSize: number; binHz: number };
  error?: { message?: string; source?: { id: string } };
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

function flow(config: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: 'f', type: 'tab' },
    { id: 's', z: 'f', type: 'spectrum', ...config, wires: [['features'], ['diagnosis'], ['chart']] },
    { id: 'features', z: 'f', type: 'helper' },
    { id: 'diagnosis', z: 'f', type: 'helper' },
    { id: 'chart', z: 'f', type: 'helper' },
    { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f', type: 'helper' },
  ];
}

async function load(config: Record<string, unknown> = {}): Promise<Node> {
  await helper.load(withCatalog(spectrumNode), flow(config));
  return helper.getNode('s');
}

function collect(id: string): OutMessage[] {
  const got: OutMessage[] = [];
  events(helper.getNode(id)).on('input', (msg: OutMessage) => got.push(msg));
  return got;
}

function statuses(node: Node): Array<{ fill?: string; shape?: string; text?: string }> {
  const seen: Array<{ fill?: string; text?: string }> = [];
  events(node).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => seen.push(call.args[0]));
  return seen;
}

const settle = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `ready` holds (worker threads answer when the machine lets them), at most `limitMs`. */
async function until(ready: () => boolean, limitMs = 20_000): Promise<void> {
  for (let waited = 0; !ready() && waited < limitMs; waited += 20) await settle(20);
}

function waveformMsg(fault: 'outer-race' | 'normal' = 'outer-race'): Record<string, unknown> {
  const w = generateWaveform({ sampleRate: 12_800, samples: 12_800, rpm: 1800, fault, damage: 0.5, seed: 5, snrDb: 10 });
  return { payload: Float32Array.from(w.samples), sampleRate: 12_800, rpm: 1800, asset: 'pump-7', sensor: 'de-accel', ts: 1_700_000_000_000, keep: 'me' };
}

describe('spectrum node', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('sends features on output 1 (the incoming msg, WindowStats-compatible) and the diagnosis on output 2', async () => {
    const node = await load();
    const features = collect('features');
    const diagnosis = collect('diagnosis');
    const chart = collect('chart');
    node.receive(waveformMsg() as never);
    await settle();
    assert.equal(features.length, 1);
    const f = features[0].payload as VibrationFeatures;
    assert.ok(isWindowStats(f));
    assert.equal(features[0].topic, 'pump-7/de-accel');
    assert.equal((features[0] as unknown as { keep: string }).keep, 'me');
    assert.equal(f.start, 1_700_000_000_000);
    assert.equal(f.end, 1_700_000_001_000);
    assert.ok(f.velocityRms > 0 && f.bpfo > 0 && f.kurtosis > 3);
    assert.equal(features[0].vibration?.segmentSize, 4096);
    assert.equal(diagnosis.length, 1);
    const d = diagnosis[0].payload as Diagnosis;
    assert.equal(d.fault, 'outer-race');
    assert.match(d.zone, /^[ABCD]$/);
    assert.equal(chart.length, 0, 'no chart output unless configured');
  });

  it('sends a decimated spectrum for ui-chart on output 3 when configured', async () => {
    const node = await load({ chart: 'envelope' });
    const chart = collect('chart');
    node.receive(waveformMsg() as never);
    await settle();
    assert.equal(chart.length, 1);
    const points = chart[0].payload as ChartPoint[];
    assert.equal(chart[0].action, 'replace');
    assert.ok(points.length > 10 && points.length <= 1000);
    const top = points.reduce((a, b) => (b.y > a.y ? b : a));
    assert.ok(Math.abs(top.x - 3.5848 * 30) < 5, `envelope peak at ${top.x} Hz`);
  });

  it('takes the speed and sample rate from the node when the msg has none', async () => {
    const node = await load({ rpm: '1800', sampleRate: '12800', asset: 'fan', sensor: 'nde' });
    const features = collect('features');
    const msg = waveformMsg('normal');
    delete msg.rpm;
    delete msg.sampleRate;
    delete msg.asset;
    delete msg.sensor;
    node.receive(msg as never);
    await settle();
    assert.equal((features[0].payload as VibrationFeatures).rpm, 1800);
    assert.equal(features[0].topic, 'fan/nde');
  });

  it('rejects bad waveforms to Catch with a reason and counts them in the status', async () => {
    const node = await load();
    const seen = statuses(node);
    const caught = collect('caught');
    const features = collect('features');
    node.receive({ payload: [1, 2, NaN], sampleRate: 1000, rpm: 60000, asset: 'a', sensor: 'b' } as never);
    node.receive({ ...waveformMsg(), rpm: -1 } as never);
    node.receive({ ...waveformMsg(), sampleRate: undefined } as never);
    await settle(700);
    assert.equal(features.length, 0);
    assert.equal(caught.length, 3);
    assert.match(String(caught[1].error?.message), /running speed -1 rpm/);
    assert.match(String(caught[2].error?.message), /sampleRate is missing/);
    const last = seen[seen.length - 1];
    assert.equal(last.fill, 'red');
    assert.match(String(last.text), /3 rejected/);
  });

  it('shows the count, the fault and the zone in a green status', async () => {
    const node = await load();
    const seen = statuses(node);
    node.receive(waveformMsg() as never);
    await settle(700);
    const last = seen[seen.length - 1];
    assert.equal(last.fill, 'green');
    assert.match(String(last.text), /1 waveforms · outer-race · zone [ABCD]/);
  });

  it('analyses on worker threads when workers is set, with the same outputs and rejections', async () => {
    const node = await load({ workers: 2, chart: 'spectrum' });
    const features = collect('features');
    const diagnosis = collect('diagnosis');
    const chart = collect('chart');
    const caught = collect('caught');
    for (let i = 0; i < 4; i++) node.receive(waveformMsg() as never);
    node.receive({ ...waveformMsg(), payload: new Float32Array(300) } as never);
    await until(() => diagnosis.length + caught.length >= 5 && chart.length >= 4);
    assert.equal(features.length, 4);
    assert.equal((features[0] as unknown as { keep: string }).keep, 'me');
    assert.equal(features[0].vibration?.segmentSize, 4096);
    assert.ok(diagnosis.every((m) => (m.payload as Diagnosis).fault === 'outer-race'));
    assert.equal(chart.length, 4);
    assert.equal(caught.length, 1);
    assert.match(String(caught[0].error?.message), /shorter than one revolution/);
  });

  it('fails every msg to Catch with INVALID_CONFIG when the configuration is invalid', async () => {
    const node = await load({ segmentSize: '1000' });
    const caught = collect('caught');
    node.receive(waveformMsg() as never);
    await settle();
    assert.equal(caught.length, 1);
    assert.match(String(caught[0].error?.message), /power of two/);
  });
});
