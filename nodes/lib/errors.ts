/**
 * One error type for the whole package. `code` is stable and machine-readable, `i18nKey`
 * names the message in the node's locale file, `retriable` tells a caller whether the
 * same operation may succeed later (a database that is down) or never will (bad input).
 */
export type ErrorCode =
  | 'INVALID_PAYLOAD'
  | 'MISSING_FIELD'
  | 'NOT_A_NUMBER'
  | 'NON_FINITE'
  | 'BAD_TIMESTAMP'
  | 'OUT_OF_RANGE'
  | 'RATE_OF_CHANGE'
  | 'FLATLINE'
  | 'FUTURE_TIMESTAMP'
  | 'STALE_TIMESTAMP'
  | 'DUPLICATE'
  | 'BAD_QUALITY'
  | 'LATE'
  | 'KEY_LIMIT'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_CONFIG'
  | 'DB_UNAVAILABLE'
  | 'DB_ERROR'
  | 'INVALID_QUERY';

export interface PdmErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  i18nKey?: string;
}

export class PdmError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly i18nKey: string;

  constructor(code: ErrorCode, message: string, options: PdmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PdmError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.i18nKey = options.i18nKey ?? `errors.${code}`;
  }
}

/** The shape put on `msg.error` for a rejected reading or message. */
export interface Rejection {
  code: ErrorCode;
  reason: string;
}

export function rejection(code: ErrorCode, reason: string): Rejection {
  return { code, reason };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
