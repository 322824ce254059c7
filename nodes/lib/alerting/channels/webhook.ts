/** Chat and SMS through webhooks: Slack and Teams JSON, a form post for SMS gateways, or any JSON. */
import type { NotificationView } from '../content';
import { DeliveryError } from '../delivery';
import type { Template } from '../template';
import type { Channel, Recipient } from './channel';
import { post } from './http';

export const WEBHOOK_KINDS = ['slack', 'teams', 'sms', 'json'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

export interface WebhookSettings {
  kind: WebhookKind;
  /** Resolved at each send: a URL relative to this Node-RED is only known once it listens. */
  url: () => string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export function createWebhookChannel(settings: WebhookSettings, body: Template): Channel {
  const form = settings.kind === 'sms';
  return {
    name: settings.kind,
    async send(view: NotificationView, _recipient: Recipient) {
      const rendered = body.render(view);
      if (!form) {
        try {
          JSON.parse(rendered);
        } catch (err) {
          throw new DeliveryError(`the body template did not produce JSON: ${(err as Error).message}`, false);
        }
      }
      return post({
        url: settings.url(),
        body: rendered,
        contentType: form ? 'application/x-www-form-urlencoded' : 'application/json',
        headers: settings.headers,
        timeoutMs: settings.timeoutMs,
      });
    },
    close: async () => undefined,
  };
}
