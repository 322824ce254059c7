import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate } from '../../../nodes/lib/alerting/template';
import { WorkOrderBook, workOrderFor } from '../../../nodes/lib/alerting/work-order';
import { makeAlert, makeNotification, T0 } from './fixtures';

const action = compileTemplate('Inspect {{asset}} ({{sensor}}): {{summary}}', 'none');

describe('work orders', () => {
  it('carries what a planner needs: type, severity, predicted failure, action, confidence', () => {
    const predicted = T0 + 5 * 86_400_000;
    const wo = workOrderFor(makeAlert({ severity: 'critical', predictedFailure: predicted, labels: { confidence: '0.9', unit: '°C' } }), action, T0);
    assert.deepEqual(
      [wo.type, wo.severity, wo.priority, wo.predictedFailure, wo.dueBy, wo.confidence, wo.externalId],
      ['predictive', 'critical', 1, new Date(predicted).toISOString(), new Date(predicted).toISOString(), 0.9, 'pump-1/bearing-temp@' + T0],
    );
    assert.equal(wo.recommendedAction, 'Inspect pump-1 (temperature): Bearing temperature 91.5 °C above its normal band');
  });

  it('is preventive without a score or prediction, due by a severity horizon; labels override', () => {
    const wo = workOrderFor(makeAlert({ score: undefined, severity: 'medium', labels: { recommendedAction: 'Grease bearing', confidence: '7' } }), action, T0);
    assert.deepEqual([wo.type, wo.predictedFailure, wo.dueBy, wo.confidence, wo.recommendedAction], ['preventive', null, new Date(T0 + 7 * 86_400_000).toISOString(), null, 'Grease bearing']);
    assert.equal(workOrderFor(makeAlert({ labels: { maintenanceType: 'preventive' } }), action, T0).type, 'preventive');
  });

  it('issues one order per firing alert, however often it is notified', () => {
    const book = new WorkOrderBook(action);
    const n = makeNotification([makeAlert({ id: 'a' }), makeAlert({ id: 'b', state: 'acknowledged' })]);
    assert.deepEqual(book.take(n, T0).map((w) => w.externalId), ['a']);
    assert.deepEqual(book.take(n, T0), []);
    assert.deepEqual(book.take(makeNotification([makeAlert({ id: 'c' })], { status: 'resolved' }), T0), []);
  });
});
