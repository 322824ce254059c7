import { PdmError } from '../errors';

/**
 * SQL identifiers: every schema or table name that reaches SQL text passes this strict check
 * and is then double-quoted; every value travels as a $n parameter, never in the text.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

export function assertIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new PdmError(
      'INVALID_CONFIG',
      `${what} ${JSON.stringify(name)} is not a valid name: use 1-48 lower-case letters, digits and _, not starting with a digit`,
    );
  }
  return name;
}

export function quoteIdent(name: string): string {
  return `"${assertIdentifier(name, 'identifier')}"`;
}

/** "schema"."table" */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Quotes a string literal for DDL that cannot take parameters (partition bounds, policies). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
