import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataQualityChecker, type MessageOutcome } from '../../../nodes/lib/quality';
import { topicHint } from '../../../nodes/lib/quality/normalise';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const checker = (): DataQualityChecker => new DataQualityChecker({ duplicates: 'off' }, () => NOW);

function onlyAccepted(outcome: MessageOutcome): unknown {
  assert.deepEqual(outcome.rejected, [], 'nothing rejected');
  assert.equal(outcome.failure, undefined);
  return outcome.accepted.length === 1 ? outcome.accepted[0] : outcome.accepted;
}

function onlyRejection(outcome: MessageOutcome): { code: string; reason: string } {
  assert.equal(outcome.accepted.length, 0, 'nothing accepted');
  assert.equal(outcome.rejected.length, 1, 'one rejection');
  return outcome.rejected[0].error;
}

describe('normalising payloads to readings', () => {
  it('passes a canonical reading through as the same object, quality set in place', () => {
    const reading = { asset: 'pump-1', sensor: 'temperature', value: 71.2, ts: NOW - 1000, unit: '°C' };
    const outcome = checker().check(reading);
    assert.equal(outcome.single, true);
    assert.equal(outcome.accepted[0], reading);
    assert.deepEqual(reading, { asset: 'pump-1', sensor: 'temperature', value: 71.2, ts: NOW - 1000, unit: '°C', quality: 'good' });
  });

  it('names a bare number by msg.topic "asset/sensor" and stamps it with the arrival time', () => {
    assert.deepEqual(onlyAccepted(checker().check(3.5, 'line-2/pump-1/vibration')), {
      asset: 'line-2/pump-1', sensor: 'vibration', value: 3.5, ts: NOW, quality: 'good',
    });
    assert.equal(onlyRejection(checker().check(3.5)).code, 'MISSING_FIELD');
  });

  it('maps telemetry field names: device_id, sensor_id, reading, timestamp in epoch seconds', () => {
    const input = { device_id: 'pump-7', sensor_id: 'pressure', reading: 4.2, timestamp: NOW / 1000 - 2, unit: 'bar' };
    assert.deepEqual(onlyAccepted(checker().check(input)), {
      asset: 'pump-7', sensor: 'pressure', value: 4.2, ts: NOW - 2000, unit: 'bar', quality: 'good',
    });
  });

  it('maps asset_id with value and an ISO 8601 timestamp; numeric ids become strings', () => {
    const input = { asset_id: 42, sensor_id: 'flow', value: 12, timestamp: '2024-06-01T11:59:58.500Z' };
    assert.deepEqual(onlyAccepted(checker().check(input)), {
      asset: '42', sensor: 'flow', value: 12, ts: NOW - 1500, quality: 'good',
    });
  });

  it('converts a canonical-looking reading whose ts is in seconds', () => {
    const reading = { asset: 'a', sensor: 's', value: 1, ts: NOW / 1000 };
    const accepted = onlyAccepted(checker().check(reading)) as { ts: number };
    assert.equal(accepted.ts, NOW);
    assert.equal(reading.ts, NOW / 1000, 'the input is not rewritten');
  });

  it('stamps telemetry without a timestamp with the arrival time', () => {
    const accepted = onlyAccepted(checker().check({ asset: 'a', sensor: 's', value: 1 })) as { ts: number };
    assert.equal(accepted.ts, NOW);
  });

  it('takes the asset from MQTT topics sensors/<asset>/data and devices/<asset>/telemetry', () => {
    const fromSensors = onlyAccepted(checker().check({ sensor_id: 'temperature', value: 60, timestamp: NOW }, 'sensors/press-3/data'));
    assert.deepEqual(fromSensors, { asset: 'press-3', sensor: 'temperature', value: 60, ts: NOW, quality: 'good' });
    const fromDevices = onlyAccepted(checker().check({ sensor: 'current', value: 9, ts: NOW }, 'devices/fan-1/telemetry'));
    assert.deepEqual(fromDevices, { asset: 'fan-1', sensor: 'current', value: 9, ts: NOW, quality: 'good' });
    assert.deepEqual(topicHint('sensors/press-3/data'), { asset: 'press-3' });
    assert.deepEqual(topicHint('plant/press-3/temperature'), { asset: 'plant/press-3', sensor: 'temperature' });
    assert.equal(topicHint('single'), undefined);
    assert.equal(topicHint(7), undefined);
  });

  it('the payload wins over the topic', () => {
    const accepted = onlyAccepted(checker().check({ asset: 'x', sensor: 'y', value: 1, ts: NOW }, 'other/thing')) as { asset: string };
    assert.equal(accepted.asset, 'x');
  });

  it('splits a telemetry object of several sensors into one reading per numeric field', () => {
    const input = { device_id: 'pump-1', timestamp: NOW - 100, temperature: 71.2, vibration: 3.1, status: 'running', on: true };
    const outcome = checker().check(input);
    assert.equal(outcome.single, false);
    assert.deepEqual(onlyAccepted(outcome), [
      { asset: 'pump-1', sensor: 'temperature', value: 71.2, ts: NOW - 100, quality: 'good' },
      { asset: 'pump-1', sensor: 'vibration', value: 3.1, ts: NOW - 100, quality: 'good' },
    ]);
  });

  it('a several-sensor object takes its asset from the topic and is single when it holds one sensor', () => {
    const outcome = checker().check({ timestamp: NOW, temperature: 50 }, 'devices/oven-2/telemetry');
    assert.equal(outcome.single, true);
    assert.deepEqual(outcome.accepted, [{ asset: 'oven-2', sensor: 'temperature', value: 50, ts: NOW, quality: 'good' }]);
  });

  it('parses a JSON string or Buffer payload', () => {
    const json = JSON.stringify({ device_id: 'p', sensor_id: 's', value: 1, timestamp: NOW });
    assert.equal(checker().check(json).accepted.length, 1);
    assert.equal(checker().check(Buffer.from(json)).accepted.length, 1);
    assert.equal(checker().check('[1, 2]', 'a/s').accepted.length, 2);
  });

  it('refuses malformed JSON as a whole message', () => {
    const outcome = checker().check('{"device_id": "p", value: }');
    assert.equal(outcome.failure?.code, 'INVALID_PAYLOAD');
    assert.match(outcome.failure?.reason ?? '', /not JSON/);
  });

  it('maps quality and statusCode onto the reading quality', () => {
    const uncertain = onlyAccepted(checker().check({ asset: 'a', sensor: 's', value: 1, ts: NOW, statusCode: 0x40000000 }));
    assert.equal((uncertain as { quality: string }).quality, 'uncertain');
    const named = onlyAccepted(checker().check({ asset: 'a', sensor: 's', value: 1, ts: NOW, quality: 'Good', statusCode: 'Good' }));
    assert.equal((named as { quality: string }).quality, 'good');
  });

  it('rejects each kind of unusable field with its code', () => {
    const cases: Array<[unknown, string]> = [
      [{ sensor: 's', value: 1, ts: NOW }, 'MISSING_FIELD'],
      [{ asset: 'a', value: 1, ts: NOW }, 'MISSING_FIELD'],
      [{ asset: 'a', sensor: 's', ts: NOW, value: null }, 'MISSING_FIELD'],
      [{ asset: 'a', sensor: 's', ts: NOW }, 'MISSING_FIELD'],
      [{ asset: 'a', sensor: 's', value: '71.2', ts: NOW }, 'NOT_A_NUMBER'],
      [{ asset: 'a', sensor: 's', value: true, ts: NOW }, 'NOT_A_NUMBER'],
      [{ asset: 'a', sensor: 's', value: NaN, ts: NOW }, 'NON_FINITE'],
      [{ asset: 'a', sensor: 's', value: -Infinity, ts: NOW }, 'NON_FINITE'],
      [{ asset: 'a', sensor: 's', value: 1, ts: 'noon' }, 'BAD_TIMESTAMP'],
      [{ asset: 'a', sensor: 's', value: 1, ts: -1 }, 'BAD_TIMESTAMP'],
      [{ asset: 'a', sensor: 's', value: 1, ts: NOW, unit: 5 }, 'INVALID_PAYLOAD'],
      [{ asset: 'a', sensor: 's', value: 1, ts: NOW, quality: 'fine' }, 'INVALID_PAYLOAD'],
      [{ device_id: 'a', timestamp: NOW, temperature: NaN }, 'NON_FINITE'],
      [{ timestamp: NOW, temperature: 5 }, 'MISSING_FIELD'],
    ];
    for (const [input, code] of cases) {
      const outcome = checker().check(input);
      assert.equal(outcome.failure, undefined, JSON.stringify(input));
      assert.equal(onlyRejection(outcome).code, code, JSON.stringify(input));
    }
  });

  it('refuses a payload with no reading in it at all as a whole message', () => {
    for (const payload of [true, null, undefined, 'null', '"text"', {}, { device_id: 'a', note: 'hi' }]) {
      const outcome = checker().check(payload);
      assert.equal(outcome.failure?.code, 'INVALID_PAYLOAD', String(payload));
    }
  });
});
