import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEARING_6205, geometryProblem, multipliersFromGeometry } from '../../../nodes/lib/vibration/bearing';
import { isoZone } from '../../../nodes/lib/vibration/iso10816';

describe('bearing defect frequencies', () => {
  it('match the published multipliers of the SKF 6205 (CWRU drive end) from its geometry', () => {
    const m = multipliersFromGeometry(BEARING_6205);
    assert.equal(m.bpfo.toFixed(4), '3.5848');
    assert.equal(m.bpfi.toFixed(4), '5.4152');
    assert.equal(m.ftf.toFixed(4), '0.3983');
    assert.equal(m.bsf.toFixed(4), '2.3567');
    assert.equal((2 * m.bsf).toFixed(3), '4.713');
  });

  it('shift with the contact angle', () => {
    const angled = multipliersFromGeometry({ ...BEARING_6205, contactAngle: 40 });
    const flat = multipliersFromGeometry(BEARING_6205);
    assert.ok(angled.bpfo > flat.bpfo && angled.bpfi < flat.bpfi);
  });

  it('refuse a geometry that is no bearing', () => {
    assert.match(String(geometryProblem({ ...BEARING_6205, pitchDiameter: 0.2 })), /pitch/);
    assert.match(String(geometryProblem({ ...BEARING_6205, balls: 2.5 })), /balls/);
    assert.equal(geometryProblem(BEARING_6205), undefined);
  });
});

describe('ISO 10816 zones', () => {
  it('use the standard boundaries per machine class', () => {
    assert.equal(isoZone(0.7, 'I'), 'A');
    assert.equal(isoZone(0.71, 'I'), 'B');
    assert.equal(isoZone(2.8, 'II'), 'C');
    assert.equal(isoZone(7.09, 'II'), 'C');
    assert.equal(isoZone(11.2, 'III'), 'D');
    assert.equal(isoZone(17.9, 'IV'), 'C');
    assert.equal(isoZone(18, 'IV'), 'D');
  });
});
