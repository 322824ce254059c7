/**
 * Label matchers in Alertmanager syntax: name="value", name!="value", name=~"regex",
 * name!~"regex" (quotes optional). Regular expressions are anchored at both ends.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** The text it was parsed from, for messages. */
  text: string;
  test(labels: Readonly<Record<string, string>>): boolean;
}

const SHAPE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    return JSON.parse(raw.replace(/\\(?!["\\/bfnrtu])/g, '\\\\')) as string;
  }
  if (raw.includes('"')) throw new Error('unbalanced quotes');
  return raw;
}

export function parseMatcher(text: unknown): Matcher {
  if (typeof text !== 'string') throw new Error(`matcher ${JSON.stringify(text)} is not a string like severity="critical"`);
  const m = SHAPE.exec(text);
  if (!m) throw new Error(`matcher "${text}" is not of the form name="value" (operators =, !=, =~, !~)`);
  const [, name, op, raw] = m;
  let value: string;
  try {
    value = unquote(raw);
  } catch {
    throw new Error(`matcher "${text}": bad quoting of the value`);
  }
  const base = { name, op: op as MatchOp, value, text };
  if (op === '=' || op === '!=') {
    const want = op === '=';
    // A missing label matches the empty value, as in Alertmanager.
    return { ...base, test: (labels) => ((labels[name] ?? '') === value) === want };
  }
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${value})$`);
  } catch (err) {
    throw new Error(`matcher "${text}": bad regular expression (${(err as Error).message})`, { cause: err });
  }
  const want = op === '=~';
  return { ...base, test: (labels) => re.test(labels[name] ?? '') === want };
}

export function parseMatchers(list: unknown, what: string): Matcher[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`${what}: expected a list of matchers`);
  return list.map((item, i) => {
    try {
      return parseMatcher(item);
    } catch (err) {
      throw new Error(`${what}[${i}]: ${(err as Error).message}`, { cause: err });
    }
  });
}

export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!m.test(labels)) return false;
  return true;
}
