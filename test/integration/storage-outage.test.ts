/**
 * Readings flow at about 10,000/s through the writer while a TCP proxy between it and the
 * database first drops every connection and refuses new ones, then later drops them again.
 * Afterwards every reading is stored exactly once. PDM_OUTAGE_SECONDS sets the run (default 60).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openServerConnection } from '../../nodes/lib/storage/database';
import { pushReading } from '../../nodes/lib/storage/records';
import { StorageService } from '../../nodes/lib/storage/service';
import { serverWriteConcurrency } from '../../nodes/lib/storage/config';
import { Spool } from '../../nodes/lib/storage/spool';
import { BatchWriter } from '../../nodes/lib/storage/writer';
import { openFixture, type DbFixture } from '../lib/storage/db-fixture';

const DURATION_MS = Number(process.env.PDM_OUTAGE_SECONDS ?? 60) * 1000;
const RATE_PER_S = 10_000;
const TICK_MS = 10;
/** Recent readings: older ones would fall to the retention job that runs while the test does. */
const T0 = Date.now() - 3_600_000;

/** Forwards to the database; can drop every open connection and refuse new ones. */
class FlakyProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly host: string, private readonly targetPort: number) {}

  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.host);
      this.track(client);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const kill = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', kill).on('close', kill);
      upstream.on('error', kill).on('close', kill);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection mid-stream; with `refuse`, also stops accepting new ones. */
  async drop(refuse: boolean): Promise<void> {
    if (refuse && this.server) {
      const server = this.server;
      this.server = undefined;
      server.close();
    }
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    await this.drop(true);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}

describe(`storage outage: ${RATE_PER_S}/s for ${DURATION_MS / 1000} s through dropped and refused connections`, () => {
  let f: DbFixture;
  let proxy: FlakyProxy;
  let service: StorageService;
  let spoolDir: string;

  before(async () => {
    f = await openFixture();
    proxy = new FlakyProxy(f.host, f.port);
    await proxy.listen();
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-outage-'));
    service = new StorageService({
      open: async () => openServerConnection({
        host: '127.0.0.1', port: proxy.port, database: f.database, user: f.user,
        poolSize: f.embedded ? 1 : 4, statementTimeoutMs: 0, connectTimeoutMs: 2000,
      }, () => undefined),
      schema: f.schema,
      writeConcurrency: f.embedded ? 1 : serverWriteConcurrency(4),
    });
    await service.start();
  });

  after(async () => {
    await service?.close(2000);
    await proxy?.close();
    await f?.cleanup();
    if (spoolDir) fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it('stores every reading exactly once', { timeout: DURATION_MS + 120_000 }, async () => {
    assert.equal(service.current.state, 'connected');
    const writer = new BatchWriter({
      insert: (batch) => service.insert(batch),
      batchSize: 2000,
      flushIntervalMs: 200,
      maxBufferedRows: 20_000,
      maxInFlight: service.writeConcurrency,
      spool: new Spool({ dir: spoolDir, segmentBytes: 1024 * 1024 }),
    });
    const sensors = 10;
    const perTick = (RATE_PER_S * TICK_MS) / 1000;
    let produced = 0;
    let peakSpooled = 0;
    let sawRetry = false;
    const started = Date.now();
    const events = [
      { at: 0.15, act: () => proxy.drop(true) },
      { at: 0.45, act: () => proxy.listen() },
      { at: 0.65, act: () => proxy.drop(false) },
    ];
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Date.now() - started;
        while (events.length > 0 && elapsed >= events[0].at * DURATION_MS) void events.shift()?.act();
        const due = Math.min(Math.floor((elapsed * RATE_PER_S) / 1000), Math.floor((DURATION_MS * RATE_PER_S) / 1000));
        for (let n = 0; produced < due && n < perTick * 20; n++, produced++) {
          writer.add('readings', pushReading, { asset: 'outage', sensor: `s${produced % sensors}`, value: produced, ts: T0 + Math.floor(produced / sensors) });
        }
        writer.tick();
        peakSpooled = Math.max(peakSpooled, writer.spooledRows);
        sawRetry ||= writer.retrying;
        if (elapsed >= DURATION_MS) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    const drainDeadline = Date.now() + 90_000;
    while (writer.backlog > 0 && Date.now() < drainDeadline) {
      await writer.flush();
      if (writer.backlog > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(writer.backlog, 0, 'everything written after the outage');
    assert.ok(sawRetry, 'the outage was seen by the writer');
    assert.ok(peakSpooled > 0, 'the backlog spilled to disk');
    assert.ok(produced >= (DURATION_MS / 1000) * RATE_PER_S * 0.99, `produced ${produced}`);
    const [row] = await f.db.query<{ n: number; d: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (sensor, ts))::int AS d FROM "${f.schema}".readings WHERE asset = 'outage'`);
    assert.equal(row.n, produced, 'every reading stored');
    assert.equal(row.d, produced, 'none stored twice');
    assert.equal(writer.counts.dropped, 0);
  });
});
