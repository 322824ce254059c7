import type { ModelMeta, ModelRegistry } from './registry';

/**
 * What a model registry holds, for people: every model with its recent versions, their
 * metrics and which version is live, proposed (candidate) or was live before. Read from the
 * registry files themselves, so it cannot disagree with what onnx-infer loads.
 */
export type VersionRole = 'live' | 'candidate' | 'previous' | 'registered';

export interface CatalogVersion {
  version: number;
  role: VersionRole;
  kind: string;
  asset?: string;
  features: string[];
  rows: number;
  threshold: number;
  trainedFrom?: number;
  trainedTo?: number;
  createdAt: number;
  metrics: Record<string, number>;
}

export interface CatalogEntry {
  name: string;
  asset?: string;
  live: number | null;
  candidate: number | null;
  /** Newest first: the live and candidate versions always, then the newest others up to the limit. */
  versions: CatalogVersion[];
}

export const DEFAULT_CATALOG_VERSIONS = 10;

function summary(meta: ModelMeta, role: VersionRole): CatalogVersion {
  const { version, kind, asset, features, rows, threshold, trainedFrom, trainedTo, createdAt, metrics } = meta;
  return { version, role, kind, asset, features, rows, threshold, trainedFrom, trainedTo, createdAt, metrics };
}

export async function registryCatalog(registry: ModelRegistry, versionsPerModel = DEFAULT_CATALOG_VERSIONS): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = [];
  for (const name of await registry.names()) {
    const state = await registry.state(name);
    const metas = (await registry.list(name)).reverse();
    const roleOf = (version: number): VersionRole =>
      version === state.live ? 'live' : version === state.candidate ? 'candidate' : state.previous.includes(version) ? 'previous' : 'registered';
    let others = 0;
    const versions = metas
      .filter((m) => roleOf(m.version) === 'live' || roleOf(m.version) === 'candidate' || others++ < versionsPerModel)
      .map((m) => summary(m, roleOf(m.version)));
    entries.push({ name, asset: metas[0]?.asset, live: state.live, candidate: state.candidate, versions });
  }
  return entries;
}
