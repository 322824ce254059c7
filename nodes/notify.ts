import type { AddressInfo } from 'node:net';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { notificationView, toNotification } from './lib/alerting/content';
import { Deliverer, type Receipt } from './lib/alerting/delivery';
import { MAX_QUEUE, notifySettings, type Environment, type NotifyConfig, type NotifyCredentials, type NotifySettings } from './lib/alerting/notify-config';
import type { LinkIssuer } from './lib/alerting/signed-link';
import type { AlertNotification } from './lib/alerting/types';
import { WorkOrderBook } from './lib/alerting/work-order';
import type { Recipient } from './lib/alerting/channels/channel';
import { describeError, PdmError } from './lib/errors';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

type NotifyDef = NodeDef & NotifyConfig & { ack?: string };
type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

interface NotifyMsg extends NodeMessageInFlow {
  to?: unknown;
  subscriptions?: unknown;
}

interface Job {
  notification: AlertNotification;
  recipient: Recipient;
  topic: unknown;
  /** The send of the message the job came from. */
  send: Send;
}

export = function register(RED: NodeAPI): void {
  /** This Node-RED's own HTTP-in routes, for webhook URLs written as a path. */
  const environment: Environment = {
    localUrl(path: string): string {
      const address = RED.server?.address() as AddressInfo | string | null;
      if (!address || typeof address === 'string') throw new PdmError('INVALID_CONFIG', 'a URL starting with "/" needs Node-RED listening on a TCP port');
      const root = String(RED.settings.httpNodeRoot ?? '/').replace(/\/+$/, '');
      const protocol = (RED.settings as { https?: unknown }).https ? 'https' : 'http';
      return `${protocol}://127.0.0.1:${address.port}${root}${path}`;
    },
  };

  function NotifyNode(this: Node, config: NotifyDef): void {
    RED.nodes.createNode(this, config);
    let settings: NotifySettings;
    try {
      settings = notifySettings(config, (this.credentials ?? {}) as NotifyCredentials, environment);
    } catch (err) {
      const reason = describeError(err);
      this.error(RED._('notify.errors.config', { reason }));
      this.status(STATUS.error(RED._('notify.status.config')));
      this.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    start(this, config, settings);
  }

  function start(node: Node, config: NotifyDef, settings: NotifySettings): void {
    const status = new ThrottledStatus((s) => node.status(s));
    const workOrders = settings.workOrders ? new WorkOrderBook(settings.workOrders) : undefined;
    const counts = { sent: 0, failed: 0, bad: 0 };
    let lastError = '';

    const links = (): LinkIssuer | undefined => {
      if (!config.ack) return undefined;
      const ack = RED.nodes.getNode(config.ack) as (Node & Partial<LinkIssuer>) | null;
      return ack && typeof ack.link === 'function' ? (ack as unknown as LinkIssuer) : undefined;
    };

    const refresh = (): void => {
      const text = RED._('notify.status.counts', { sent: compactCount(counts.sent), failed: compactCount(counts.failed), queued: compactCount(deliverer.pending) });
      const bad = counts.bad > 0 ? RED._('notify.status.bad', { count: compactCount(counts.bad) }) : '';
      if (lastError) status.set(STATUS.error(`${text}${bad} · ${lastError.slice(0, 60)}`));
      else if (deliverer.retrying > 0) status.set(STATUS.connecting(text + bad));
      else status.set(STATUS.ok(text + bad));
    };

    const onReceipt = (job: Job, receipt: Receipt): void => {
      if (receipt.ok) {
        counts.sent++;
        lastError = '';
      } else if (receipt.final) {
        counts.failed++;
        lastError = receipt.error ?? '';
        node.warn(RED._('notify.errors.failed', { to: job.recipient.label, attempts: receipt.attempt, reason: receipt.error ?? '' }));
      } else lastError = receipt.error ?? '';
      job.send({
        _msgid: RED.util.generateId(),
        topic: job.topic,
        payload: {
          ...receipt,
          to: job.recipient.label,
          receiver: job.notification.receiver,
          status: job.notification.status,
          alertIds: job.notification.alerts.map((a) => a.id),
        },
      } as NodeMessage);
      refresh();
    };

    const deliverer = new Deliverer<Job>({
      channel: settings.channel.name,
      send: (job) => settings.channel.send(notificationView(job.notification, links(), job.recipient.label), job.recipient),
      retry: settings.retry,
      ...(settings.rate ? { rate: settings.rate } : {}),
      concurrency: settings.concurrency,
      maxQueue: MAX_QUEUE,
      onReceipt,
      clock: Date.now,
    });

    const handle = (msg: NotifyMsg, nodeSend: Send, done: Done): void => {
      let notification: AlertNotification;
      let recipients: Recipient[];
      try {
        notification = toNotification(msg.payload, config.name || settings.kind, Date.now());
        recipients = settings.recipients(msg.to, msg.subscriptions);
        if (recipients.length === 0) throw new PdmError('INVALID_PAYLOAD', 'no recipient: no push subscription in the configuration or msg.subscriptions');
      } catch (err) {
        counts.bad++;
        refresh();
        done(err as Error);
        return;
      }
      const orders = workOrders?.take(notification, Date.now()) ?? [];
      if (orders.length > 0) nodeSend([null, orders.map((wo) => ({ _msgid: RED.util.generateId(), topic: wo.asset, payload: wo }) as NodeMessage)]);
      Promise.all(recipients.map((recipient) => deliverer.deliver({ notification, recipient, topic: msg.topic, send: nodeSend }))).then(() => done(), done);
      refresh();
    };

    onGuardedInput(node, handle);
    refresh();

    node.on('close', (_removed: boolean, done: () => void) => {
      deliverer.close();
      status.cancel();
      settings.channel.close().catch((err) => node.warn(describeError(err))).finally(done);
    });
  }

  RED.nodes.registerType('notify', NotifyNode, {
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      token: { type: 'password' },
      vapidPublicKey: { type: 'text' },
      vapidPrivateKey: { type: 'password' },
    },
  });
};
