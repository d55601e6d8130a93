// The k6-side library, run in Node through the k6 shim (fake k6 modules, virtual clock).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { extractAssets, urlPath } from '../../load/lib/html.ts';
import { makePlan } from '../../load/lib/plan.ts';
import defaultSlo from '../../load/slo.ts';
import { json, loadK6Module, type FakeRequest, type FakeResponse } from '../../load/testing/k6-shim.ts';

const T = 'http://127.0.0.1:18080';

/** A tiny TODO API whose replica shows a new item `lagMs` of virtual time after its creation. */
function todoApi(lagMs: number, now: () => number) {
  const items: { id: number; title: string; content: string; status: string; at: number }[] = [];
  let next = 1;
  return (req: FakeRequest): FakeResponse => {
    const u = req.url.replace(T, '');
    if (req.method === 'GET' && u.startsWith('/api/todo?status=')) {
      const status = u.split('=')[1];
      return json(200, items.filter((i) => i.status === status && i.at + lagMs <= now()).reverse(), 5);
    }
    if (req.method === 'POST' && u === '/api/todo') {
      const b = JSON.parse(req.body ?? '{}');
      const item = { id: next++, title: b.title, content: b.content, status: 'TODO', at: now() };
      items.push(item);
      return json(201, item, 10);
    }
    if (req.method === 'PUT' && u === '/api/todo') {
      const b = JSON.parse(req.body ?? '{}');
      const it = items.find((i) => i.id === b.id);
      if (!it) return json(404, { status: 404, message: 'no' });
      it.status = b.status;
      return json(200, it, 10);
    }
    return json(404, { status: 404, message: 'no route' });
  };
}

type ClientMod = typeof import('../../load/lib/client.ts');
type RywMod = typeof import('../../load/lib/ryw.ts');
type FlowsMod = typeof import('../../load/lib/flows.ts');

test('client: list is tagged per endpoint with a low-cardinality name and checked', async () => {
  const { mod, k6 } = await loadK6Module<ClientMod>('lib/client.ts', { handler: () => json(200, [{ id: 1, title: 'a' }]) });
  const c = new mod.TodoClient(`${T}/`, 3);
  const { items } = c.list('DONE');
  assert.equal(items?.length, 1);
  assert.equal(k6.requests[0].url, `${T}/api/todo?status=DONE`);
  assert.deepEqual(k6.requests[0].tags, { endpoint: 'api-list', name: 'GET /api/todo?status=DONE' });
  assert.deepEqual(
    k6.checks.map((x) => [x.name, x.ok, x.tags.endpoint]),
    [
      ['api-list: status 200', true, 'api-list'],
      ['api-list: JSON array', true, 'api-list'],
    ],
  );
});

test('client: a non-JSON or error answer fails the checks instead of throwing', async () => {
  const { mod, k6 } = await loadK6Module<ClientMod>('lib/client.ts', { handler: () => ({ status: 502, body: '<html>bad gateway' }) });
  const c = new mod.TodoClient(T);
  assert.equal(c.list('TODO').items, null);
  assert.equal(c.create('x', 'y').item, null);
  assert.ok(k6.checks.every((x) => !x.ok));
  assert.deepEqual(
    k6.checks.map((x) => x.tags.endpoint),
    ['api-list', 'api-list', 'api-create', 'api-create'],
  );
});

test('client: create posts JSON, update sends the full item with the new status', async () => {
  const { mod, k6 } = await loadK6Module<ClientMod>('lib/client.ts', {});
  k6.handler = todoApi(0, () => k6.now);
  const c = new mod.TodoClient(T);
  const { item } = c.create('t', 'c', 'key-1');
  assert.ok(item);
  assert.deepEqual(JSON.parse(k6.requests[0].body ?? ''), { title: 't', content: 'c' });
  assert.equal(k6.requests[0].headers['Idempotency-Key'], 'key-1');
  assert.equal(k6.requests[0].tags.endpoint, 'api-create');
  const up = c.update(item, 'PROGRESS');
  assert.equal(up.item?.status, 'PROGRESS');
  assert.deepEqual(JSON.parse(k6.requests[1].body ?? ''), { id: item.id, title: 't', content: 'c', status: 'PROGRESS' });
  assert.equal(k6.requests[1].method, 'PUT');
  assert.ok(k6.checks.every((x) => x.ok));
});

test('read-your-writes: the time until the replica lists the item is recorded', async () => {
  const loaded = await loadK6Module<RywMod & { TodoClient: ClientMod['TodoClient'] }>(writeEntry(), {});
  const state = loaded.k6;
  state.handler = todoApi(450, () => state.now);
  const c = new loaded.mod.TodoClient(T);
  const created = c.create('x', 'y').item;
  assert.ok(created);
  const ms = loaded.mod.measureReadYourWrites(c, created.id, 'TODO', { timeoutMs: 5000, pollMs: 100 });
  // measured from the create's acknowledgement (10 ms after the server stored it) to the end of the
  // first list response that shows it: lag - 10 <= ryw <= lag - 10 + poll interval + list latency
  assert.ok(ms !== null && ms >= 440 && ms <= 440 + 100 + 5, `ryw ${ms}`);
  const polls = state.requests.filter((r) => r.tags.endpoint === 'api-ryw-poll');
  assert.ok(polls.length >= 4 && polls.length <= 6, `${polls.length} polls`);
  assert.deepEqual(
    state.samples.map((s) => [s.metric, s.value]),
    [
      ['read_your_writes_visible', 1],
      ['read_your_writes_ms', ms],
    ],
  );
});

test('read-your-writes: bounded — an item that never shows up costs at most the timeout', async () => {
  const loaded = await loadK6Module<RywMod & { TodoClient: ClientMod['TodoClient'] }>(writeEntry(), {});
  const state = loaded.k6;
  state.handler = todoApi(1e9, () => state.now);
  const c = new loaded.mod.TodoClient(T);
  const created = c.create('x', 'y').item;
  assert.ok(created);
  const t0 = state.now;
  const ms = loaded.mod.measureReadYourWrites(c, created.id, 'TODO', { timeoutMs: 1000, pollMs: 100 });
  assert.equal(ms, null);
  assert.ok(state.now - t0 <= 1000 + 10, `took ${state.now - t0} ms of virtual time`);
  assert.ok(state.requests.filter((r) => r.tags.endpoint === 'api-ryw-poll').length <= 11);
  assert.deepEqual(
    state.samples.map((s) => [s.metric, s.value]),
    [['read_your_writes_visible', 0]],
  );
});

// ryw.ts and client.ts must share one fake state: bundle them together through a small entry
function writeEntry(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-lib-'));
  const f = path.join(dir, 'entry.ts');
  const lib = path.resolve('load/lib');
  fs.writeFileSync(f, `export * from '${lib}/ryw.ts';\nexport { TodoClient } from '${lib}/client.ts';\n`);
  return f;
}

test('apiWrite flow: create, wait until listed, PROGRESS, DONE — with a unique title', async () => {
  const plan = makePlan({ target: T, scenario: 'api-write', profile: 'smoke', slo: defaultSlo, ryw: { timeoutMs: 3000, pollMs: 50 } });
  const { mod, k6 } = await loadK6Module<FlowsMod>('lib/flows.ts', {});
  k6.handler = todoApi(120, () => k6.now);
  k6.vu = { idInTest: 7, iterationInScenario: 3 };
  mod.makeFlows(plan).apiWrite();
  const seq = k6.requests.map((r) => `${r.method} ${r.tags.endpoint}`);
  assert.equal(seq[0], 'POST api-create');
  assert.deepEqual(seq.slice(-2), ['PUT api-update', 'PUT api-update']);
  assert.ok(seq.slice(1, -2).every((s) => s === 'GET api-ryw-poll'));
  assert.match(JSON.parse(k6.requests[0].body ?? '{}').title, /^gameday k6-7-3-/);
  assert.match(k6.requests[0].headers['Idempotency-Key'] ?? '', /^k6-7-3-[0-9a-z]+-[0-9a-z]+$/, 'the create may be re-sent safely');
  assert.deepEqual(
    k6.requests.slice(-2).map((r) => JSON.parse(r.body ?? '{}').status),
    ['PROGRESS', 'DONE'],
  );
  assert.ok(k6.checks.every((c) => c.ok), JSON.stringify(k6.checks.filter((c) => !c.ok)));
  const ryw = k6.samples.find((s) => s.metric === 'read_your_writes_ms');
  assert.ok(ryw && ryw.value >= 110 && ryw.value <= 110 + 50 + 5, `ryw ${ryw?.value}`);
});

test('apiRead flow: one list request per iteration, status spread over the three columns', async () => {
  const plan = makePlan({ target: T, scenario: 'api-read', profile: 'smoke', slo: defaultSlo });
  const { mod, k6 } = await loadK6Module<FlowsMod>('lib/flows.ts', { handler: () => json(200, []) });
  const f = mod.makeFlows(plan);
  for (let i = 0; i < 60; i++) f.apiRead();
  assert.equal(k6.requests.length, 60);
  const statuses = new Set(k6.requests.map((r) => r.url.split('=')[1]));
  assert.deepEqual([...statuses].sort(), ['DONE', 'PROGRESS', 'TODO']);
  const fixed = await loadK6Module<FlowsMod>('lib/flows.ts', { handler: () => json(200, []) });
  const g = fixed.mod.makeFlows({ ...plan, readStatus: 'PROGRESS' });
  for (let i = 0; i < 10; i++) g.apiRead();
  assert.ok(fixed.k6.requests.every((r) => r.url.endsWith('?status=PROGRESS')));
});

test('web flow: page then its same-origin assets in one batch, all tagged', async () => {
  const page = `<html><head><link rel="stylesheet" href="/assets/app.css?v=3"><script src="/assets/app.js"></script>
    <script src="https://cdn.example.com/x.js"></script><link rel="icon" href="favicon.ico"></head>
    <body><h2>TODO</h2><h2>PROGRESS</h2><h2>DONE</h2></body></html>`;
  const plan = makePlan({ target: T, scenario: 'web', profile: 'smoke', slo: defaultSlo });
  const { mod, k6 } = await loadK6Module<FlowsMod>('lib/flows.ts', {
    handler: (r) => (r.url === `${T}/` ? { status: 200, body: page } : { status: 200, body: '/* asset */' }),
  });
  mod.makeFlows(plan).web();
  assert.deepEqual(
    k6.requests.map((r) => [r.url, r.tags.endpoint, r.tags.name]),
    [
      [`${T}/`, 'web-index', 'GET /'],
      [`${T}/assets/app.css?v=3`, 'web-asset', 'GET /assets/app.css'],
      [`${T}/assets/app.js`, 'web-asset', 'GET /assets/app.js'],
      [`${T}/favicon.ico`, 'web-asset', 'GET /favicon.ico'],
    ],
  );
  assert.ok(k6.checks.every((c) => c.ok));
});

test('web flow: a page without the board columns fails its check; assets of a failed page are not fetched', async () => {
  const plan = makePlan({ target: T, scenario: 'web', profile: 'smoke', slo: defaultSlo });
  const { mod, k6 } = await loadK6Module<FlowsMod>('lib/flows.ts', { handler: () => ({ status: 200, body: '<p>maintenance</p>' }) });
  mod.makeFlows(plan).web();
  assert.deepEqual(
    k6.checks.map((c) => [c.name, c.ok]),
    [
      ['web-index: status 200', true],
      ['web-index: renders the TODO columns', false],
    ],
  );
  const { mod: m2, k6: s2 } = await loadK6Module<FlowsMod>('lib/flows.ts', { handler: () => ({ status: 503, body: '<link href="/assets/a.css">' }) });
  m2.makeFlows(plan).web();
  assert.equal(s2.requests.length, 1);
});

test('extractAssets: same origin only, relative and absolute, deduplicated, bounded', () => {
  const html = `<link href="/assets/a.css"><link href="/assets/a.css"><script src='b.js'></script>
    <img src="//127.0.0.1:18080/assets/i.png"><a href="/other">x</a><img src="data:image/png;base64,xx">
    <script src="http://evil.example/assets/z.js"></script>`;
  assert.deepEqual(extractAssets(html, `${T}/`), [`${T}/assets/a.css`, `${T}/b.js`, `${T}/assets/i.png`]);
  const many = Array.from({ length: 50 }, (_, i) => `<script src="/assets/${i}.js"></script>`).join('');
  assert.equal(extractAssets(many, T, 20).length, 20);
  assert.deepEqual(extractAssets(html, 'not a url'), []);
  assert.equal(urlPath(`${T}/assets/a.css?v=1#x`), '/assets/a.css');
  assert.equal(urlPath(T), '/');
});

test('entry files: options come from GAMEDAY_PLAN; handleSummary writes the JSON summary there', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-entry-'));
  const summaryPath = path.join(dir, 'k6-summary.json');
  const plan = makePlan({ target: T, scenario: 'mixed', profile: 'load', rate: 10, slo: defaultSlo, summaryPath });
  const { mod } = await loadK6Module<{
    options: Record<string, any>;
    handleSummary: (d: unknown) => Record<string, string>;
    apiRead: () => void;
    apiWrite: () => void;
    web: () => void;
    default: () => void;
  }>('scenarios/mixed.ts', { env: { GAMEDAY_PLAN: JSON.stringify(plan) } });
  assert.deepEqual(Object.keys(mod.options.scenarios).sort(), ['api_read', 'api_write', 'web']);
  for (const sc of Object.values(mod.options.scenarios) as { exec: string }[]) {
    assert.equal(typeof (mod as Record<string, unknown>)[sc.exec], 'function', `exec ${sc.exec} is exported`);
  }
  assert.deepEqual(mod.options.thresholds, plan.thresholds);
  const data = { metrics: { 'http_req_duration{endpoint:api-list}': { thresholds: { 'p(95)<500': { ok: false }, 'max>=0': { ok: true } } } } };
  const out = mod.handleSummary(data);
  assert.deepEqual(JSON.parse(out[summaryPath]), data);
  assert.match(out.stdout, /FAIL http_req_duration\{endpoint:api-list\}: p\(95\)<500/);
  assert.doesNotMatch(out.stdout, /max>=0/);
});

test('entry files: every scenario exports the exec functions its k6 scenarios name', async () => {
  for (const scenario of ['api-read', 'api-write', 'web', 'mixed', 'browser'] as const) {
    const { mod } = await loadK6Module<{ options: { scenarios: Record<string, { exec: string }> } }>(`scenarios/${scenario}.ts`, {
      env: { GAMEDAY_PROFILE: 'stress' },
    });
    for (const sc of Object.values(mod.options.scenarios)) {
      assert.equal(typeof (mod as Record<string, unknown>)[sc.exec], 'function', `${scenario}: ${sc.exec}`);
    }
  }
});
