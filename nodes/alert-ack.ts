import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { auditRecord, parseCommand, userOf, type AuditRecord, type CommandDefaults } from './lib/alerting/ack-command';
import { renderPage, type PageView } from './lib/alerting/ack-page';
import { checkSecret, linkUrl, signLink, verifyLink, type LinkAction, type LinkIssuer } from './lib/alerting/signed-link';
import type { AlertCommand, AlertCommandResult, AlertCommandTarget } from './lib/alerting/types';
import { describeError, PdmError } from './lib/errors';
import { compactCount, STATUS, ThrottledStatus } from './lib/status';
import { onGuardedInput } from './shared/guarded-input';

interface AlertAckConfig {
  router?: string;
  baseUrl?: string;
  linkTtl?: string | number;
  shelveMinutes?: string | number;
  silenceMinutes?: string | number;
}

type AlertAckDef = NodeDef & AlertAckConfig;
type Send = (msg: NodeMessage) => void;
type Done = (err?: Error) => void;

interface AckMsg extends NodeMessageInFlow {
  user?: unknown;
  by?: unknown;
  _client?: { user?: unknown };
  audit?: AuditRecord;
}

interface Outcome {
  result: AlertCommandResult;
  audit: AuditRecord;
}

/** What the HTTP routes need from a running alert-ack node. */
interface AckNode extends LinkIssuer {
  target(): AlertCommandTarget;
  apply(input: unknown, by: string, via: string): Promise<Outcome>;
  verify(token: unknown): ReturnType<typeof verifyLink>;
}

const ACTION_LABEL: Record<LinkAction, string> = { acknowledge: 'Acknowledge', resolve: 'Resolve', shelve: 'Shelve' };
const MAX_FORM_BYTES = 8192;

function positive(value: string | number | undefined, fallback: number, field: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PdmError('INVALID_CONFIG', `${field} must be a number above 0, got "${String(value)}"`);
  return n;
}

function publicBase(value: string | undefined): string | undefined {
  const base = (value ?? '').trim();
  if (base === '') return undefined;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new PdmError('INVALID_CONFIG', `Public URL is not a URL: "${base}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PdmError('INVALID_CONFIG', `Public URL must be http or https, got ${url.protocol}`);
  return base;
}

/** A urlencoded form body, read here because Node-RED's HTTP-in app parses no bodies of its own. */
function readForm(req: IncomingMessage & { body?: unknown }): Promise<URLSearchParams> {
  if (req.body !== undefined && typeof req.body === 'object' && req.body !== null) {
    return Promise.resolve(new URLSearchParams(req.body as Record<string, string>));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new PdmError('PAYLOAD_TOO_LARGE', 'the form is too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export = function register(RED: NodeAPI): void {
  const running = new Map<string, AckNode>();

  function AlertAckNode(this: Node, config: AlertAckDef): void {
    RED.nodes.createNode(this, config);
    start(this, config);
  }

  function start(node: Node, config: AlertAckDef): void {
    const secret = (node.credentials as { secret?: string } | undefined)?.secret;
    let defaults: CommandDefaults;
    let linkTtlMs: number;
    let base: string | undefined;
    try {
      defaults = { shelveMs: positive(config.shelveMinutes, 60, 'Shelve for') * 60_000, silenceMs: positive(config.silenceMinutes, 120, 'Silence for') * 60_000 };
      linkTtlMs = positive(config.linkTtl, 72, 'Links valid for') * 3_600_000;
      base = publicBase(config.baseUrl);
      if (secret) checkSecret(secret);
      if (!config.router) throw new PdmError('INVALID_CONFIG', 'choose the alert-router whose alerts this node acts on');
    } catch (err) {
      const reason = describeError(err);
      node.error(RED._('alert-ack.errors.config', { reason }));
      node.status(STATUS.error(RED._('alert-ack.status.config')));
      node.on('input', (_msg, _send, done) => done(new PdmError('INVALID_CONFIG', reason, { cause: err })));
      return;
    }
    if (base && !secret) node.warn(RED._('alert-ack.errors.noSecret'));
    const status = new ThrottledStatus((s) => node.status(s));
    const counts = { applied: 0, refused: 0 };
    let lastReason = '';
    const refresh = (): void => {
      const text = RED._('alert-ack.status.counts', { applied: compactCount(counts.applied), refused: compactCount(counts.refused) });
      status.set(lastReason ? STATUS.error(`${text} · ${lastReason.slice(0, 60)}`) : STATUS.ok(text));
    };

    const target = (): AlertCommandTarget => {
      const router = RED.nodes.getNode(config.router as string) as (Node & Partial<AlertCommandTarget>) | null;
      if (!router || typeof router.applyCommand !== 'function' || typeof router.activeAlerts !== 'function' || typeof router.findAlert !== 'function') {
        throw new PdmError('INVALID_CONFIG', RED._('alert-ack.errors.noRouter', { id: String(config.router) }));
      }
      return router as unknown as AlertCommandTarget;
    };

    const apply = async (input: unknown, by: string, via: string): Promise<Outcome> => {
      const command: AlertCommand = parseCommand(input, by, via, Date.now(), defaults);
      const router = target();
      let result: AlertCommandResult;
      try {
        result = await router.applyCommand(command);
      } catch (err) {
        result = { ok: false, reason: describeError(err), alerts: [] };
      }
      if (result.ok) {
        counts.applied++;
        lastReason = '';
      } else {
        counts.refused++;
        lastReason = result.reason ?? '';
      }
      refresh();
      return { result, audit: auditRecord(command, result) };
    };

    /** Commands from HTTP and links leave on the output too, so the audit trail has every one. */
    const applyAndEmit = async (input: unknown, by: string, via: string): Promise<Outcome> => {
      const outcome = await apply(input, by, via);
      node.send({ topic: outcome.audit.action, payload: outcome.result, audit: outcome.audit } as NodeMessage);
      return outcome;
    };
    const link: LinkIssuer['link'] = (alertId, action, recipient) =>
      secret && base ? linkUrl(base, `alert-ack/${node.id}`, signLink({ alertId, action, expires: Date.now() + linkTtlMs, recipient }, secret)) : undefined;
    // notify nodes that name this node ask it for links.
    Object.assign(node, { link });
    running.set(node.id, {
      target,
      apply: applyAndEmit,
      verify: (token) => (secret ? verifyLink(token, secret, Date.now()) : { ok: false, reason: RED._('alert-ack.errors.noSecret') }),
      link,
    });

    const handle = (msg: AckMsg, send: Send, done: Done): void => {
      const payload = msg.payload as Record<string, unknown> | undefined;
      const by = userOf(payload?.by, msg.by, msg.user, msg._client?.user) ?? 'unknown';
      apply(msg.payload, by, 'message').then(
        (outcome) => {
          msg.payload = outcome.result;
          msg.audit = outcome.audit;
          send(msg as NodeMessage);
          done();
        },
        (err: Error) => {
          counts.refused++;
          refresh();
          done(err);
        },
      );
    };
    onGuardedInput(node, handle);
    refresh();

    node.on('close', (_removed: boolean, done: () => void) => {
      running.delete(node.id);
      status.cancel();
      done();
    });
  }

  const nodeFor = (req: Request, res: Response): AckNode | undefined => {
    const ack = running.get(String(req.params.id));
    if (!ack) res.status(404).json({ error: RED._('alert-ack.errors.noNode', { id: req.params.id }) });
    return ack;
  };
  const adminUser = (req: Request): string => userOf((req as Request & { user?: unknown }).user) ?? 'admin';

  RED.httpAdmin.get('/alert-ack/:id/alerts', RED.auth.needsPermission('alert-ack.read'), (req, res) => {
    const ack = nodeFor(req, res);
    if (!ack) return;
    try {
      res.json(ack.target().activeAlerts());
    } catch (err) {
      res.status(503).json({ error: describeError(err) });
    }
  });

  RED.httpAdmin.post('/alert-ack/:id/command', RED.auth.needsPermission('alert-ack.write'), (req, res) => {
    const ack = nodeFor(req, res);
    if (!ack) return;
    ack.apply(req.body, adminUser(req), 'http').then(
      ({ result }) => res.status(result.ok ? 200 : 409).json(result),
      (err: unknown) => res.status(err instanceof PdmError && err.code === 'INVALID_CONFIG' ? 503 : 400).json({ error: describeError(err) }),
    );
  });

  const page = (res: Response, code: number, view: PageView): void => {
    res
      .status(code)
      .set({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        'referrer-policy': 'no-referrer',
      })
      .send(renderPage(view));
  };
  const refused = (reason: string): PageView => ({ title: RED._('alert-ack.page.refusedTitle'), message: reason, ok: false });

  RED.httpNode.get('/alert-ack/:id', (req, res) => {
    const ack = running.get(String(req.params.id));
    if (!ack) return page(res, 404, refused(RED._('alert-ack.errors.noNode', { id: req.params.id })));
    const verified = ack.verify(req.query.t);
    if (!verified.ok) return page(res, 403, refused(verified.reason));
    const { claims } = verified;
    let alert;
    try {
      alert = ack.target().findAlert(claims.alertId);
    } catch (err) {
      return page(res, 503, refused(describeError(err)));
    }
    if (!alert) return page(res, 404, refused(RED._('alert-ack.errors.noAlert', { id: claims.alertId })));
    page(res, 200, {
      title: `${ACTION_LABEL[claims.action]}: ${alert.asset}`,
      message: RED._('alert-ack.page.confirm', { by: claims.recipient }),
      ok: true,
      form: { token: String(req.query.t), action: ACTION_LABEL[claims.action], alert: alert.summary, asset: alert.asset, severity: alert.severity, state: alert.state },
    });
  });

  RED.httpNode.post('/alert-ack/:id', (req, res) => {
    const ack = running.get(String(req.params.id));
    if (!ack) return page(res, 404, refused(RED._('alert-ack.errors.noNode', { id: req.params.id })));
    readForm(req)
      .then(async (form) => {
        const verified = ack.verify(form.get('t') ?? req.query.t);
        if (!verified.ok) return page(res, 403, refused(verified.reason));
        const { claims } = verified;
        const { result } = await ack.apply({ action: claims.action, alertId: claims.alertId, comment: form.get('comment') ?? undefined }, claims.recipient, 'link');
        if (!result.ok) return page(res, 409, refused(result.reason ?? ''));
        page(res, 200, { title: RED._('alert-ack.page.doneTitle'), message: RED._('alert-ack.page.done', { action: claims.action, count: result.alerts.length }), ok: true });
      })
      .catch((err: unknown) => page(res, 400, refused(describeError(err))));
  });

  RED.nodes.registerType('alert-ack', AlertAckNode, { credentials: { secret: { type: 'password' } } });
};
