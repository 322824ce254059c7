/**
 * The router's configuration, Alertmanager-shaped: a routing tree whose children inherit unset
 * options, receivers (one output each) with escalation chains and on-call rotations, inhibition
 * rules, named time intervals, static per-asset labels and flapping detection. `compileConfig`
 * checks everything and names the offending path in its error.
 */
import { parseDuration } from './duration';
import { parseMatchers, type Matcher } from './matchers';
import { compileOnCall, type OnCallInput, type OnCallRotation } from './oncall';
import { compileTimeIntervals, type IntervalSet, type TimeIntervalInput } from './time-intervals';

export interface RouteInput {
  receiver?: string;
  /** Label names; ['...'] groups by every label. */
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: RouteInput[];
  active_time_intervals?: string[];
  mute_time_intervals?: string[];
}

export interface EscalationStepInput {
  after: string;
  receiver: string;
}

export interface ReceiverInput {
  name: string;
  escalation?: EscalationStepInput[];
  oncall?: OnCallInput;
}

export interface InhibitRuleInput {
  source_matchers: string[];
  target_matchers: string[];
  equal?: string[];
}

export interface FlappingInput {
  /** Openings of the same key within the window that make it flapping; 0 turns detection off. */
  threshold?: number;
  window?: string;
}

export interface RouterConfigInput {
  route: RouteInput;
  receivers: ReceiverInput[];
  inhibit_rules?: InhibitRuleInput[];
  time_intervals?: TimeIntervalInput[];
  /** Static labels per asset: { "pump-1": { "criticality": "A", "site": "north", "line": "L1" } }. */
  assets?: Record<string, Record<string, string>>;
  flapping?: FlappingInput;
}

export interface Route {
  /** Position in the tree: '0' for the root, '0.2.1' for the second child of its third child. */
  id: string;
  receiver: string;
  /** Label names, or 'all' for group_by ['...']. */
  groupBy: readonly string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  matchers: Matcher[];
  continue: boolean;
  routes: Route[];
  activeIntervals: IntervalSet[];
  muteIntervals: IntervalSet[];
}

export interface EscalationStep {
  afterMs: number;
  receiver: string;
}

export interface Receiver {
  name: string;
  /** Output index. */
  output: number;
  /** The whole chain: its own steps, then those of the last step's receiver, and so on. */
  escalation: EscalationStep[];
  oncall: OnCallRotation | undefined;
}

export interface InhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: readonly string[];
}

export interface RouterConfig {
  route: Route;
  receivers: Map<string, Receiver>;
  receiverNames: string[];
  inhibitRules: InhibitRule[];
  assets: Map<string, Record<string, string>>;
  flapThreshold: number;
  flapWindowMs: number;
  /** Whether any route uses time intervals (their state is then re-checked every minute). */
  timed: boolean;
}

const DEFAULTS = { group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
const MAX_DEPTH = 32;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function labelNames(list: unknown, what: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.some((n) => typeof n !== 'string' || (n !== '...' && !LABEL_NAME.test(n)))) {
    throw new Error(`${what}: expected a list of label names`);
  }
  return list as string[];
}

function intervalRefs(list: unknown, intervals: Map<string, IntervalSet>, what: string): IntervalSet[] {
  return labelNamesOrAny(list, what).map((name) => {
    const set = intervals.get(name);
    if (!set) throw new Error(`${what}: unknown time interval "${name}"${known(intervals.keys())}`);
    return set;
  });
}

function labelNamesOrAny(list: unknown, what: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) throw new Error(`${what}: expected a list of names`);
  return list as string[];
}

function known(names: Iterable<string>): string {
  const list = [...names];
  return list.length === 0 ? ' (none defined)' : ` (known: ${list.join(', ')})`;
}

const ROUTE_KEYS = new Set(['receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'matchers', 'continue', 'routes', 'active_time_intervals', 'mute_time_intervals']);

function compileRoute(input: RouteInput, parent: Route | undefined, id: string, what: string, ctx: { receivers: Map<string, Receiver>; intervals: Map<string, IntervalSet> }, depth: number): Route {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error(`${what}: expected an object`);
  if (depth > MAX_DEPTH) throw new Error(`${what}: routes nested deeper than ${MAX_DEPTH} levels`);
  for (const key of Object.keys(input)) if (!ROUTE_KEYS.has(key)) throw new Error(`${what}: unknown option "${key}"`);
  const receiver = input.receiver ?? parent?.receiver;
  if (receiver === undefined) throw new Error(`${what}.receiver: the root route needs a receiver`);
  if (!ctx.receivers.has(receiver)) throw new Error(`${what}.receiver: unknown receiver "${receiver}"${known(ctx.receivers.keys())}`);
  const duration = (key: 'group_wait' | 'group_interval' | 'repeat_interval', inherited: number | undefined): number =>
    input[key] === undefined ? (inherited ?? parseDuration(DEFAULTS[key])) : parseDuration(input[key], `${what}.${key}`);
  const groupBy = input.group_by === undefined ? parent?.groupBy ?? [] : labelNames(input.group_by, `${what}.group_by`);
  if (input.continue !== undefined && typeof input.continue !== 'boolean') throw new Error(`${what}.continue: expected true or false`);
  if (parent === undefined && (input.matchers !== undefined || input.continue !== undefined)) {
    throw new Error(`${what}: the root route matches every alert and takes no matchers or continue`);
  }
  const route: Route = {
    id,
    receiver,
    groupBy: Array.isArray(groupBy) && groupBy.includes('...') ? 'all' : groupBy,
    groupWaitMs: duration('group_wait', parent?.groupWaitMs),
    groupIntervalMs: duration('group_interval', parent?.groupIntervalMs),
    repeatIntervalMs: duration('repeat_interval', parent?.repeatIntervalMs),
    matchers: parseMatchers(input.matchers, `${what}.matchers`),
    continue: input.continue ?? false,
    routes: [],
    activeIntervals: intervalRefs(input.active_time_intervals, ctx.intervals, `${what}.active_time_intervals`),
    muteIntervals: intervalRefs(input.mute_time_intervals, ctx.intervals, `${what}.mute_time_intervals`),
  };
  if (route.groupIntervalMs <= 0) throw new Error(`${what}.group_interval: must be longer than 0`);
  if (route.repeatIntervalMs <= 0) throw new Error(`${what}.repeat_interval: must be longer than 0`);
  if (input.routes !== undefined && !Array.isArray(input.routes)) throw new Error(`${what}.routes: expected a list of routes`);
  route.routes = (input.routes ?? []).map((child, i) => compileRoute(child, route, `${id}.${i}`, `${what}.routes[${i}]`, ctx, depth + 1));
  return route;
}

function compileReceivers(list: unknown): Map<string, Receiver> {
  if (!Array.isArray(list) || list.length === 0) throw new Error('receivers: at least one receiver is required');
  const inputs = new Map<string, ReceiverInput>();
  list.forEach((r: ReceiverInput, i) => {
    if (typeof r?.name !== 'string' || r.name.trim() === '') throw new Error(`receivers[${i}]: a name is required`);
    if (inputs.has(r.name)) throw new Error(`receivers[${i}]: duplicate receiver "${r.name}"`);
    inputs.set(r.name, r);
  });
  const steps = new Map<string, EscalationStep[]>();
  inputs.forEach((r, name) => {
    if (r.escalation !== undefined && !Array.isArray(r.escalation)) throw new Error(`receiver "${name}".escalation: expected a list of {after, receiver}`);
    steps.set(name, (r.escalation ?? []).map((s, i) => {
      const what = `receiver "${name}".escalation[${i}]`;
      if (typeof s?.receiver !== 'string' || !inputs.has(s.receiver)) throw new Error(`${what}.receiver: unknown receiver "${String(s?.receiver)}"${known(inputs.keys())}`);
      if (s.receiver === name) throw new Error(`${what}: escalation cycle: ${name} → ${name}`);
      const afterMs = parseDuration(s.after, `${what}.after`);
      if (afterMs <= 0) throw new Error(`${what}.after: must be longer than 0`);
      return { afterMs, receiver: s.receiver };
    }));
  });
  const chain = (name: string, path: string[]): EscalationStep[] => {
    const own = steps.get(name) ?? [];
    if (own.length === 0) return [];
    const last = own[own.length - 1].receiver;
    if (path.includes(last)) throw new Error(`receiver "${path[0]}".escalation: escalation cycle: ${[...path, last].join(' → ')}`);
    return [...own, ...chain(last, [...path, last])];
  };
  const out = new Map<string, Receiver>();
  [...inputs.values()].forEach((r, output) => {
    out.set(r.name, {
      name: r.name,
      output,
      escalation: chain(r.name, [r.name]),
      oncall: r.oncall === undefined ? undefined : compileOnCall(r.oncall, `receiver "${r.name}".oncall`),
    });
  });
  return out;
}

function compileInhibitRules(list: unknown): InhibitRule[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error('inhibit_rules: expected a list');
  return list.map((r: InhibitRuleInput, i) => {
    const what = `inhibit_rules[${i}]`;
    const source = parseMatchers(r?.source_matchers, `${what}.source_matchers`);
    const target = parseMatchers(r?.target_matchers, `${what}.target_matchers`);
    if (source.length === 0 || target.length === 0) throw new Error(`${what}: source_matchers and target_matchers are both required`);
    return { source, target, equal: labelNames(r.equal, `${what}.equal`) };
  });
}

function compileAssets(value: unknown): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('assets: expected an object { asset: { label: value } }');
  for (const [asset, labels] of Object.entries(value)) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new Error(`assets["${asset}"]: expected an object of labels`);
    for (const [name, v] of Object.entries(labels as Record<string, unknown>)) {
      if (!LABEL_NAME.test(name)) throw new Error(`assets["${asset}"]: "${name}" is not a label name`);
      if (typeof v !== 'string') throw new Error(`assets["${asset}"].${name}: label values are text`);
    }
    out.set(asset, labels as Record<string, string>);
  }
  return out;
}

function routeIsTimed(route: Route): boolean {
  return route.activeIntervals.length > 0 || route.muteIntervals.length > 0 || route.routes.some(routeIsTimed);
}

export function compileConfig(input: RouterConfigInput): RouterConfig {
  if (typeof input !== 'object' || input === null) throw new Error('configuration: expected an object');
  const receivers = compileReceivers(input.receivers);
  const intervals = compileTimeIntervals(input.time_intervals);
  const route = compileRoute(input.route, undefined, '0', 'route', { receivers, intervals }, 0);
  const flapping = input.flapping ?? {};
  const flapThreshold = flapping.threshold ?? 0;
  if (!Number.isInteger(flapThreshold) || flapThreshold < 0 || flapThreshold === 1) throw new Error('flapping.threshold: a whole number ≥ 2 (or 0 for off)');
  const flapWindowMs = parseDuration(flapping.window ?? '10m', 'flapping.window');
  return {
    route,
    receivers,
    receiverNames: [...receivers.keys()],
    inhibitRules: compileInhibitRules(input.inhibit_rules),
    assets: compileAssets(input.assets),
    flapThreshold,
    flapWindowMs,
    timed: routeIsTimed(route),
  };
}

/** The routes an alert with these labels goes to, in Alertmanager's order (depth first, `continue`). */
export function matchRoutes(route: Route, labels: Readonly<Record<string, string>>): Route[] {
  const found: Route[] = [];
  for (const child of route.routes) {
    if (!child.matchers.every((m) => m.test(labels))) continue;
    found.push(...matchRoutes(child, labels));
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [route];
}

/** Whether notifications of this route are muted at `ts` (a mute interval, or outside its active ones). */
export function routeMuted(route: Route, ts: number): boolean {
  if (route.muteIntervals.some((set) => set(ts))) return true;
  return route.activeIntervals.length > 0 && !route.activeIntervals.some((set) => set(ts));
}
