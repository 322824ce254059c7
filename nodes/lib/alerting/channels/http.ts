/** One HTTP POST with a timeout, its answer classified for retries: shared by the webhook, ntfy and Web Push channels. */
import { DeliveryError, type SendResult } from '../delivery';

export interface PostOptions {
  url: string;
  body: string | Uint8Array<ArrayBuffer>;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** Answers worth another try: timeouts, rate limits and server errors. */
function retriableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export function authHeaders(token: string | undefined, user: string | undefined, password: string | undefined): Record<string, string> {
  if (token) return { authorization: `Bearer ${token}` };
  if (user) return { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` };
  return {};
}

export async function post(options: PostOptions): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { ...(options.contentType ? { 'content-type': options.contentType } : {}), ...options.headers },
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new DeliveryError(`POST ${new URL(options.url).host} failed: ${why}`, true, { cause: err });
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const excerpt = text.replace(/\s+/g, ' ').slice(0, 200);
    throw new DeliveryError(`POST ${new URL(options.url).host} answered ${response.status}${excerpt ? ': ' + excerpt : ''}`, retriableStatus(response.status));
  }
  // Push services name the accepted message in Location.
  const id = response.headers.get('x-message-id') ?? response.headers.get('x-request-id') ?? response.headers.get('location') ?? messageIdFromBody(text);
  return id ? { messageId: id } : {};
}

/** ntfy and many SMS gateways answer JSON with the id of what they accepted. */
function messageIdFromBody(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const id = body.id ?? body.messageId ?? body.sid;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}
