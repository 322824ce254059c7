/**
 * The parent side of test/support/kafka/instance.ts: starts Node-RED instances as child
 * processes, collects what they report, stops them gracefully or kills them outright.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { InstanceConfig, InstanceReport } from './instance';

export interface Instance {
  readonly name: string;
  readonly reports: InstanceReport[];
  /** Called for each report as it arrives. */
  onReport(listener: (report: InstanceReport) => void): void;
  ready: Promise<void>;
  /** Leaves the group and stops Node-RED. */
  stop(): Promise<void>;
  /** SIGKILL: no close handlers, no last commit, no LeaveGroup. */
  kill(): Promise<void>;
}

const script = path.join(__dirname, 'instance.js');

export function startInstance(name: string, config: InstanceConfig): Instance {
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, PDM_KAFKA_INSTANCE: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const reports: InstanceReport[] = [];
  const listeners: Array<(r: InstanceReport) => void> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code} before it was ready`)));
    listeners.push((r) => {
      if (r.type === 'ready') resolve();
    });
  });
  ready.catch(() => undefined);
  child.on('message', (m) => {
    const report = m as InstanceReport;
    reports.push(report);
    for (const l of listeners) l(report);
  });
  return {
    name,
    reports,
    onReport: (listener) => listeners.push(listener),
    ready,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
