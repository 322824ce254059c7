/**
 * Inhibition rules kept as indexes, so that an alert opening, resolving or changing severity
 * re-evaluates only the alerts that share its `equal` labels, not every active alert.
 */
import type { InhibitRule } from './config';
import { matchesAll } from './matchers';
import type { Alert } from './types';

export interface Inhibitable {
  alert: Alert;
  inhibited: boolean;
}

interface RuleIndex {
  /** Active source alerts per combination of the `equal` label values. */
  sources: Map<string, number>;
  /** Every active alert per combination of the `equal` label values. */
  members: Map<string, Set<Inhibitable>>;
}

function equalKey(names: readonly string[], labels: Record<string, string>): string {
  let k = '';
  for (const n of names) k += `${labels[n] ?? ''}\u0000`;
  return k;
}

export class Inhibitor<E extends Inhibitable> {
  private readonly index: RuleIndex[];

  constructor(private readonly rules: readonly InhibitRule[]) {
    this.index = rules.map(() => ({ sources: new Map(), members: new Map() }));
  }

  /** Indexes an active alert under its current labels; returns its key per rule. */
  add(entry: E): string[] {
    return this.update(entry, 1);
  }

  /** Takes an alert out (resolved, or before its labels change); returns its key per rule. */
  remove(entry: E): string[] {
    return this.update(entry, -1);
  }

  private update(entry: E, sign: 1 | -1): string[] {
    const labels = entry.alert.labels;
    return this.rules.map((rule, i) => {
      const { sources, members } = this.index[i];
      const k = equalKey(rule.equal, labels);
      if (matchesAll(rule.source, labels)) {
        const n = (sources.get(k) ?? 0) + sign;
        if (n > 0) sources.set(k, n);
        else sources.delete(k);
      }
      let set = members.get(k);
      if (sign > 0) {
        if (set === undefined) members.set(k, (set = new Set()));
        set.add(entry);
      } else if (set !== undefined) {
        set.delete(entry);
        if (set.size === 0) members.delete(k);
      }
      return k;
    });
  }

  isInhibited(entry: E): boolean {
    const labels = entry.alert.labels;
    return this.rules.some((rule, i) => {
      if (!matchesAll(rule.target, labels)) return false;
      const count = this.index[i].sources.get(equalKey(rule.equal, labels)) ?? 0;
      // An alert that is a source itself is not muted by itself.
      return count > (matchesAll(rule.source, labels) ? 1 : 0);
    });
  }

  /** Re-evaluates the alerts under these keys (per rule); `flipped` hears of each that changed. */
  reevaluate(keySets: string[][], flipped: (entry: E) => void): void {
    const seen = new Set<Inhibitable>();
    for (const keys of keySets) {
      keys.forEach((k, i) => {
        for (const e of this.index[i].members.get(k) ?? []) {
          if (seen.has(e)) continue;
          seen.add(e);
          const inhibited = this.isInhibited(e as E);
          if (inhibited === e.inhibited) continue;
          e.inhibited = inhibited;
          flipped(e as E);
        }
      });
    }
  }
}
