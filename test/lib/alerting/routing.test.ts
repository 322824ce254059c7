import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileConfig, matchRoutes, type RouterConfigInput } from '../../../nodes/lib/alerting/config';

const TREE: RouterConfigInput = {
  receivers: [{ name: 'default' }, { name: 'on-call' }, { name: 'north' }, { name: 'north-lines' }, { name: 'others' }],
  route: {
    receiver: 'default', group_by: ['asset'], group_wait: '10s', group_interval: '1m', repeat_interval: '1h',
    routes: [
      { matchers: ['severity="critical"'], receiver: 'on-call', continue: true, group_wait: '0s' },
      {
        matchers: ['site="north"'], receiver: 'north', repeat_interval: '2h',
        routes: [
          { matchers: ['line=~"L1|L2"'], receiver: 'north-lines' },
          { matchers: ['criticality="A"'], group_by: ['...'] },
        ],
      },
      { matchers: ['asset!~"pump-.*"'], receiver: 'others' },
    ],
  },
};

describe('routing tree', () => {
  const config = compileConfig(TREE);
  const cases: Array<{ name: string; labels: Record<string, string>; routes: string[]; receivers: string[] }> = [
    { name: 'no child matches: the root', labels: { asset: 'pump-1', severity: 'low' }, routes: ['0'], receivers: ['default'] },
    { name: 'a continue route alone', labels: { asset: 'pump-1', severity: 'critical' }, routes: ['0.0'], receivers: ['on-call'] },
    { name: 'continue goes on to a later sibling', labels: { asset: 'fan-1', severity: 'critical' }, routes: ['0.0', '0.2'], receivers: ['on-call', 'others'] },
    { name: 'a nested child', labels: { asset: 'pump-1', site: 'north', line: 'L2' }, routes: ['0.1.0'], receivers: ['north-lines'] },
    { name: 'a nested child inherits the receiver', labels: { asset: 'pump-1', site: 'north', criticality: 'A' }, routes: ['0.1.1'], receivers: ['north'] },
    { name: 'the parent when no grandchild matches', labels: { asset: 'pump-1', site: 'north', line: 'L3' }, routes: ['0.1'], receivers: ['north'] },
    { name: 'first match without continue stops', labels: { asset: 'fan-2', site: 'north', line: 'L1' }, routes: ['0.1.0'], receivers: ['north-lines'] },
    { name: 'a negative regex', labels: { asset: 'fan-2', site: 'south' }, routes: ['0.2'], receivers: ['others'] },
    { name: 'a missing label is the empty string', labels: { severity: 'low' }, routes: ['0.2'], receivers: ['others'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const routes = matchRoutes(config.route, c.labels);
      assert.deepEqual(routes.map((r) => r.id), c.routes);
      assert.deepEqual(routes.map((r) => r.receiver), c.receivers);
    });
  }

  it('children inherit the options they leave unset', () => {
    const [critical, north, others] = config.route.routes;
    const [lines, critA] = north.routes;
    assert.equal(critical.groupWaitMs, 0);
    assert.equal(critical.groupIntervalMs, 60_000);
    assert.deepEqual(critical.groupBy, ['asset']);
    assert.equal(north.repeatIntervalMs, 2 * 3_600_000);
    assert.equal(lines.repeatIntervalMs, 2 * 3_600_000);
    assert.equal(lines.groupWaitMs, 10_000);
    assert.equal(critA.groupBy, 'all');
    assert.equal(critA.receiver, 'north');
    assert.equal(others.repeatIntervalMs, 3_600_000);
  });

  it('uses Alertmanager defaults for unset timing', () => {
    const plain = compileConfig({ receivers: [{ name: 'r' }], route: { receiver: 'r' } });
    assert.equal(plain.route.groupWaitMs, 30_000);
    assert.equal(plain.route.groupIntervalMs, 300_000);
    assert.equal(plain.route.repeatIntervalMs, 4 * 3_600_000);
    assert.deepEqual(plain.route.groupBy, []);
  });

  it('numbers receivers as outputs in list order', () => {
    assert.deepEqual(config.receiverNames, ['default', 'on-call', 'north', 'north-lines', 'others']);
    assert.equal(config.receivers.get('north-lines')?.output, 3);
  });
});
