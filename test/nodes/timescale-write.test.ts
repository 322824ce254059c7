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
import timescaleWriteNode from '../../nodes/timescale-write';
import { openFixture, type DbFixture } from '../lib/storage/db-fixture';

helper.init(require.resolve('node-red'));

const NODES = [withCatalog(timescaleDbNode), withCatalog(timescaleWriteNode)];

interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

function statusMatching(node: Node, match: (status: StatusCall) => boolean, timeoutMs = 15_000): Promise<StatusCall> {
  return new Promise((resolve, reject) => {
    const seen: StatusCall[] = [];
    const timer = setTimeout(() => reject(new Error(`no matching status; saw ${JSON.stringify(seen)}`)), timeoutMs);
    events(node).on('call:status', (call: { args: [StatusCall] }) => {
      seen.push(call.args[0]);
      if (match(call.args[0])) {
        clearTimeout(timer);
        resolve(call.args[0]);
      }
    });
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

describe('timescale-write node', () => {
  let f: DbFixture;
  let userDir: string;

  const count = async (table: string, asset: string): Promise<number> => {
    const rows = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}"."${table}" WHERE asset = $1`, [asset]).catch(() => [{ n: -1 }]);
    return rows[0].n;
  };

  function dbConfig(extra: Record<string, unknown> = {}): FlowItem {
    return {
      id: 'db', type: 'timescale-db', mode: 'server', host: f.host, port: f.port, database: f.database,
      schema: f.schema, poolSize: f.embedded ? 1 : 4, ...extra,
    };
  }

  function flow(db: FlowItem, write: Record<string, unknown> = {}): FlowItem[] {
    return [
      { id: 'f', type: 'tab' },
      db,
      { id: 'w', z: 'f', type: 'timescale-write', db: 'db', flushInterval: 0.1, ...write },
      { id: 'catcher', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f', type: 'helper' },
    ];
  }

  async function load(items: FlowItem[]): Promise<Node> {
    await helper.load(NODES, items, { db: { user: f.user } });
    return helper.getNode('w');
  }

  before(async () => {
    f = await openFixture();
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

  it('stores readings and shows the storage path and rows written', async () => {
    const node = await load(flow(dbConfig()));
    const green = statusMatching(node, (s) => s.fill === 'green' && /· 3 rows/.test(s.text ?? ''));
    node.receive({ payload: [{ asset: 'n1', sensor: 't', value: 1, ts: 1000 }, { asset: 'n1', sensor: 't', value: 2, ts: 2000 }] });
    node.receive({ payload: 3, topic: 'n1/t' });
    await until(async () => (await count('readings', 'n1')) === 3);
    const status = await green;
    const [{ mode }] = await f.db.query<{ mode: string }>(`SELECT mode FROM "${f.schema}".schema_migrations ORDER BY version LIMIT 1`);
    assert.equal(status.text, `${mode === 'timescale' ? 'TimescaleDB' : 'PostgreSQL'} · 3 rows`);
  });

  it('sends window statistics to features and anomaly events to anomalies', async () => {
    const node = await load(flow(dbConfig()));
    node.receive({ payload: { asset: 'n2', sensor: 'v', start: 0, end: 10_000, count: 10, mean: 1, std: 0.1, min: 0.8, max: 1.2 } });
    node.receive({ payload: { asset: 'n2', sensor: 'v', ts: 5000, value: 9, score: 4, severity: 'high', detectors: [] }, anomaly: { key: 'n2/v', state: 'firing' } });
    await until(async () => (await count('features', 'n2')) === 1 && (await count('anomalies', 'n2')) === 1);
  });

  it('passes bad items to a Catch node, stores the good ones and counts the rejected', async () => {
    const node = await load(flow(dbConfig()));
    const caught = helper.getNode('caught');
    const errorSeen = new Promise<{ error: { message: string; code?: string } }>((resolve) => events(caught).once('input', resolve));
    const counted = statusMatching(node, (s) => /1 rejected/.test(s.text ?? ''));
    node.receive({ payload: [{ asset: 'n3', sensor: 't', value: 1, ts: 1 }, { asset: 'n3', sensor: 't', value: Number.NaN, ts: 2 }] });
    const msg = await errorSeen;
    assert.match(msg.error.message, /1 item\(s\) not stored: value is NaN/);
    await until(async () => (await count('readings', 'n3')) === 1);
    await counted;
    const wrongType = new Promise<{ error: { message: string } }>((resolve) => events(caught).once('input', resolve));
    node.receive({ payload: 'not a reading' });
    assert.match((await wrongType).error.message, /expected a reading object/);
  });

  it('buffers while the database is unreachable, spills on close, and replays after a restart', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const node = await load(flow(dbConfig({ port: deadPort }), { maxBuffered: 1000 }));
    const buffering = statusMatching(node, (s) => s.fill === 'blue' && /^buffering 2\.0k/.test(s.text ?? ''));
    const batch = Array.from({ length: 2000 }, (_, i) => ({ asset: 'n4', sensor: 't', value: i, ts: 10_000 + i }));
    node.receive({ payload: batch });
    await buffering;
    await helper.unload();
    const spoolDir = path.join(userDir, 'predictive-maintenance', 'spool', 'w');
    assert.ok(fs.readdirSync(spoolDir).length > 0, 'unwritten rows kept on disk');

    const again = await load(flow(dbConfig()));
    await until(async () => (await count('readings', 'n4')) === 2000);
    await statusMatching(again, (s) => s.fill === 'green');
    assert.deepEqual(fs.readdirSync(spoolDir), []);
  });

  it('reports a missing database configuration on input', async () => {
    const node = await load([{ id: 'f', type: 'tab' }, { id: 'w', z: 'f', type: 'timescale-write', db: 'none' }]);
    const errored = new Promise<{ code: string }>((resolve) => {
      (node as unknown as { error: (err: unknown) => void }).error = (err) => resolve(err as { code: string });
    });
    node.receive({ payload: { asset: 'a', sensor: 's', value: 1, ts: 1 } });
    assert.equal((await errored).code, 'INVALID_CONFIG');
  });

  it('runs against the embedded database with nothing installed', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-embedded-'));
    try {
      const node = await load(flow({ id: 'db', type: 'timescale-db', mode: 'embedded', dataDir, schema: 'pdm' }));
      node.receive({ payload: [{ asset: 'e', sensor: 't', value: 1, ts: 1 }, { asset: 'e', sensor: 't', value: 2, ts: 2 }] });
      const status = await statusMatching(node, (s) => s.fill === 'green' && /2 rows/.test(s.text ?? ''), 30_000);
      assert.equal(status.text, 'PostgreSQL · 2 rows');
      await helper.unload();
      assert.ok(fs.existsSync(path.join(dataDir, 'PG_VERSION')), 'the database lives in the data folder');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
