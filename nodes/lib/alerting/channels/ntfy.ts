/** Push through an ntfy server (JSON publishing to its root URL), with an acknowledge button. */
import type { NotificationView } from '../content';
import type { Template } from '../template';
import type { Severity } from '../types';
import type { Channel, Recipient } from './channel';
import { post } from './http';

export interface NtfySettings {
  /** Resolved at each send, as for webhooks. */
  url: () => string;
  topic: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

const PRIORITY: Record<Severity, number> = { low: 2, medium: 3, high: 4, critical: 5 };

export function createNtfyChannel(settings: NtfySettings, title: Template, message: Template): Channel {
  return {
    name: 'ntfy',
    async send(view: NotificationView, _recipient: Recipient) {
      const first = view.alert;
      const actions = [
        ...(first.ackUrl ? [{ action: 'view', label: 'Acknowledge', url: first.ackUrl, clear: true }] : []),
        ...(first.resolveUrl ? [{ action: 'view', label: 'Resolve', url: first.resolveUrl, clear: true }] : []),
      ];
      const body = {
        topic: settings.topic,
        title: title.render(view),
        message: message.render(view),
        priority: view.status === 'resolved' ? 2 : PRIORITY[first.severity],
        tags: [view.status === 'resolved' ? 'white_check_mark' : 'warning', first.severity, first.asset],
        ...(actions.length > 0 ? { actions } : {}),
      };
      return post({ url: settings.url(), body: JSON.stringify(body), contentType: 'application/json', headers: settings.headers, timeoutMs: settings.timeoutMs });
    },
    close: async () => undefined,
  };
}
