/** Silences: time-bounded label matchers that suppress the alerts they match. */
import { matchesAll, parseMatchers, type Matcher } from './matchers';

export interface Silence {
  id: string;
  matchers: string[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
}

interface Held extends Silence {
  parsed: Matcher[];
}

export class Silences {
  private readonly held = new Map<string, Held>();
  private sequence = 0;

  /** Throws with the reason when the matchers are bad or empty. */
  create(matchers: string[], startsAt: number, endsAt: number, createdBy: string, comment?: string): Silence {
    const parsed = parseMatchers(matchers, 'matchers');
    if (parsed.length === 0) throw new Error('a silence needs at least one matcher');
    const id = `silence-${startsAt.toString(36)}-${(++this.sequence).toString(36)}`;
    const silence: Held = { id, matchers, startsAt, endsAt, createdBy, parsed };
    if (comment !== undefined) silence.comment = comment;
    this.held.set(id, silence);
    return silence;
  }

  expire(id: string): boolean {
    return this.held.delete(id);
  }

  /** Drops silences that ended by `now`; true when there were any. */
  expireDue(now: number): boolean {
    let any = false;
    for (const s of this.held.values()) {
      if (s.endsAt <= now) any = this.held.delete(s.id);
    }
    return any;
  }

  /** Ids of the silences in force at `now` that match these labels. */
  matching(labels: Readonly<Record<string, string>>, now: number): string[] {
    const ids: string[] = [];
    for (const s of this.held.values()) if (s.startsAt <= now && now < s.endsAt && matchesAll(s.parsed, labels)) ids.push(s.id);
    return ids;
  }

  nextEnd(): number {
    let at = Infinity;
    for (const s of this.held.values()) at = Math.min(at, s.endsAt);
    return at;
  }

  list(): Silence[] {
    return [...this.held.values()].map((s) => {
      const out: Silence = { id: s.id, matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy };
      if (s.comment !== undefined) out.comment = s.comment;
      return out;
    });
  }

  /** Restores saved silences still in force at `now`, skipping unreadable ones. */
  load(saved: readonly Silence[], now: number): void {
    for (const s of saved) {
      if (!(s?.endsAt > now) || typeof s.id !== 'string') continue;
      try {
        this.held.set(s.id, { ...s, parsed: parseMatchers(s.matchers, 'matchers') });
      } catch {
        continue;
      }
    }
  }
}
