/**
 * A real restart of Node-RED: each run is its own process on the same user directory, with the
 * router's state in the file context store. The first run fires an alert and is notified; the
 * second starts with the alert active and does not notify it on its own again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Alert, AlertNotification } from '../../nodes/lib/alerting/types';
import { onTab } from '../support/runtime';

interface RunResult {
  restored: Alert[];
  notifications: AlertNotification[];
}

interface RunStep {
  fire: string[];
  notifications: number;
}

const runtimeModule = path.join(__dirname, '..', 'support', 'runtime.js');

/** Starts Node-RED on `userDir` in a child process, fires the alerts, waits for the notifications and stops. */
const CHILD = `
const { startRuntime, onSink, waitFor } = require(process.env.RUNTIME_MODULE);
const step = JSON.parse(process.env.STEP);
(async () => {
  const rt = await startRuntime([], { settings: { userDir: process.env.USER_DIR } });
  const notifications = [];
  onSink('ops', (msg) => notifications.push(msg.payload));
  const router = () => rt.node('router');
  await waitFor(() => router().activeAlerts !== undefined, 10000, 'the router');
  // Saved alerts load asynchronously; commands wait for them.
  await router().applyCommand({ action: 'expire-silence', silenceId: 'none', by: 'test' });
  const restored = router().activeAlerts();
  for (const name of step.fire) rt.inject('src', { payload: { asset: 'pump-1', name, severity: 'high' } });
  await waitFor(() => notifications.length >= step.notifications, 15000, 'the notifications');
  // Two more group intervals: time for a notification that should not come.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await rt.stop();
  process.stdout.write('RESULT ' + JSON.stringify({ restored, notifications }) + '\\n');
})().catch((err) => { console.error(err); process.exit(1); });
`;

function run(userDir: string, step: RunStep): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], {
      env: { ...process.env, RUNTIME_MODULE: runtimeModule, USER_DIR: userDir, STEP: JSON.stringify(step) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || line === undefined) reject(new Error(`run exited with ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as RunResult);
    });
  });
}

describe('alert-router across a restart of Node-RED', () => {
  let userDir: string;

  before(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-router-restart-'));
    const flow = onTab([
      { id: 'src', type: 'inject', name: 'source', repeat: '', once: false, wires: [['router']], x: 100, y: 100 },
      {
        id: 'router', type: 'alert-router', store: 'file', outputs: 2, wires: [['ops'], []], x: 300, y: 100,
        route: JSON.stringify({ receiver: 'ops', group_by: ['asset'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' }),
        receivers: JSON.stringify([{ name: 'ops' }]),
      },
      { id: 'ops', type: 'test-sink', wires: [], x: 500, y: 100 },
    ]);
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  });

  after(() => fs.rmSync(userDir, { recursive: true, force: true }));

  it('keeps the active alert and sends no notification twice', async () => {
    const first = await run(userDir, { fire: ['temp'], notifications: 1 });
    assert.deepEqual(first.restored, []);
    assert.deepEqual(first.notifications.map((n) => n.alerts.map((a) => a.key)), [['pump-1/temp']]);

    const second = await run(userDir, { fire: ['temp', 'pressure'], notifications: 1 });
    assert.deepEqual(second.restored.map((a) => [a.key, a.state]), [['pump-1/temp', 'firing']]);
    assert.equal(second.restored[0].id, first.notifications[0].alerts[0].id);
    // A router that forgot what it sent would notify temp alone, at once.
    assert.deepEqual(second.notifications.map((n) => n.alerts.map((a) => a.key)), [['pump-1/temp', 'pump-1/pressure']]);
  });
});
