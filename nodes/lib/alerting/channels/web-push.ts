/** Web Push (RFC 8030 with VAPID, RFC 8292) to browser subscriptions, through web-push. */
import webpush from 'web-push';
import type { NotificationView } from '../content';
import { DeliveryError } from '../delivery';
import type { Template } from '../template';
import type { Channel, Recipient } from './channel';

export interface VapidSettings {
  /** mailto: or https: contact of the sender, as push services require. */
  subject: string;
  publicKey: string;
  privateKey: string;
}

export interface WebPushSettings {
  vapid: VapidSettings;
  /** Seconds a push service keeps an undelivered message. */
  ttl: number;
  timeoutMs: number;
}

/** A subscription that is gone (404, 410) or refused (other 4xx) will not take the message later either. */
function classify(err: unknown): DeliveryError {
  const status = (err as { statusCode?: number }).statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (status === undefined) return new DeliveryError(`push service unreachable: ${message}`, true, { cause: err });
  const retriable = status === 429 || status >= 500;
  const why = status === 404 || status === 410 ? 'the subscription has expired' : message;
  return new DeliveryError(`push service answered ${status}: ${why}`, retriable, { cause: err });
}

export function createWebPushChannel(settings: WebPushSettings, title: Template, body: Template): Channel {
  return {
    name: 'webpush',
    async send(view: NotificationView, recipient: Recipient) {
      if (!recipient.subscription) throw new DeliveryError('no push subscription to send to', false);
      const payload = JSON.stringify({
        title: title.render(view),
        body: body.render(view),
        tag: view.groupKey,
        url: view.alert.ackUrl,
        data: { status: view.status, alertIds: view.alerts.map((a) => a.id), ackUrl: view.alert.ackUrl },
      });
      try {
        const result = await webpush.sendNotification(recipient.subscription, payload, {
          vapidDetails: settings.vapid,
          TTL: settings.ttl,
          timeout: settings.timeoutMs,
          urgency: view.alert.severity === 'critical' || view.alert.severity === 'high' ? 'high' : 'normal',
        });
        const location = result.headers?.location;
        return location ? { messageId: location } : {};
      } catch (err) {
        throw classify(err);
      }
    },
    close: async () => undefined,
  };
}
