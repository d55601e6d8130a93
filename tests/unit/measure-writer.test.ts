import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { placementChanges } from '../../chaos/measure/placement.ts';
import { RwLagTracker, idsInList } from '../../chaos/measure/rw-lag.ts';
import { ackedId, startWriter } from '../../chaos/measure/writer.ts';
import { tokenOf } from '../../chaos/measure/write-token.ts';
import { readJsonl, type PlacementSample, type RwLagSample, type WriteRecord } from '../../scripts/lib/run-folder.ts';
import { FakeClock } from './measure-fake-clock.ts';

test('ackedId: only a 2xx JSON answer with an integer id acknowledges', () => {
  assert.equal(ackedId({ ok: true, status: 201, ms: 1, body: '{"id":42,"title":"x"}' }), 42);
  assert.equal(ackedId({ ok: true, status: 201, ms: 1, body: '{"title":"x"}' }), undefined);
  assert.equal(ackedId({ ok: true, status: 200, ms: 1, body: 'not json' }), undefined);
  assert.equal(ackedId({ ok: false, status: 500, ms: 1, body: '{"id":42}', error: 'status' }), undefined);
});

test('idsInList: ids of a GET /todo array; anything else is unknown', () => {
  assert.deepEqual([...idsInList('[{"id":1},{"id":2,"title":"x"}]')!], [1, 2]);
  assert.equal(idsInList('{"status":500}'), undefined);
  assert.equal(idsInList(undefined), undefined);
});

test('writer: ledger of every attempt at the fixed rate, tokens unique, read-your-writes lag recorded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-writer-'));
  const clock = new FakeClock();
  const ac = new AbortController();
  const stored: { id: number; title: string; visibleAt: number }[] = [];
  let nextId = 100;
  let fault: string | undefined;
  const w = startWriter(dir, {
    ingressUrl: new URL('http://127.0.0.1:1'),
    ratePerSec: 5,
    timeoutMs: 1000,
    maxDurationMs: 60_000,
    signal: ac.signal,
    fault: () => fault,
    clock,
    rwLag: { pollEveryMs: 100, maxWaitMs: 2000 },
    post: async (body, idemKey) => {
      const { title } = JSON.parse(body) as { title: string };
      assert.equal(idemKey, tokenOf(title), 'the ledger token is the Idempotency-Key');
      await clock.sleep(20);
      // one create fails with 503 while the "fault" is on
      if (fault && tokenOf(title)!.endsWith('-8')) return { ok: false, status: 503, ms: 20, error: 'status' };
      const id = nextId++;
      stored.push({ id, title, visibleAt: clock.now() + 250 }); // replica shows it 250 ms later
      return { ok: true, status: 201, ms: 20, body: JSON.stringify({ id, title }) };
    },
    fetchList: async () => {
      await clock.sleep(10);
      const now = clock.now();
      return { ok: true, status: 200, ms: 10, body: JSON.stringify(stored.filter((s) => s.visibleAt <= now).map((s) => ({ id: s.id }))) };
    },
  });
  await clock.advance(1000);
  fault = 'restart-primary';
  await clock.advance(1000 - 1);
  ac.abort();
  for (let i = 0; i < 40; i++) await clock.advance(100);
  const stats = await w.done;
  const writes = readJsonl<WriteRecord>(dir, 'writes.jsonl');
  assert.equal(writes.length, 10, '5/s for 2 s');
  assert.equal(new Set(writes.map((x) => x.token)).size, 10);
  assert.ok(writes.every((x) => x.token.startsWith(`gdw-${w.tag}-`)));
  const failed = writes.filter((x) => !x.acknowledged);
  assert.deepEqual(failed.map((x) => [x.status, x.error, x.fault]), [[503, 'status', 'restart-primary']]);
  assert.equal(stats.acknowledged, 9);
  const rw = readJsonl<RwLagSample>(dir, 'rw-lag.jsonl');
  assert.equal(rw.length, 9);
  for (const s of rw) {
    assert.ok(s.visibleMs !== null && s.visibleMs >= 250 && s.visibleMs <= 250 + 100 + 10 + 10, `visible after ${s.visibleMs} ms`);
    assert.ok(s.polls >= 1);
  }
});

test('rw lag: an id that never shows is recorded as not visible after the wait', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const got: RwLagSample[] = [];
  const tracker = new RwLagTracker({
    listUrl: new URL('http://127.0.0.1:1/'),
    pollEveryMs: 100,
    maxWaitMs: 1000,
    timeoutMs: 500,
    signal: ac.signal,
    clock,
    onSample: (s) => got.push(s),
    fetchList: async () => ({ ok: true, status: 200, ms: 1, body: '[]' }),
  });
  tracker.track('gdw-00000000-1', 7, clock.now());
  await clock.advance(1500);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.visibleMs, null);
  assert.ok(got[0]!.polls >= 9);
  ac.abort();
  await clock.advance(200);
  await tracker.done;
});

test('placement: only changes are kept', () => {
  const last = new Map<string, string>();
  const s = (t: number, task: string, node: string, state: string, desired = 'running'): PlacementSample => ({ t, service: 'todo_app_api', task, node, state, desired });
  assert.equal(placementChanges(last, [s(0, 'a', 'w1', 'running'), s(0, 'b', 'w2', 'running')]).length, 2);
  assert.equal(placementChanges(last, [s(1, 'a', 'w1', 'running'), s(1, 'b', 'w2', 'running')]).length, 0);
  const moved = placementChanges(last, [s(2, 'a', 'w1', 'shutdown', 'shutdown'), s(2, 'b', 'w2', 'running'), s(2, 'c', 'w3', 'starting')]);
  assert.deepEqual(moved.map((m) => [m.task, m.state]), [['a', 'shutdown'], ['c', 'starting']]);
});

test("writer: a target file's write API (method, paths, token and id fields) over real HTTP", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-writer-api-'));
  const items: { itemId: number; name: string }[] = [];
  const seen: string[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      if (req.method === 'PUT' && req.url === '/v1/items') {
        const b = JSON.parse(body) as Record<string, unknown>;
        assert.deepEqual(Object.keys(b), ['name'], 'the token goes in tokenField, alone');
        const it = { itemId: items.length + 1, name: String(b.name) };
        items.push(it);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(it));
      } else if (req.method === 'GET' && req.url === '/v1/items?all=1') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const ac = new AbortController();
  try {
    const w = startWriter(dir, {
      ingressUrl: new URL(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`),
      api: { method: 'PUT', createPath: '/v1/items', tokenField: 'name', idField: 'itemId', listPath: '/v1/items?all=1' },
      ratePerSec: 20,
      timeoutMs: 1000,
      maxDurationMs: 10_000,
      signal: ac.signal,
      fault: () => undefined,
      rwLag: { pollEveryMs: 20, maxWaitMs: 2000 },
    });
    // bounded: stop once 5 writes were acknowledged (or after 5 s)
    const until = Date.now() + 5000;
    while (w.live().acknowledged < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    const stats = await w.done;
    assert.ok(stats.acknowledged >= 5, JSON.stringify(stats));
    const writes = readJsonl<WriteRecord>(dir, 'writes.jsonl');
    assert.ok(writes.filter((x) => x.acknowledged).every((x) => typeof x.id === 'number' && items.some((i) => i.itemId === x.id && tokenOf(i.name) === x.token)));
    assert.ok(!seen.some((s) => s.includes('/api/todo')), 'nothing sent to the TODO app paths');
    const rw = readJsonl<RwLagSample>(dir, 'rw-lag.jsonl');
    assert.ok(rw.length >= 1 && rw.every((s) => s.visibleMs !== null), JSON.stringify(rw));
  } finally {
    ac.abort();
    await new Promise((r) => srv.close(r));
  }
});

test('idsInList and ackedId read the id field a target names', () => {
  assert.deepEqual([...idsInList('[{"itemId":7},{"id":8}]', 'itemId')!], [7]);
  assert.equal(ackedId({ ok: true, status: 201, ms: 1, body: '{"itemId":9}' }, 'itemId'), 9);
  assert.equal(ackedId({ ok: true, status: 201, ms: 1, body: '{"id":9}' }, 'itemId'), undefined);
});
