import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import type { TaskContainer } from '../../chaos/measure/db-tasks.ts';
import { checkLostWrites, ledgerSql } from '../../chaos/measure/lost-writes.ts';
import { diffWrites } from '../../chaos/measure/write-diff.ts';
import { writeTitle, writeToken } from '../../chaos/measure/write-token.ts';
import { appendJsonl, readJson, type LostWriteResult, type WriteRecord } from '../../scripts/lib/run-folder.ts';

const TAG = 'a1b2c3d4';
const tok = (n: number) => writeToken(TAG, n);
const row = (id: number, n: number) => ({ id, title: writeTitle(tok(n)) });

// writes 0..4: 0,1,2 acknowledged as ids 10,11,12; 3 timed out (may or may not exist); 4 refused
const ledger: WriteRecord[] = [
  { t: 1, token: tok(0), acknowledged: true, id: 10, status: 201 },
  { t: 2, token: tok(1), acknowledged: true, id: 11, status: 201 },
  { t: 3, token: tok(2), acknowledged: true, id: 12, status: 201 },
  { t: 4, token: tok(3), acknowledged: false, status: 0, error: 'timeout' },
  { t: 5, token: tok(4), acknowledged: false, status: 503, error: 'status' },
];

test('lost writes: all acknowledged present everywhere is ok; an unacknowledged write that landed is fine', () => {
  const rows = [row(10, 0), row(11, 1), row(12, 2), row(13, 3), { id: 14, title: 'someone else' }];
  const r = diffWrites(ledger, [
    { server: 'primary', rows },
    { server: 'replica.1', rows },
  ]);
  assert.equal(r.ok, true);
  assert.equal(r.attempted, 5);
  assert.equal(r.acknowledged, 3);
  assert.deepEqual(r.lost, []);
  assert.deepEqual(r.unexpected, []);
  assert.equal(r.perServer[0]!.present, 4);
});

test('lost writes: an acknowledged id missing on one replica is lost', () => {
  const r = diffWrites(ledger, [
    { server: 'primary', rows: [row(10, 0), row(11, 1), row(12, 2)] },
    { server: 'replica.2', rows: [row(10, 0), row(12, 2)] },
  ]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.lost, [11]);
  assert.deepEqual(r.perServer[1]!.lost, [11]);
  assert.deepEqual(r.perServer[0]!.lost, []);
});

test('lost writes: an id holding another row is lost; a token never attempted is unexpected', () => {
  const r = diffWrites(ledger, [{ server: 'primary', rows: [row(10, 0), { id: 11, title: 'overwritten' }, row(12, 2), row(99, 77)] }]);
  assert.deepEqual(r.lost, [11]);
  assert.deepEqual(r.unexpected, [tok(77)]);
  assert.equal(r.ok, false);
});

test('lost writes: tokens of other runs are ignored; duplicates are reported but do not fail', () => {
  const other = { id: 50, title: writeTitle(writeToken('ffffffff', 1)) };
  const r = diffWrites(ledger, [{ server: 'primary', rows: [row(10, 0), row(11, 1), row(12, 2), row(20, 2), other] }]);
  assert.deepEqual(r.unexpected, []);
  assert.deepEqual(r.duplicated, [tok(2)]);
  assert.equal(r.ok, true);
});

test('lost writes: no server read is not ok', () => {
  assert.equal(diffWrites(ledger, []).ok, false);
});

test('ledger SQL selects only this run\'s rows', () => {
  assert.equal(ledgerSql([TAG]), `SELECT id, title FROM todo WHERE title LIKE '%gdw-${TAG}-%' ORDER BY id`);
  assert.equal(ledgerSql([TAG], { name: 'items', idColumn: 'item_id', tokenColumn: 'label' }), `SELECT item_id, label FROM items WHERE label LIKE '%gdw-${TAG}-%' ORDER BY item_id`);
  assert.throws(() => ledgerSql([TAG], { name: 'items; DROP TABLE x', idColumn: 'id', tokenColumn: 'label' }), /table\.name: expected an SQL name/);
});

function task(name: string): TaskContainer {
  return { service: name.split('.')[0]!, taskId: name, name, node: 'gameday-worker01', containerId: `c-${name}` };
}

test('checkLostWrites: waits for a lagging replica, then judges and writes writes-check.json', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-lw-'));
  appendJsonl(dir, 'writes.jsonl', ledger);
  const all = [row(10, 0), row(11, 1), row(12, 2)];
  let replicaReads = 0;
  const result = await checkLostWrites({
    runDir: dir,
    swarm: {} as Dockerode,
    log: () => {},
    catchUpTimeoutMs: 10_000,
    listTasks: async (s) => (s === 'todo_mysql_master' ? [task('todo_mysql_master.1')] : [task('todo_mysql_slave.1'), task('todo_mysql_slave.2')]),
    query: async (t, sql) => {
      assert.match(sql, /gdw-a1b2c3d4-/);
      const rows = t.name === 'todo_mysql_slave.2' && replicaReads++ < 2 ? all.slice(0, 1) : all; // catches up on the 2nd retry
      return rows.map((r) => [String(r.id), r.title]);
    },
  });
  assert.equal(result.ok, true);
  assert.equal(result.caughtUp, true);
  assert.equal(replicaReads, 3);
  assert.deepEqual(result.perServer.map((s) => s.server), ['todo_mysql_master.1', 'todo_mysql_slave.1', 'todo_mysql_slave.2']);
  assert.deepEqual(readJson<LostWriteResult>(dir, 'writes-check.json').ok, true);
});

test('checkLostWrites: a replica that never catches up is judged after the wait', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-lw-'));
  appendJsonl(dir, 'writes.jsonl', ledger);
  const started = Date.now();
  const result = await checkLostWrites({
    runDir: dir,
    swarm: {} as Dockerode,
    log: () => {},
    catchUpTimeoutMs: 1500,
    listTasks: async (s) => (s === 'todo_mysql_master' ? [task('todo_mysql_master.1')] : [task('todo_mysql_slave.1')]),
    query: async (t) => (t.name.includes('master') ? [row(10, 0), row(11, 1), row(12, 2)] : [row(10, 0)]).map((r) => [String(r.id), r.title]),
  });
  assert.ok(Date.now() - started >= 1400);
  assert.equal(result.caughtUp, false);
  assert.deepEqual(result.lost, [11, 12]);
  assert.equal(result.ok, false);
});
