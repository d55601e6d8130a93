// The web frontend's API client against real loopback servers: one API address answers, the other
// accepts connections and never answers (a frozen task). Reads go to the other address within the
// per-call timeout, and once an address failed, later calls skip it.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { AddressPicker, ApiClient } from '../../stack/todoweb/src/api-client.ts';

let good: http.Server;
let silent: net.Server;
const held: net.Socket[] = [];
let port = 0;
let silentHits = 0;
const createKeys: Array<string | undefined> = [];

before(async () => {
  good = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.method === 'POST') {
      createKeys.push(req.headers['idempotency-key'] as string | undefined);
      res.statusCode = 201;
      return void res.end('{"id":7}');
    }
    res.end('[]');
  });
  await new Promise<void>((r) => good.listen(0, '127.0.0.1', r));
  port = (good.address() as net.AddressInfo).port;
  silent = net.createServer((s) => {
    silentHits++;
    held.push(s); // accept, read, never answer
  });
  await new Promise<void>((r) => silent.listen(port, '127.0.0.2', r));
});
after(() => {
  held.forEach((s) => s.destroy());
  good.close();
  silent.close();
});

test('a read that meets a silent address is retried on the other one; later reads skip it', async () => {
  let now = 0;
  const client = new ApiClient({
    baseUrl: new URL(`http://todo_app_nginx:${port}`),
    timeoutMs: 300,
    retries: 1,
    avoidMs: 10_000,
    now: () => now,
    resolve: async () => ['127.0.0.2', '127.0.0.1'],
  });
  // until the silent one was picked once, it may come first: every read still succeeds
  for (let i = 0; i < 20 && silentHits === 0; i++) assert.deepEqual(await client.list('TODO', 5, `r${i}`), []);
  assert.equal(silentHits, 1, 'the silent address was met (and the read still answered)');
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) await client.list('TODO', 5, `s${i}`);
  assert.equal(silentHits, 1, 'a failed address is skipped while it is avoided');
  assert.ok(performance.now() - t0 < 10 * 300, 'no call waited for the silent address');
  now += 10_001; // avoidance over: it may be tried again
  for (let i = 0; i < 40 && silentHits === 1; i++) await client.list('TODO', 5, `u${i}`);
  assert.equal(silentHits, 2);
});

test('a status change (PUT, no key) is never retried: a silent address fails it', async () => {
  const client = new ApiClient({ baseUrl: new URL(`http://api:${port}`), timeoutMs: 200, retries: 3, resolve: async () => ['127.0.0.2'] });
  const before = silentHits;
  await assert.rejects(client.setStatus(1, 'DONE', 'w1'), /API unreachable/);
  assert.equal(silentHits, before + 1);
});

test('a create carries an Idempotency-Key and is retried with the same key on another address', async () => {
  // the first lookup yields only the silent task, the second only the answering one
  let lookups = 0;
  const client = new ApiClient({
    baseUrl: new URL(`http://api:${port}`),
    timeoutMs: 200,
    retries: 1,
    resolve: async () => (lookups++ === 0 ? ['127.0.0.2'] : ['127.0.0.1']),
  });
  createKeys.length = 0;
  const before = silentHits;
  assert.deepEqual(await client.create('t', 'c', 'c1', 'key-1'), { id: 7 });
  assert.equal(silentHits, before + 1, 'the first attempt met the silent address');
  assert.deepEqual(createKeys, ['key-1'], 'the retry carried the same key');

  const generated = new ApiClient({ baseUrl: new URL(`http://api:${port}`), timeoutMs: 200, retries: 0, resolve: async () => ['127.0.0.1'] });
  createKeys.length = 0;
  await generated.create('t', 'c', 'g1');
  await generated.create('t', 'c', 'g2');
  assert.match(String(createKeys[0]), /^[0-9a-f-]{36}$/, 'a key is made when the caller has none');
  assert.notEqual(createKeys[0], createKeys[1], 'one key per create');
});

test('AddressPicker: avoids failed addresses and the ones this call tried, falls back when none is left', () => {
  let now = 0;
  const p = new AddressPicker(1000, () => now);
  p.failed('a');
  for (let i = 0; i < 20; i++) assert.equal(p.pick(['a', 'b']), 'b');
  assert.equal(p.pick(['a', 'b'], new Set(['b'])), 'a', 'the only untried one, even though it failed');
  assert.equal(p.pick(['a']), 'a');
  now = 1001;
  const seen = new Set(Array.from({ length: 40 }, () => p.pick(['a', 'b'])));
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});
