/**
 * The router's settings as the editor stores them (JSON texts and plain fields), turned into a
 * checked configuration. Shared by the node on deploy and the editor's validation endpoint, so
 * both give the same reason.
 */
import { compileConfig, type RouterConfig, type RouterConfigInput } from './config';

export interface AlertRouterEditorConfig {
  route?: string;
  receivers?: string;
  inhibitRules?: string;
  timeIntervals?: string;
  assets?: string;
  flapThreshold?: string | number;
  flapWindow?: string;
}

export const EDITOR_JSON_FIELDS = ['route', 'receivers', 'inhibitRules', 'timeIntervals', 'assets'] as const;

function json(text: string | undefined, field: string, fallback: unknown): unknown {
  if (text === undefined || text.trim() === '') return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${field}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

export function routerConfigFromEditor(c: AlertRouterEditorConfig): RouterConfig {
  const threshold = c.flapThreshold === undefined || c.flapThreshold === '' ? 0 : Number(c.flapThreshold);
  const input: RouterConfigInput = {
    route: json(c.route, 'route', undefined) as RouterConfigInput['route'],
    receivers: json(c.receivers, 'receivers', undefined) as RouterConfigInput['receivers'],
    inhibit_rules: json(c.inhibitRules, 'inhibit rules', undefined) as RouterConfigInput['inhibit_rules'],
    time_intervals: json(c.timeIntervals, 'time intervals', undefined) as RouterConfigInput['time_intervals'],
    assets: json(c.assets, 'assets', undefined) as RouterConfigInput['assets'],
    flapping: { threshold, window: c.flapWindow === undefined || c.flapWindow === '' ? undefined : c.flapWindow },
  };
  if (input.route === undefined) throw new Error('route: a routing tree is required, e.g. {"receiver": "maintenance"}');
  return compileConfig(input);
}
