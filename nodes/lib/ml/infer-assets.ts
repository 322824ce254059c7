import { PdmError } from '../errors';
import { isRecord } from '../reading';
import { assetOf, isNumberList } from './infer-features';
import { validateModelName } from './registry';

/** Checked by assetPoolOptions. */
export interface AssetPoolOptions {
  /** Assets with an item at most; the least recently used one goes first. */
  maxAssets: number;
  /** An item unused this long is closed, ms (0: never). */
  idleMs: number;
}

/** What the pool holds per asset: something following the asset's model in the registry. */
export interface AssetModelUser {
  /** True while work is queued that closing would cut short. */
  readonly busy: boolean;
  drain(): Promise<void>;
  close(): Promise<void>;
}

interface Entry<T> {
  item: T;
  lastUse: number;
}

/**
 * One item per asset (a scorer, a drift baseline), its model named after the asset: created
 * on the asset's first message, reloaded by its own registry subscription, closed after idle
 * time or when the bound is reached. Asset names that cannot be model names are refused.
 */
export class AssetPool<T extends AssetModelUser> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Items closed so far (idle or beyond the bound). */
  evicted = 0;

  constructor(
    private readonly options: AssetPoolOptions,
    private readonly create: (asset: string) => T,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The items in place, least recently used first. */
  *items(): IterableIterator<T> {
    for (const entry of this.entries.values()) yield entry.item;
  }

  /** The asset's item, created (and its model loading) on first use. */
  get(asset: string, now: number): T {
    let entry = this.entries.get(asset);
    if (entry) {
      // Re-inserted so that the map's order is the order of last use.
      this.entries.delete(asset);
    } else {
      try {
        validateModelName(asset);
      } catch (err) {
        throw new PdmError('INVALID_PAYLOAD', `asset ${JSON.stringify(asset)} cannot name a model: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      entry = { item: this.create(asset), lastUse: now };
      this.evictBeyond(this.options.maxAssets - 1);
    }
    entry.lastUse = now;
    this.entries.set(asset, entry);
    return entry.item;
  }

  /** Closes the items idle longer than the idle time; resolves when they are closed. */
  async sweep(now: number): Promise<void> {
    if (this.options.idleMs === 0) return;
    const idle = [...this.entries].filter(([, e]) => now - e.lastUse >= this.options.idleMs && !e.item.busy);
    await Promise.all(idle.map(([asset]) => this.evict(asset)));
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => {
      await e.item.drain();
      await e.item.close();
    }));
  }

  private evictBeyond(limit: number): void {
    for (const asset of this.entries.keys()) {
      if (this.entries.size <= limit) return;
      void this.evict(asset);
    }
  }

  private async evict(asset: string): Promise<void> {
    const entry = this.entries.get(asset);
    if (!entry) return;
    this.entries.delete(asset);
    this.evicted++;
    // Items already queued are still scored before the models go.
    await entry.item.drain();
    await entry.item.close();
  }
}

/**
 * msg.payload split by asset: each item goes with its own `asset`, else the one msg.topic
 * names; a number array is one item. Arrays keep their form per asset.
 */
export function payloadByAsset(payload: unknown, topic: unknown): Map<string, unknown> {
  const topicAsset = assetOf(topic);
  const assetOfItem = (item: unknown): string => {
    const own = isRecord(item) && typeof item.asset === 'string' && item.asset !== '' ? item.asset : topicAsset;
    if (own === undefined) throw new PdmError('MISSING_FIELD', 'with a model per asset, each item needs an asset (its own or msg.topic)');
    return own;
  };
  if (!Array.isArray(payload) || isNumberList(payload)) return new Map([[assetOfItem(payload), payload]]);
  const parts = new Map<string, unknown[]>();
  for (const item of payload as unknown[]) {
    const asset = assetOfItem(item);
    const list = parts.get(asset);
    if (list) list.push(item);
    else parts.set(asset, [item]);
  }
  return parts;
}
