import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import { toStorageError } from '../../../nodes/lib/storage/pg-errors';
import { assertIdentifier, qualified } from '../../../nodes/lib/storage/sql';

function withState(code: string): Error {
  return Object.assign(new Error('server says something'), { code });
}

describe('toStorageError', () => {
  it('treats connection, shutdown, resource and timeout states as retriable', () => {
    for (const code of ['08006', '08001', '57P01', '57P03', '53300', '53100', '40001', '57014']) {
      const err = toStorageError(withState(code));
      assert.equal(err.code, 'DB_UNAVAILABLE', code);
      assert.equal(err.retriable, true, code);
    }
  });

  it('treats integrity, syntax and data states as final', () => {
    for (const code of ['23505', '23502', '42601', '42P01', '22P02', '28P01']) {
      const err = toStorageError(withState(code));
      assert.equal(err.code, 'DB_ERROR', code);
      assert.equal(err.retriable, false, code);
    }
  });

  it('decides by SQLSTATE, not by the message text', () => {
    const err = toStorageError(Object.assign(new Error('connection refused, too many clients'), { code: '42601' }));
    assert.equal(err.retriable, false);
  });

  it('treats failures without SQLSTATE (socket errors) as retriable, client argument errors as final', () => {
    assert.equal(toStorageError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).retriable, true);
    assert.equal(toStorageError(new Error('Connection terminated unexpectedly')).retriable, true);
    assert.equal(toStorageError(new TypeError('bad argument')).retriable, false);
  });

  it('keeps the original error as cause and passes PdmErrors through', () => {
    const original = withState('23505');
    assert.equal(toStorageError(original).cause, original);
    const mine = new PdmError('DB_ERROR', 'x');
    assert.equal(toStorageError(mine), mine);
  });
});

describe('identifiers', () => {
  it('accepts plain lower-case names and quotes them', () => {
    assert.equal(qualified('pdm', 'readings_1m'), '"pdm"."readings_1m"');
  });

  it('rejects anything that could leave the quotes', () => {
    for (const bad of ['a"b', 'a;b', 'A', 'a b', '9a', '', 'a'.repeat(49), 'a-b', 'ä']) {
      assert.throws(() => assertIdentifier(bad, 'schema'), (err: unknown) => err instanceof PdmError && err.code === 'INVALID_CONFIG');
    }
    assert.throws(() => qualified('pdm', 'x"; DROP SCHEMA pdm; --'), /not a valid name/);
  });
});
