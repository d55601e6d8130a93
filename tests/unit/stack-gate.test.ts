// The todoapi's connection gate: a waiter that gives up leaves the queue (mysql2's queue kept them,
// and a full queue of callers long gone refused every new request after a node-pause).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gate } from '../../stack/todoapi/src/gate.ts';

test('slots up to the limit at once; then first come, first served as slots come back', async () => {
  const g = new Gate(2, 10);
  await g.enter(1000);
  await g.enter(1000);
  assert.equal(g.busy, 2);
  const order: string[] = [];
  const a = g.enter(5000).then(() => order.push('a'));
  const b = g.enter(5000).then(() => order.push('b'));
  assert.equal(g.waiting, 2);
  g.leave();
  await a;
  assert.deepEqual(order, ['a']);
  g.leave();
  await b;
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(g.busy, 2);
  g.leave();
  g.leave();
  assert.equal(g.busy, 0);
});

test('a waiter that timed out leaves the queue: the freed slot goes to one still waiting', async () => {
  const g = new Gate(1, 10);
  await g.enter(1000);
  const gone = g.enter(20);
  const live = g.enter(60_000);
  await assert.rejects(gone, (e: { code?: string }) => e.code === 'ACQUIRE_TIMEOUT');
  assert.equal(g.waiting, 1, 'only the live waiter is left');
  g.leave();
  await live; // would hang (test timeout) if the slot went to the one that left
  assert.equal(g.busy, 1);
});

test('the queue counts only live waiters: full refuses at once, and frees up as waiters give up', async () => {
  const g = new Gate(1, 2);
  await g.enter(1000);
  const w1 = g.enter(20);
  const w2 = g.enter(20);
  await assert.rejects(g.enter(1000), (e: { code?: string }) => e.code === 'QUEUE_FULL');
  await Promise.allSettled([w1, w2]);
  assert.equal(g.waiting, 0);
  const w3 = g.enter(60_000);
  assert.equal(g.waiting, 1, 'room again once the others gave up');
  g.leave();
  await w3;
  await assert.rejects(g.enter(0), (e: { code?: string }) => e.code === 'ACQUIRE_TIMEOUT');
});
