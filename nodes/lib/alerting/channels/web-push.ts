/**
 * Web Push (RFC 8030 with VAPID, RFC 8292) to browser subscriptions: web-push encrypts the
 * payload and signs the request, and the shared HTTP post sends it (a 404 or 410 answer means the
 * subscription has expired and is not retried).
 */
import webpush from 'web-push';
import type { NotificationView } from '../content';
import { DeliveryError } from '../delivery';
import { post } from './http';
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
      const request = webpush.generateRequestDetails(recipient.subscription, payload, {
        vapidDetails: settings.vapid,
        TTL: settings.ttl,
        urgency: view.alert.severity === 'critical' || view.alert.severity === 'high' ? 'high' : 'normal',
      });
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      delete headers['content-length'];
      return post({ url: request.endpoint, body: new Uint8Array(request.body ?? 0), headers, timeoutMs: settings.timeoutMs });
    },
    close: async () => undefined,
  };
}
