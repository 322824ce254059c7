/**
 * A notification channel: one adapter per transport (SMTP, webhooks, ntfy, Web Push), so the
 * client libraries sit in one place each and the node only sees send and close.
 */
import type { NotificationView } from '../content';
import type { SendResult } from '../delivery';

export interface PushSubscriptionLike {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** Who one delivery goes to: a label for receipts and links, and for Web Push the subscription. */
export interface Recipient {
  label: string;
  subscription?: PushSubscriptionLike;
}

export interface Channel {
  readonly name: string;
  send(view: NotificationView, recipient: Recipient): Promise<SendResult>;
  close(): Promise<void>;
}
