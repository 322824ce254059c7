import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { epochToMs, parseTimestamp } from '../../../nodes/lib/quality/timestamp';
import { qualityFieldQuality, statusCodeQuality, worstQuality } from '../../../nodes/lib/quality/opc-quality';

const MS = 1_700_000_000_123;

describe('timestamps', () => {
  it('reads epoch numbers by magnitude: seconds, milliseconds, microseconds, nanoseconds', () => {
    assert.equal(epochToMs(1_700_000_000), 1_700_000_000_000);
    assert.equal(epochToMs(1_700_000_000.5), 1_700_000_000_500);
    assert.equal(epochToMs(MS), MS);
    assert.equal(epochToMs(MS * 1000), MS);
    assert.equal(epochToMs(MS * 1_000_000), MS);
    // The seconds/milliseconds border: 1e11 s would be the year 5138, 1e11 ms is 1973.
    assert.equal(epochToMs(99_999_999_999), 99_999_999_999_000);
    assert.equal(epochToMs(100_000_000_000), 100_000_000_000);
  });

  it('parses ISO 8601 with Z, offsets, fractions, and reads a missing offset as UTC', () => {
    assert.equal(parseTimestamp('2024-01-01T00:00:00.123Z'), Date.UTC(2024, 0, 1, 0, 0, 0, 123));
    assert.equal(parseTimestamp('2024-01-01T01:00:00+01:00'), Date.UTC(2024, 0, 1));
    assert.equal(parseTimestamp('2024-01-01T01:00:00+0100'), Date.UTC(2024, 0, 1));
    assert.equal(parseTimestamp('2024-01-01T01:00:00+01'), Date.UTC(2024, 0, 1));
    assert.equal(parseTimestamp('2024-01-01 10:30:00'), Date.UTC(2024, 0, 1, 10, 30));
    assert.equal(parseTimestamp('2024-01-01T10:30:00,5Z'), Date.UTC(2024, 0, 1, 10, 30, 0, 500));
    assert.equal(parseTimestamp('2024-01-01'), Date.UTC(2024, 0, 1));
  });

  it('parses digit strings and Date objects', () => {
    assert.equal(parseTimestamp('1700000000'), 1_700_000_000_000);
    assert.equal(parseTimestamp(String(MS)), MS);
    assert.equal(parseTimestamp(new Date(MS)), MS);
  });

  it('gives NaN for anything that is not a time', () => {
    for (const bad of ['yesterday', '1 Jan 2024', '2024-13-45T99:00:00Z', '', -5, 0, NaN, Infinity, true, null, {}]) {
      assert.ok(Number.isNaN(parseTimestamp(bad)), `${String(bad)} should not parse`);
    }
  });
});

describe('source quality markers', () => {
  it('reads OPC UA status codes as numbers, names, hex and StatusCode objects', () => {
    assert.equal(statusCodeQuality(0), 'good');
    assert.equal(statusCodeQuality(0x40920000), 'uncertain');
    assert.equal(statusCodeQuality(0x80000000), 'bad');
    assert.equal(statusCodeQuality(0x808a0000), 'bad');
    assert.equal(statusCodeQuality('Good'), 'good');
    assert.equal(statusCodeQuality('BadSensorFailure'), 'bad');
    assert.equal(statusCodeQuality('UncertainLastUsableValue'), 'uncertain');
    assert.equal(statusCodeQuality('0x80000000'), 'bad');
    assert.equal(statusCodeQuality({ value: 0, name: 'Good' }), 'good');
    assert.equal(statusCodeQuality({ value: 0x80320000 }), 'bad');
    assert.equal(statusCodeQuality('whatever'), undefined);
    assert.equal(statusCodeQuality(-1), undefined);
  });

  it('reads quality names in any case and OPC DA quality bytes', () => {
    assert.equal(qualityFieldQuality('GOOD'), 'good');
    assert.equal(qualityFieldQuality('Uncertain'), 'uncertain');
    assert.equal(qualityFieldQuality(192), 'good');
    assert.equal(qualityFieldQuality(0x44), 'uncertain');
    assert.equal(qualityFieldQuality(0), 'bad');
    assert.equal(qualityFieldQuality(300), undefined);
    assert.equal(qualityFieldQuality('fine'), undefined);
  });

  it('keeps the worse of two qualities', () => {
    assert.equal(worstQuality('good', 'uncertain'), 'uncertain');
    assert.equal(worstQuality('bad', 'uncertain'), 'bad');
    assert.equal(worstQuality('good', 'good'), 'good');
  });
});
