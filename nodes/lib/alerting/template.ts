/**
 * Mustache-style templates for notification bodies: `{{name.path}}` (escaped for the target
 * format), `{{{raw}}}` or `{{& raw}}` (not escaped), `{{#list}}…{{/list}}` (repeat for each item of
 * an array, or once for a truthy value, with the item as the innermost context), `{{^x}}…{{/x}}`
 * (when x is missing, false or empty), `{{.}}` (the current item) and `{{! comments }}`.
 * A template is compiled once, so syntax errors surface when a node starts, with their position.
 */
import { PdmError } from '../errors';

/** How a value is escaped where the template puts it. */
export type Escaping = 'html' | 'json' | 'url' | 'none';

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: string[]; raw: boolean }
  | { kind: 'section'; path: string[]; inverted: boolean; parts: Part[] };

export interface Template {
  readonly source: string;
  render(view: unknown): string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]);
}

/** The inside of a JSON string literal: what JSON.stringify puts between the quotes. */
export function escapeJsonString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

const ESCAPERS: Record<Escaping, (text: string) => string> = {
  html: escapeHtml,
  json: escapeJsonString,
  url: encodeURIComponent,
  none: (text) => text,
};

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function splitPath(name: string, at: number): string[] {
  if (name === '.') return ['.'];
  const path = name.split('.');
  if (path.some((p) => p === '' || !/^[\w$-]+$/.test(p))) throw new PdmError('INVALID_CONFIG', `template: bad name "${name}" at ${at}`);
  return path;
}

function parse(source: string): Part[] {
  const root: Part[] = [];
  const stack: Array<{ path: string[]; name: string; parts: Part[]; at: number }> = [];
  let parts = root;
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open < 0) {
      parts.push({ kind: 'text', text: source.slice(pos) });
      break;
    }
    if (open > pos) parts.push({ kind: 'text', text: source.slice(pos, open) });
    const triple = source.startsWith('{{{', open);
    const closer = triple ? '}}}' : '}}';
    const close = source.indexOf(closer, open + (triple ? 3 : 2));
    if (close < 0) throw new PdmError('INVALID_CONFIG', `template: "{{" at ${open} is never closed`);
    const tag = source.slice(open + (triple ? 3 : 2), close).trim();
    pos = close + closer.length;
    if (triple) {
      parts.push({ kind: 'value', path: splitPath(tag, open), raw: true });
      continue;
    }
    const sigil = tag.charAt(0);
    const name = tag.slice(1).trim();
    if (sigil === '!') continue;
    if (sigil === '#' || sigil === '^') {
      const section: Part = { kind: 'section', path: splitPath(name, open), inverted: sigil === '^', parts: [] };
      parts.push(section);
      stack.push({ path: section.path, name, parts, at: open });
      parts = section.parts;
    } else if (sigil === '/') {
      const top = stack.pop();
      if (!top) throw new PdmError('INVALID_CONFIG', `template: "{{/${name}}}" at ${open} closes nothing`);
      if (top.name !== name) throw new PdmError('INVALID_CONFIG', `template: "{{/${name}}}" at ${open} does not close "{{#${top.name}}}" at ${top.at}`);
      parts = top.parts;
    } else if (sigil === '&') {
      parts.push({ kind: 'value', path: splitPath(name, open), raw: true });
    } else {
      parts.push({ kind: 'value', path: splitPath(tag, open), raw: false });
    }
  }
  const unclosed = stack.pop();
  if (unclosed) throw new PdmError('INVALID_CONFIG', `template: section "{{#${unclosed.name}}}" at ${unclosed.at} is never closed`);
  return root;
}

/** Looks a dotted name up from the innermost context outwards, as Mustache does. */
function lookup(contexts: unknown[], path: string[]): unknown {
  if (path[0] === '.') return contexts[contexts.length - 1];
  for (let i = contexts.length - 1; i >= 0; i--) {
    const ctx = contexts[i];
    if (ctx !== null && typeof ctx === 'object' && Object.prototype.hasOwnProperty.call(ctx, path[0])) {
      let value: unknown = (ctx as Record<string, unknown>)[path[0]];
      for (let k = 1; k < path.length; k++) {
        if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, path[k])) return undefined;
        value = (value as Record<string, unknown>)[path[k]];
      }
      return value;
    }
  }
  return undefined;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === false || value === '' || (Array.isArray(value) && value.length === 0);
}

function renderParts(parts: Part[], contexts: unknown[], escape: (text: string) => string, out: string[]): void {
  for (const part of parts) {
    if (part.kind === 'text') out.push(part.text);
    else if (part.kind === 'value') {
      const text = toText(lookup(contexts, part.path));
      out.push(part.raw ? text : escape(text));
    } else {
      const value = lookup(contexts, part.path);
      if (part.inverted) {
        if (isEmpty(value)) renderParts(part.parts, contexts, escape, out);
      } else if (Array.isArray(value)) {
        for (const item of value) renderParts(part.parts, [...contexts, item], escape, out);
      } else if (!isEmpty(value)) {
        renderParts(part.parts, [...contexts, value], escape, out);
      }
    }
  }
}

export function compileTemplate(source: string, escaping: Escaping): Template {
  const parts = parse(source);
  const escape = ESCAPERS[escaping];
  return {
    source,
    render(view: unknown): string {
      const out: string[] = [];
      renderParts(parts, [view], escape, out);
      return out.join('');
    },
  };
}
