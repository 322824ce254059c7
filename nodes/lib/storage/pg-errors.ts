import { PdmError } from '../errors';

/**
 * Database failures as PdmErrors, decided by SQLSTATE only. A failure without a SQLSTATE never
 * reached the server's SQL layer (refused, reset, timed out, terminated): the database may be
 * back later, so it is retriable, unless the client itself rejected the call's arguments.
 */
const RETRIABLE_CLASSES = new Set(['08', '53', '40']);
const RETRIABLE_STATES = new Set(['57P01', '57P02', '57P03', '57014', '55P03']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

export function isRetriableState(state: string): boolean {
  return RETRIABLE_CLASSES.has(state.slice(0, 2)) || RETRIABLE_STATES.has(state);
}

export function toStorageError(err: unknown): PdmError {
  if (err instanceof PdmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  if (state === undefined) {
    if (err instanceof TypeError || err instanceof RangeError) {
      return new PdmError('DB_ERROR', `database client error: ${message}`, { retriable: false, cause: err });
    }
    return new PdmError('DB_UNAVAILABLE', `database unavailable: ${message}`, { retriable: true, cause: err });
  }
  if (isRetriableState(state)) {
    return new PdmError('DB_UNAVAILABLE', `database unavailable (${state}): ${message}`, { retriable: true, cause: err });
  }
  return new PdmError('DB_ERROR', `database error (${state}): ${message}`, { retriable: false, cause: err });
}
