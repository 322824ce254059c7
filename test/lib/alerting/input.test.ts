import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInput } from '../../../nodes/lib/alerting/input';

const T = 1_795_392_000_000;

describe('router input', () => {
  it('turns an anomaly event into an alert named for its sensor', () => {
    const payload = { asset: 'pump-1', sensor: 'vibration', ts: T, value: 9.5, score: 3.2, severity: 'high', detectors: [{ name: 'zscore', score: 3.2 }], expected: { low: 1, high: 4 } };
    const { items, rejected } = parseInput(payload, { key: 'pump-1/vibration', state: 'firing' });
    assert.deepEqual(rejected, []);
    assert.equal(items[0].kind, 'event');
    const event = items[0].kind === 'event' ? items[0].event : undefined;
    assert.equal(event?.name, 'anomaly:vibration');
    assert.equal(event?.severity, 'high');
    assert.equal(event?.state, 'firing');
    assert.equal(event?.sensor, 'vibration');
    assert.match(event?.summary ?? '', /vibration on pump-1 is anomalous: 9.5 \(expected 1–4\), score 3.2 \(zscore\)/);
  });

  it('reads the state of each event of a batch from msg.anomaly.events', () => {
    const e = (sensor: string): Record<string, unknown> => ({ asset: 'p', sensor, ts: T, value: 1, score: 1, severity: 'low', detectors: [] });
    const { items } = parseInput([e('a'), e('b')], { events: [{ key: 'p/a', state: 'firing' }, { key: 'p/b', state: 'resolved' }] });
    assert.deepEqual(items.map((i) => (i.kind === 'event' ? [i.event.name, i.event.state] : [])), [['anomaly:a', 'firing'], ['anomaly:b', 'resolved']]);
  });

  it('turns health reports into the health alert', () => {
    const report = (status: string, health: number): Record<string, unknown> => ({
      asset: 'fan-1', ts: T, health, urgency: 0.5, status, predictedFailure: status === 'critical' ? { ts: T + 86_400_000, low: T, high: null, rulHours: 24 } : null,
      contributors: { anomaly: 0, vibrationZone: 0, degradation: 0 }, indicator: { name: 'x', value: 1, threshold: 2, slope: 0, trend: 'rising' }, zone: null,
    });
    const events = ['attention', 'critical', 'healthy'].map((s, i) => {
      const item = parseInput(report(s, 60 - i * 20), undefined).items[0];
      return item.kind === 'event' ? item.event : undefined;
    });
    assert.deepEqual(events.map((e) => [e?.name, e?.severity, e?.state]), [['health', 'medium', 'firing'], ['health', 'critical', 'firing'], ['health', 'low', 'resolved']]);
    assert.equal(events[1]?.predictedFailure, T + 86_400_000);
    assert.match(events[1]?.summary ?? '', /fan-1 health 40\/100 \(critical\), failure predicted 2026-11-24/);
  });

  it('accepts the generic shape and commands', () => {
    const { items, rejected } = parseInput([
      { asset: 'line-3', name: 'jam', severity: 'critical', labels: { site: 'north', shift: 2 }, value: 4 },
      { action: 'acknowledge', key: 'line-3/jam', by: 'ann' },
    ], undefined);
    assert.deepEqual(rejected, []);
    assert.deepEqual(items[0], { kind: 'event', event: { asset: 'line-3', name: 'jam', severity: 'critical', state: 'firing', value: 4, labels: { site: 'north', shift: '2' } } });
    assert.equal(items[1].kind, 'command');
  });

  it('gives a reason for every element it cannot use', () => {
    const { items, rejected } = parseInput([null, 'text', { name: 'x', severity: 'high' }, { asset: 'a', severity: 'high' }, { asset: 'a', name: 'x', severity: 'urgent' },
      { asset: 'a', name: 'x', severity: 'low', state: 'open' }, { action: 'delete' }], undefined);
    assert.equal(items.length, 0);
    assert.deepEqual(rejected, [
      'expected an alert event, a health report or a command, got null',
      'expected an alert event, a health report or a command, got string',
      'the event has no asset',
      'alert for a: a name is required',
      'alert x on a: severity must be one of low, medium, high, critical',
      'alert x on a: state must be firing or resolved',
      'the event has no asset',
    ]);
  });
});
