// todoapi over real HTTP (loopback, ephemeral port) with a fake database: status codes for bad
// input, database outages and draining; the graceful shutdown sequence.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createHandler, type AppDeps } from '../../stack/todoapi/src/app.ts';
import { DbUnavailableError } from '../../stack/todoapi/src/db.ts';
import { createFingerprint, type Todo } from '../../stack/todoapi/src/todos.ts';
import { installShutdown } from '../../stack/shared/lifecycle.ts';
import type { Logger } from '../../stack/shared/log.ts';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const row = (id: number, title = 't'): Todo => ({ id, title, content: '', status: 'TODO', created: 'c', updated: 'u' });

let dbDown = false;
const created: unknown[] = [];
// what the unique index on idem_key does in the real table: one row per key
const byKey = new Map<string, { item: Todo; fp: string }>();
const deps: AppDeps = {
  db: { ping: async () => !dbDown },
  todos: {
    list: async () => {
      if (dbDown) throw new DbUnavailableError('replica', 'no replica answered', { cause: new Error('ECONNREFUSED') });
      return [row(2), row(1)];
    },
    get: async (id) => (id === 1 ? row(1) : undefined),
    create: async (t, key) => {
      if (dbDown) throw new DbUnavailableError('primary', 'write failed');
      const first = key === undefined ? undefined : byKey.get(key);
      if (first) return { item: first.item, replayed: true, sameBody: first.fp === createFingerprint(t) };
      created.push(t);
      const item = { ...row(10 + created.length - 1), ...t };
      if (key !== undefined) byKey.set(key, { item, fp: createFingerprint(t) });
      return { item, replayed: false, sameBody: true };
    },
    update: async (u) => (u.id === 1 ? { ...row(1), ...u } : undefined),
  },
  log: quiet,
  state: { draining: false, since: 0 },
  bodyLimit: 1024,
  defaultLimit: 100,
  maxLimit: 1000,
  logRequests: false,
};

let server: http.Server;
let base: string;
before(async () => {
  server = http.createServer(createHandler(deps));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as Record<string, unknown>, headers: res.headers };
}

test('happy paths: list, get, create (201 + Location), update', async () => {
  assert.equal((await call('GET', '/todo?status=TODO')).status, 200);
  assert.equal((await call('GET', '/todo/1')).json.id, 1);
  const c = await call('POST', '/todo', JSON.stringify({ title: 'hello', content: 'x' }));
  assert.equal(c.status, 201);
  assert.equal(c.headers.get('location'), '/todo/10');
  assert.equal((await call('PUT', '/todo', JSON.stringify({ id: 1, status: 'DONE' }))).json.status, 'DONE');
  assert.equal((await call('HEAD', '/todo')).status, 200);
});

test('bad input is 4xx with {status, message}, never 500', async () => {
  const cases: Array<[string, string, string | undefined, number, Record<string, string>?]> = [
    ['POST', '/todo', '{bad', 400],
    ['POST', '/todo', '', 400],
    ['POST', '/todo', '[]', 400],
    ['POST', '/todo', JSON.stringify({ title: '' }), 400],
    ['POST', '/todo', JSON.stringify({ title: 'a' }), 415, { 'content-type': 'text/plain' }],
    ['POST', '/todo', 'x'.repeat(2048), 413],
    ['POST', '/todo', JSON.stringify({ title: 'a' }), 400, { 'idempotency-key': 'has space' }],
    ['POST', '/todo', JSON.stringify({ title: 'a' }), 400, { 'idempotency-key': 'k'.repeat(101) }],
    ['PUT', '/todo', JSON.stringify({ id: 99, status: 'DONE' }), 404],
    ['PUT', '/todo', JSON.stringify({ id: '1', status: 'DONE' }), 400],
    ['GET', '/todo/abc', undefined, 400],
    ['GET', '/todo/2', undefined, 404],
    ['GET', '/todo?status=nope', undefined, 400],
    ['DELETE', '/todo', undefined, 405],
    ['POST', '/healthz', undefined, 405],
    ['GET', '/nope', undefined, 404],
  ];
  for (const [method, path, body, want, headers] of cases) {
    const r = await call(method, path, body, headers);
    assert.equal(r.status, want, `${method} ${path} ${String(body).slice(0, 20)}`);
    assert.equal(r.json.status, want);
    assert.equal(typeof r.json.message, 'string');
  }
  assert.equal((await call('DELETE', '/todo')).headers.get('allow'), 'GET, POST, PUT');
  assert.equal(created.length, 1, 'rejected bodies never reached the database layer');
});

test('a chunked body over the limit is 413 too', async () => {
  const r = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${base}/todo`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write('x'.repeat(800));
    req.end('x'.repeat(800));
  });
  assert.equal(r, 413);
});

test('database outage: 503 with Retry-After; healthz 503 when no database answers', async () => {
  dbDown = true;
  try {
    const r = await call('GET', '/todo');
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.match(String(r.json.message), /database unavailable \(replica\)/);
    assert.equal((await call('POST', '/todo', JSON.stringify({ title: 'a' }))).status, 503);
    assert.equal((await call('GET', '/healthz')).status, 503);
    assert.equal((await call('GET', '/livez')).status, 200, 'liveness does not depend on the database');
  } finally {
    dbDown = false;
  }
  assert.equal((await call('GET', '/healthz')).json.primary, true);
});

test('graceful shutdown: health fails at once, requests are served through the drain window, then exit 0', async () => {
  const s = http.createServer();
  const exits: number[] = [];
  const local: AppDeps = { ...deps, state: { draining: false, since: 0 } };
  const { state, shutdown } = installShutdown({ server: s, log: quiet, drainMs: 300, closeTimeoutMs: 500, mode: 'graceful', exit: (c) => exits.push(c), signals: [] });
  local.state = state;
  s.on('request', createHandler(local));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const t0 = Date.now();
  const done = shutdown('SIGTERM');
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 503);
  const during = await fetch(`${url}/todo`);
  assert.equal(during.status, 200, 'still serving while draining');
  assert.equal(during.headers.get('connection'), 'close', 'keep-alive clients are told to move on');
  await done;
  assert.ok(Date.now() - t0 >= 290, 'waited for the drain window');
  assert.deepEqual(exits, [0]);
  await assert.rejects(fetch(`${url}/todo`), 'not accepting after the drain');
});

test('Idempotency-Key: a repeated create answers with the first item; another body is 422', async () => {
  const before = created.length;
  const body = JSON.stringify({ title: 'once', content: 'c' });
  const first = await call('POST', '/todo', body, { 'idempotency-key': 'write-42' });
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  // quoted form (RFC 8941 string, as the IETF draft writes it) names the same key
  const again = await call('POST', '/todo', body, { 'idempotency-key': '"write-42"' });
  assert.equal(again.status, 201);
  assert.equal(again.json.id, first.json.id);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('location'), first.headers.get('location'));
  const other = await call('POST', '/todo', JSON.stringify({ title: 'twice' }), { 'idempotency-key': 'write-42' });
  assert.equal(other.status, 422);
  assert.match(String(other.json.message), /^Idempotency-Key: 'write-42' was first used for a create with another body/);
  assert.equal(created.length, before + 1, 'one row for one key');
  // no key: every create is a new item
  const a = await call('POST', '/todo', body);
  const b = await call('POST', '/todo', body);
  assert.notEqual(a.json.id, b.json.id);
});
