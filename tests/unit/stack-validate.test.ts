// TODO API input validation: every bad input is a 400 naming the field; nothing reaches SQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../stack/shared/http.ts';
import * as v from '../../stack/todoapi/src/validate.ts';

function rejects400(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof HttpError && err.status === 400 && field.test(err.message));
}

test('newTodo: defaults, limits counted in characters, whitespace-only and unknown fields rejected', () => {
  assert.deepEqual(v.newTodo({ title: 'a' }), { title: 'a', content: '', status: 'TODO' });
  assert.equal(v.newTodo({ title: '한'.repeat(200) }).title.length, 200); // 200 chars, 600 bytes
  rejects400(() => v.newTodo({ title: 'x'.repeat(201) }), /^title: .*got 201/);
  rejects400(() => v.newTodo({ title: '😀'.repeat(201) }), /^title: .*got 201/); // code points, not UTF-16 units
  rejects400(() => v.newTodo({ title: '   ' }), /^title: .*only whitespace/);
  rejects400(() => v.newTodo({ title: '' }), /^title: .*empty string/);
  rejects400(() => v.newTodo({}), /^title: .*got nothing/);
  rejects400(() => v.newTodo({ title: 1 }), /^title: .*got number 1/);
  rejects400(() => v.newTodo({ title: 'a', content: 'c'.repeat(2001) }), /^content: .*got 2001/);
  rejects400(() => v.newTodo({ title: 'a', content: null }), /^content: .*got null/);
  rejects400(() => v.newTodo({ title: 'a', status: 'done' }), /^status: expected one of TODO\|PROGRESS\|DONE/);
  rejects400(() => v.newTodo({ title: 'a', id: 3 }), /^body: unexpected field 'id'/);
});

test('todoUpdate: id must be a positive safe integer and something must change', () => {
  assert.deepEqual(v.todoUpdate({ id: 7, status: 'DONE' }), { id: 7, status: 'DONE' });
  for (const id of [0, -1, 1.5, '7', null, Number.MAX_SAFE_INTEGER + 1]) rejects400(() => v.todoUpdate({ id, status: 'DONE' }), /^id: /);
  rejects400(() => v.todoUpdate({ status: 'DONE' }), /^id: .*got nothing/);
  rejects400(() => v.todoUpdate({ id: 7 }), /^body: expected at least one of/);
});

test('parseJsonObject: malformed, empty and non-object bodies are 400', () => {
  assert.deepEqual(v.parseJsonObject(Buffer.from('{"a":1}')), { a: 1 });
  rejects400(() => v.parseJsonObject(Buffer.from('{bad')), /^body: malformed JSON/);
  rejects400(() => v.parseJsonObject(Buffer.alloc(0)), /^body: .*empty body/);
  rejects400(() => v.parseJsonObject(Buffer.from('[1]')), /^body: .*got array/);
  rejects400(() => v.parseJsonObject(Buffer.from('null')), /^body: .*got null/);
  rejects400(() => v.parseJsonObject(Buffer.from('"s"')), /^body: .*got string/);
});

test('listQuery and idParam', () => {
  assert.deepEqual(v.listQuery(new URLSearchParams(''), 100, 1000), { limit: 100 });
  assert.deepEqual(v.listQuery(new URLSearchParams('status=DONE&limit=5'), 100, 1000), { status: 'DONE', limit: 5 });
  rejects400(() => v.listQuery(new URLSearchParams('status=X'), 100, 1000), /^status: /);
  rejects400(() => v.listQuery(new URLSearchParams('limit=0'), 100, 1000), /^limit: /);
  rejects400(() => v.listQuery(new URLSearchParams('limit=1001'), 100, 1000), /^limit: /);
  rejects400(() => v.listQuery(new URLSearchParams('limit=1e3'), 100, 1000), /^limit: /);
  rejects400(() => v.listQuery(new URLSearchParams('status=TODO&status=DONE'), 100, 1000), /^status: expected at most one value/);
  rejects400(() => v.listQuery(new URLSearchParams('order=id'), 100, 1000), /^query: unexpected parameter 'order'/);
  assert.equal(v.idParam('42'), 42);
  for (const s of ['0', 'abc', '-1', '1.0', '99999999999999999999', '']) rejects400(() => v.idParam(s), /^id: /);
});

test('idempotencyKey: absent, bare or quoted token; anything else is a 400 naming the header', () => {
  assert.equal(v.idempotencyKey(undefined), undefined);
  assert.equal(v.idempotencyKey('gdw-0a1b2c3d-17'), 'gdw-0a1b2c3d-17');
  assert.equal(v.idempotencyKey('"8e0f-4c2a"'), '8e0f-4c2a');
  assert.equal(v.idempotencyKey('k'.repeat(100)), 'k'.repeat(100));
  for (const bad of ['', '""', 'two words', 'k'.repeat(101), 'caf\u00e9', 'a,b', '"open']) {
    rejects400(() => v.idempotencyKey(bad), /^Idempotency-Key: expected 1\.\.100 characters/);
  }
  rejects400(() => v.idempotencyKey(['a', 'b']), /^Idempotency-Key: .*got 2 headers/);
});
