/**
 * What went wrong with a Kafka connection, in words an operator can act on. kafkajs wraps the
 * socket and protocol errors (retries exhausted → cause → …), so the chain is walked by error
 * class, code and Kafka error type, never by message text.
 */

export type KafkaProblem = 'refused' | 'dns' | 'auth' | 'timeout' | 'tls' | 'unsupported' | 'other';

export interface ClassifiedError {
  problem: KafkaProblem;
  /** The most specific message in the chain. */
  detail: string;
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** Certificate checks that failed on this side, in words; other TLS codes keep the message as it is. */
const UNTRUSTED = "the broker's certificate is not signed by a trusted CA";
const TLS_DETAILS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate is not issued for this host name",
};

/**
 * What went wrong in a TLS handshake: a failed certificate check here, or an alert from the
 * broker (ERR_SSL_…_ALERT_CERTIFICATE_REQUIRED → "certificate required"); undefined if not TLS.
 */
function tlsDetail(code: string, message: string): string | undefined {
  if (code in TLS_DETAILS) return `${TLS_DETAILS[code]} (${code})`;
  const alert = /^ERR_SSL_(?:[A-Z0-9]+_)?ALERT_([A-Z_]+)$/.exec(code);
  if (alert) return `the broker ended the handshake: ${alert[1].toLowerCase().replace(/_/g, ' ')}`;
  return code === 'EPROTO' || code.startsWith('ERR_SSL_') ? message : undefined;
}

export function classifyKafkaError(err: unknown): ClassifiedError {
  const chain: ErrorLike[] = [];
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && chain.length < 8 && !chain.includes(current as ErrorLike)) {
    const e = current as ErrorLike;
    chain.push(e);
    current = e.cause ?? e.originalError;
  }
  const detail = (chain.length > 0 ? String(chain[chain.length - 1].message ?? err) : String(err)).trim();
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED' || e.type === 'UNSUPPORTED_SASL_MECHANISM' || e.type === 'ILLEGAL_SASL_STATE') {
      return { problem: 'auth', detail };
    }
    if (code === 'ECONNREFUSED') return { problem: 'refused', detail };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { problem: 'dns', detail };
    const tls = tlsDetail(code, detail);
    if (tls !== undefined) return { problem: 'tls', detail: tls };
    if (code === 'ETIMEDOUT' || e.name === 'KafkaJSRequestTimeoutError' || e.name === 'KafkaJSConnectionTimeout') return { problem: 'timeout', detail };
    if (e.name === 'KafkaJSServerDoesNotSupportApiKey' || e.type === 'UNSUPPORTED_VERSION') return { problem: 'unsupported', detail };
  }
  return { problem: 'other', detail };
}

/** A record the broker did not take: not delivered in time, or no room to wait. Retriable. */
export class KafkaDeliveryError extends Error {
  readonly retriable = true;

  constructor(readonly code: 'KAFKA_UNAVAILABLE' | 'KAFKA_BUFFER_FULL', message: string) {
    super(message);
    this.name = 'KafkaDeliveryError';
  }
}
