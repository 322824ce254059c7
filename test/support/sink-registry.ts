import type { NodeMessageInFlow } from 'node-red';

/** Callbacks of test-sink nodes, by node id; shared by the node module and the tests through require's cache. */
export type SinkCallback = (msg: NodeMessageInFlow) => void;

const sinks = new Map<string, SinkCallback>();

export function onSink(id: string, callback: SinkCallback): void {
  sinks.set(id, callback);
}

export function sinkFor(id: string): SinkCallback | undefined {
  return sinks.get(id);
}

export function clearSinks(): void {
  sinks.clear();
}
