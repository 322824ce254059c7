import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import { events, withCatalog } from '../support/node-helper';
import type { Node } from 'node-red';
import timescaleDbNode from '../../nodes/timescale-db';
import timescaleQueryNode from '../../nodes/timescale-query';
import { emptyBatch } from '../../nodes/lib/storage/batch';
import { pushReading } from '../../nodes/lib/storage/records';
import { migrate } from '../../nodes/lib/storage/schema';
import { Store } from '../../nodes/lib/storage/store';
import { openFixture, type DbFixture } from '../lib/storage/db-fixture';

helper.init(require.resolve('node-red'));

const NODES = [withCatalog(timescaleDbNode), withCatalog(timescaleQueryNode)];
const NOW = Date.now();

interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

interface Answer {
  payload: Record<string, unknown>[];
  query: Record<string, unknown>;
  topic?: string;
}

function next<T>(node: Node, event = 'input'): Promise<T> {
  return new Promise((resolve) => events(node).once(event, resolve));
}

function lastStatus(node: Node): Promise<StatusCall> {
  return new Promise((resolve) => {
    let seen: StatusCall | undefined;
    events(node).on('call:status', (call: { args: [StatusCall] }) => {
      seen = call.args[0];
    });
    setTimeout(() => resolve(seen ?? {}), 700);
  });
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

describe('timescale-query node', () => {
  let f: DbFixture;
  let userDir: string;

  function flow(query: Record<string, unknown>, db: Record<string, unknown> = {}): FlowItem[] {
    return [
      { id: 'f', type: 'tab' },
      { id: 'db', type: 'timescale-db', mode: 'server', host: f.host, port: f.port, database: f.database, schema: f.schema, poolSize: f.embedded ? 1 : 4, ...db },
      { id: 'q', z: 'f', type: 'timescale-query', db: 'db', asset: 'n1', range: '1h', wires: [['out']], ...query },
      { id: 'out', z: 'f', type: 'helper' },
      { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f', type: 'helper' },
    ];
  }

  async function load(items: FlowItem[]): Promise<Node> {
    await helper.load(NODES, items, { db: { user: f.user } });
    return helper.getNode('q');
  }

  before(async () => {
    f = await openFixture();
    const store = new Store(f.db, await migrate(f.db, f.schema));
    const batch = emptyBatch('readings');
    for (let i = 0; i < 10; i++) {
      pushReading(batch, { asset: 'n1', sensor: 't', value: i, ts: NOW - 10 * 60_000 + i * 1000 });
      pushReading(batch, { asset: 'n1', sensor: 'v', value: 2 * i, ts: NOW - 10 * 60_000 + i * 1000 });
      batch.rows += 2;
    }
    await store.insert(batch);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-red-user-'));
    helper.settings({ userDir });
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(() => helper.unload());
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(resolve));
    await f?.cleanup();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('answers with chart points and describes the query on msg.query, keeping the msg', async () => {
    const node = await load(flow({ mode: 'raw' }));
    const answer = next<Answer>(helper.getNode('out'));
    node.receive({ payload: 'go', topic: 'trend', sensor: 'v' });
    const msg = await answer;
    assert.equal(msg.topic, 'trend');
    assert.equal(msg.payload.length, 10);
    assert.deepEqual(msg.payload[1], { x: NOW - 10 * 60_000 + 1000, y: 2, series: 'v' });
    assert.equal(msg.query.mode, 'raw');
    assert.equal(msg.query.source, 'readings');
    assert.equal(msg.query.rows, 10);
    assert.equal((msg.query.to as number) - (msg.query.from as number), 3_600_000);
    const status = await lastStatus(node);
    assert.equal(status.fill, 'green');
    assert.match(status.text ?? '', /^1 queries · \d+ ms$/);
  });

  it('returns bucketed rows when asked for rows, honouring msg.range and msg.bucket', async () => {
    const node = await load(flow({ mode: 'bucketed', output: 'rows', sensor: 't' }));
    const answer = next<Answer>(helper.getNode('out'));
    node.receive({ payload: null, range: '15m', bucket: '1h' });
    const msg = await answer;
    assert.equal(msg.query.bucketMs, 3_600_000);
    const total = msg.payload.reduce((n, row) => n + (row.count as number), 0);
    assert.equal(total, 10);
    assert.ok(msg.payload.every((row) => row.series === 't' && 'min' in row && 'max' in row));
  });

  it('sends a bad range to a Catch node as INVALID_QUERY and counts it in a red status', async () => {
    const node = await load(flow({ mode: 'bucketed' }));
    const caught = next<{ error: { message: string; source: { id: string } } }>(helper.getNode('caught'));
    node.receive({ payload: null, range: 'forever' });
    const msg = await caught;
    assert.match(msg.error.message, /range "forever" is not a duration/);
    const status = await lastStatus(node);
    assert.equal(status.fill, 'red');
    assert.match(status.text ?? '', /· 1 failed$/);
  });

  it('refuses a SQL template whose parameters do not match, and runs one that does', async () => {
    const node = await load(flow({ mode: 'sql', sql: 'SELECT count(*)::int AS n FROM {{schema}}.readings WHERE asset = $1' }));
    const caught = next<{ error: { message: string } }>(helper.getNode('caught'));
    node.receive({ payload: null, params: [] });
    assert.match((await caught).error.message, /uses \$1..\$1 but msg.params has 0/);
    const answer = next<Answer>(helper.getNode('out'));
    node.receive({ payload: null, params: ['n1'] });
    assert.deepEqual((await answer).payload, [{ n: 20 }]);
  });

  it('fails with DB_UNAVAILABLE when the database cannot be reached', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const node = await load(flow({ mode: 'latest' }, { port: deadPort }));
    const errored = new Promise<{ code: string }>((resolve) => {
      (node as unknown as { error: (err: unknown) => void }).error = (err) => resolve(err as { code: string });
    });
    node.receive({ payload: null });
    assert.equal((await errored).code, 'DB_UNAVAILABLE');
  });

  it('reports a missing database configuration on input', async () => {
    const node = await load([{ id: 'f', type: 'tab' }, { id: 'q', z: 'f', type: 'timescale-query', db: 'none' }]);
    const errored = new Promise<{ code: string }>((resolve) => {
      (node as unknown as { error: (err: unknown) => void }).error = (err) => resolve(err as { code: string });
    });
    node.receive({ payload: null });
    assert.equal((await errored).code, 'INVALID_CONFIG');
  });
});
