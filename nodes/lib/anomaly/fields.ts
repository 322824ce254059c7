/** Editor field values as saved in a flow: numbers may arrive as strings, blanks mean unset. */
export type Field = string | number | undefined;

export function num(value: Field, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return Number(value);
}

export function optional(value: Field): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

export function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}
