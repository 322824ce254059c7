import type { OutputMode } from './config';
import type { WindowOptions } from './options';
import type { WindowStats } from './types';
import type { ClosedBy, ClosedWindow } from './window-engine';

/** msg.stats of an emitted window: how it was windowed and why it closed. */
export interface WindowMeta {
  window: WindowOptions['window'];
  /** Milliseconds for tumbling/sliding windows, readings for count windows. */
  size: number;
  hop: number;
  closedBy: ClosedBy;
}

export interface WindowMessage {
  _msgid: string;
  topic?: string;
  payload: WindowStats | WindowStats[];
  stats: WindowMeta;
  [key: string]: unknown;
}

/**
 * Messages for closed windows: one per window, or in batch mode one per close reason
 * (watermark, timer, idle, flush, count) with msg.payload = WindowStats[].
 */
export function windowMessages(
  closed: readonly ClosedWindow[],
  options: WindowOptions,
  output: OutputMode,
  newId: () => string,
): WindowMessage[] {
  const meta = (closedBy: ClosedBy): WindowMeta => ({ window: options.window, size: options.size, hop: options.hop, closedBy });
  if (output === 'window') {
    return closed.map((c) => ({ _msgid: newId(), topic: c.key, payload: c.stats, stats: meta(c.closedBy) }));
  }
  const batches = new Map<ClosedBy, WindowStats[]>();
  for (const c of closed) {
    const batch = batches.get(c.closedBy);
    if (batch === undefined) batches.set(c.closedBy, [c.stats]);
    else batch.push(c.stats);
  }
  return [...batches].map(([closedBy, payload]) => ({ _msgid: newId(), payload, stats: meta(closedBy) }));
}
