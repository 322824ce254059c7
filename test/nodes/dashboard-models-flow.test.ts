/**
 * The dashboard's Models page (flows/dashboard.json, "models page"), run as the function node it
 * is: the registry's catalog joined with each asset's latest drift report, shown beside the live
 * version the report was made against.
 */
import assert from 'node:assert/strict';
import { afterEach, before, after, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import { loadFlowFunction } from '../support/flow-function';
import { recorder } from '../support/node-helper';

helper.init(require.resolve('node-red'));

interface ModelRow {
  name: string;
  version: number;
  role: string;
  drift: { drifted: boolean } | null;
}

const version = (v: number, role: string): Record<string, unknown> => ({
  version: v, role, kind: 'pca', asset: 'P-101', createdAt: '2026-11-01T00:00:00Z', features: ['a', 'b'], metrics: {},
});
const catalog = (live: number): NodeMessage => ({
  topic: 'models',
  payload: [{ name: 'P-101', versions: [version(live, 'live'), version(live - 1, 'previous')] }],
} as NodeMessage);
const report = (drifted: boolean, model?: { name: string; version: number }): NodeMessage => ({
  payload: { asset: 'P-101', ts: 1, drifted, features: [{ feature: 'a', psi: 0.3, pValue: 0.001, drifted }], model },
} as NodeMessage);

describe('dashboard Models page', () => {
  before(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((resolve) => helper.stopServer(resolve)));

  it('shows a drift report beside the live version it was made against, and hides it once another version is live', async () => {
    const page = await loadFlowFunction('dashboard.json', 'd2-models-view');
    const out = recorder<NodeMessage & { payload: ModelRow[] }>('out');
    page.receive(catalog(2));
    page.receive(report(true, { name: 'P-101', version: 2 }));
    const [, withReport] = await out.next(2, 5000);
    const live = (m: NodeMessage & { payload: ModelRow[] }): ModelRow | undefined => m.payload.find((r) => r.role === 'live');
    assert.equal(live(withReport)?.drift?.drifted, true);
    assert.equal(withReport.payload.find((r) => r.role === 'previous')?.drift, null);

    // Version 3 goes live: the report against version 2 no longer describes it.
    page.receive(catalog(3));
    const [promoted] = await out.next(1, 5000);
    assert.equal(live(promoted)?.version, 3);
    assert.equal(live(promoted)?.drift, null);
    page.receive(report(false, { name: 'P-101', version: 3 }));
    const [fresh] = await out.next(1, 5000);
    assert.equal(live(fresh)?.drift?.drifted, false);

    // A baseline drift-detect learned itself names no model: shown beside whichever version is live.
    page.receive(report(true));
    const [learned] = await out.next(1, 5000);
    assert.equal(live(learned)?.drift?.drifted, true);
  });
});
