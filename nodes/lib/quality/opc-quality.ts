import type { Quality } from '../reading';

/**
 * Quality markers that telemetry carries besides the canonical `quality` string. Each returns
 * undefined for a marker it cannot read.
 */

/**
 * An OPC UA `statusCode`: a number (severity in the top two bits: 00 Good, 01 Uncertain,
 * 1x Bad), its name ("Good", "BadSensorFailure", "UncertainLastUsableValue"), a hex string,
 * or an object holding the number as `value` (a node-opcua StatusCode).
 */
export function statusCodeQuality(marker: unknown): Quality | undefined {
  if (typeof marker === 'number') return severityOf(marker);
  if (typeof marker === 'string') {
    const lower = marker.trim().toLowerCase();
    if (/^0x[0-9a-f]{1,8}$/.test(lower)) return severityOf(parseInt(lower, 16));
    return qualityOfName(lower);
  }
  if (typeof marker === 'object' && marker !== null) {
    const value = (marker as { value?: unknown }).value;
    if (typeof value === 'number') return severityOf(value);
  }
  return undefined;
}

/**
 * A `quality` field: a name in any case ("Good", "UNCERTAIN", "bad") or an OPC DA / classic
 * quality byte (0xC0 good, 0x40 uncertain, 0x00 bad, the low six bits are sub-status).
 */
export function qualityFieldQuality(marker: unknown): Quality | undefined {
  if (typeof marker === 'string') return qualityOfName(marker.trim().toLowerCase());
  if (typeof marker === 'number' && Number.isInteger(marker) && marker >= 0 && marker <= 0xff) {
    const bits = marker & 0xc0;
    return bits === 0xc0 ? 'good' : bits === 0x40 ? 'uncertain' : 'bad';
  }
  return undefined;
}

function severityOf(code: number): Quality | undefined {
  if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) return undefined;
  const severity = code >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

function qualityOfName(lower: string): Quality | undefined {
  if (lower.startsWith('good')) return 'good';
  if (lower.startsWith('uncertain')) return 'uncertain';
  if (lower.startsWith('bad')) return 'bad';
  return undefined;
}

const RANK: Readonly<Record<Quality, number>> = { good: 0, uncertain: 1, bad: 2 };

export function worstQuality(a: Quality, b: Quality): Quality {
  return RANK[a] >= RANK[b] ? a : b;
}
