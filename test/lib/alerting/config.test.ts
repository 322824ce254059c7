import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileConfig, type RouterConfigInput } from '../../../nodes/lib/alerting/config';
import { parseDuration } from '../../../nodes/lib/alerting/duration';
import { routerConfigFromEditor } from '../../../nodes/lib/alerting/editor-config';
import { parseMatcher } from '../../../nodes/lib/alerting/matchers';

const receivers = [{ name: 'ops' }, { name: 'lead' }];

describe('configuration checks', () => {
  const invalid: Array<{ name: string; config: RouterConfigInput; reason: RegExp }> = [
    { name: 'unknown root receiver', config: { receivers, route: { receiver: 'nobody' } }, reason: /route\.receiver: unknown receiver "nobody" \(known: ops, lead\)/ },
    { name: 'unknown child receiver', config: { receivers, route: { receiver: 'ops', routes: [{ matchers: ['a="b"'] }, { receiver: 'x' }] } }, reason: /route\.routes\[1\]\.receiver: unknown receiver "x"/ },
    { name: 'root without receiver', config: { receivers, route: {} }, reason: /root route needs a receiver/ },
    { name: 'bad matcher operator', config: { receivers, route: { receiver: 'ops', routes: [{ matchers: ['severity=="x"'] }] } }, reason: /route\.routes\[0\]\.matchers\[0\]: matcher "severity=="x"" is not of the form|bad quoting/ },
    { name: 'bad matcher shape', config: { receivers, route: { receiver: 'ops', routes: [{ matchers: ['critical'] }] } }, reason: /matchers\[0\]: matcher "critical" is not of the form name="value"/ },
    { name: 'bad regular expression', config: { receivers, route: { receiver: 'ops', routes: [{ matchers: ['asset=~"pump-(["'] }] } }, reason: /bad regular expression/ },
    { name: 'escalation cycle', config: { receivers: [{ name: 'ops', escalation: [{ after: '5m', receiver: 'lead' }] }, { name: 'lead', escalation: [{ after: '5m', receiver: 'ops' }] }], route: { receiver: 'ops' } }, reason: /escalation cycle: ops → lead → ops/ },
    { name: 'escalation to itself', config: { receivers: [{ name: 'ops', escalation: [{ after: '5m', receiver: 'ops' }] }], route: { receiver: 'ops' } }, reason: /escalation cycle: ops → ops/ },
    { name: 'escalation to an unknown receiver', config: { receivers: [{ name: 'ops', escalation: [{ after: '5m', receiver: 'boss' }] }], route: { receiver: 'ops' } }, reason: /escalation\[0\]\.receiver: unknown receiver "boss"/ },
    { name: 'bad duration', config: { receivers, route: { receiver: 'ops', group_wait: '5 minutes' } }, reason: /route\.group_wait: "5 minutes" is not a duration/ },
    { name: 'unknown time interval', config: { receivers, route: { receiver: 'ops', mute_time_intervals: ['night'] } }, reason: /unknown time interval "night" \(none defined\)/ },
    { name: 'root with matchers', config: { receivers, route: { receiver: 'ops', matchers: ['a="b"'] } }, reason: /root route matches every alert/ },
    { name: 'unknown route option', config: { receivers, route: { receiver: 'ops', group_by: ['asset'], groupWait: '1s' } as never }, reason: /unknown option "groupWait"/ },
    { name: 'duplicate receiver', config: { receivers: [{ name: 'ops' }, { name: 'ops' }], route: { receiver: 'ops' } }, reason: /duplicate receiver "ops"/ },
    { name: 'no receivers', config: { receivers: [], route: { receiver: 'ops' } }, reason: /at least one receiver/ },
    { name: 'inhibit rule without target', config: { receivers, route: { receiver: 'ops' }, inhibit_rules: [{ source_matchers: ['severity="critical"'] } as never] }, reason: /inhibit_rules\[0\]: source_matchers and target_matchers are both required/ },
    { name: 'bad time of day', config: { receivers, route: { receiver: 'ops' }, time_intervals: [{ name: 'n', time_intervals: [{ times: [{ start_time: '25:00', end_time: '26:00' }] }] }] }, reason: /start_time: "25:00" is not a time/ },
    { name: 'unknown time zone', config: { receivers, route: { receiver: 'ops' }, time_intervals: [{ name: 'n', time_intervals: [{ location: 'Mars/Olympus' }] }] }, reason: /unknown time zone "Mars\/Olympus"/ },
    { name: 'on-call without members', config: { receivers: [{ name: 'ops', oncall: { start: '2026-01-05T08:00:00Z', members: [] } }], route: { receiver: 'ops' } }, reason: /oncall\.members: at least one member/ },
    { name: 'asset labels not text', config: { receivers, route: { receiver: 'ops' }, assets: { 'pump-1': { criticality: 1 } } as never }, reason: /assets\["pump-1"\]\.criticality: label values are text/ },
    { name: 'flapping threshold of one', config: { receivers, route: { receiver: 'ops' }, flapping: { threshold: 1 } }, reason: /flapping\.threshold/ },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}, with the reason`, () => {
      assert.throws(() => compileConfig(c.config), (err: Error) => {
        assert.match(err.message, c.reason);
        return true;
      });
    });
  }

  it('names the field of malformed JSON from the editor', () => {
    assert.throws(() => routerConfigFromEditor({ route: '{"receiver": "ops"}', receivers: '[{"name": "ops"' }), /receivers: not valid JSON/);
    assert.throws(() => routerConfigFromEditor({ receivers: '[{"name": "ops"}]' }), /route: a routing tree is required/);
  });

  it('accepts the editor fields, empty optional ones included', () => {
    const config = routerConfigFromEditor({
      route: '{"receiver": "ops"}', receivers: '[{"name": "ops"}]', inhibitRules: '', timeIntervals: '[]', assets: '{}', flapThreshold: '3', flapWindow: '5m',
    });
    assert.equal(config.flapThreshold, 3);
    assert.equal(config.flapWindowMs, 300_000);
  });

  it('flattens an escalation chain through the last step receiver', () => {
    const config = compileConfig({
      receivers: [{ name: 'ops', escalation: [{ after: '15m', receiver: 'lead' }] }, { name: 'lead', escalation: [{ after: '30m', receiver: 'boss' }] }, { name: 'boss' }],
      route: { receiver: 'ops' },
    });
    assert.deepEqual(config.receivers.get('ops')?.escalation, [{ afterMs: 900_000, receiver: 'lead' }, { afterMs: 1_800_000, receiver: 'boss' }]);
  });
});

describe('durations and matchers', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('0s'), 0);
    assert.throws(() => parseDuration('5'), /not a duration/);
    assert.throws(() => parseDuration(5), /not a duration/);
  });

  const table: Array<[string, Record<string, string>, boolean]> = [
    ['severity="critical"', { severity: 'critical' }, true],
    ['severity="critical"', { severity: 'high' }, false],
    ['severity!="critical"', { severity: 'high' }, true],
    ['severity!="critical"', {}, true],
    ['asset=~"pump-.*"', { asset: 'pump-12' }, true],
    ['asset=~"pump"', { asset: 'pump-12' }, false],
    ['asset!~"pump-.*"', { asset: 'fan-1' }, true],
    ['site=north', { site: 'north' }, true],
    ['line=""', {}, true],
    ['summary="a \\"quoted\\" word"', { summary: 'a "quoted" word' }, true],
  ];
  for (const [text, labels, expected] of table) {
    it(`${text} on ${JSON.stringify(labels)} is ${expected}`, () => assert.equal(parseMatcher(text).test(labels), expected));
  }
});
