/** E-mail over SMTP through a pooled nodemailer transport. */
import nodemailer from 'nodemailer';
import type { NotificationView } from '../content';
import { DeliveryError } from '../delivery';
import type { Template } from '../template';
import type { Channel, Recipient } from './channel';

export interface EmailSettings {
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTls: boolean;
  /** Check the server's certificate. */
  tlsVerify: boolean;
  user?: string;
  password?: string;
  from: string;
  timeoutMs: number;
  /** SMTP connections kept open and used in parallel. */
  connections: number;
}

export interface EmailTemplates {
  subject: Template;
  text: Template;
  html: Template;
}

/** SMTP reply codes 5xx and envelope or login errors will fail again; the rest may not. */
function classify(err: unknown): DeliveryError {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const permanent = (e.responseCode !== undefined && e.responseCode >= 500) || e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
  const what = e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'ETIMEDOUT' || e.code === 'EDNS' ? 'SMTP server unreachable: ' : 'SMTP: ';
  return new DeliveryError(what + (e.message ?? String(err)), !permanent, { cause: err });
}

export function createEmailChannel(settings: EmailSettings, templates: EmailTemplates): Channel {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: settings.connections,
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTls,
    tls: { rejectUnauthorized: settings.tlsVerify },
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
  });
  return {
    name: 'email',
    async send(view: NotificationView, recipient: Recipient) {
      try {
        const info = await transport.sendMail({
          from: settings.from,
          to: recipient.label,
          subject: templates.subject.render(view).replace(/[\r\n]+/g, ' '),
          text: templates.text.render(view),
          html: templates.html.render(view),
          headers: { 'X-Alert-Ids': view.alerts.map((a) => a.id).join(' '), 'X-Alert-Status': view.status },
        });
        return { messageId: info.messageId };
      } catch (err) {
        throw classify(err);
      }
    },
    close: async () => transport.close(),
  };
}
