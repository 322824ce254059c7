/** Pieces the plant-sim integration tests share. */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { EmbeddedRuntime, FlowNode } from '../support/runtime';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A "modified nodes" deployment: only the nodes that changed restart, clients of their servers stay. */
export async function deployChanged(runtime: EmbeddedRuntime, nodes: FlowNode[]): Promise<void> {
  const started = new Promise<void>((resolve) => runtime.RED.events.once('flows:started', () => resolve()));
  const response = await fetch(`${runtime.baseUrl}/admin/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'nodes' },
    body: JSON.stringify(nodes),
  });
  assert.equal(response.status, 204, await response.text());
  await started;
}
