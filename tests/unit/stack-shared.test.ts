// stack/shared: the server scaffolding todoapi and todoweb both run on (serve + router), over real
// HTTP on loopback, and todoweb's error mapping on top of it (the API's tests live in
// stack-api-http.test.ts).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { EnvError, serverEnv } from '../../stack/shared/env.ts';
import { HttpError, sendJson } from '../../stack/shared/http.ts';
import { throttledWarn, type Fields, type Logger } from '../../stack/shared/log.ts';
import { createRequestHandler, livez, methods, type BaseDeps, type Handler } from '../../stack/shared/router.ts';
import { serve } from '../../stack/shared/server.ts';
import { createHandler as webHandler, type WebDeps } from '../../stack/todoweb/src/app.ts';
import { ApiError, ApiUnavailableError } from '../../stack/todoweb/src/api-client.ts';

class Oops extends Error {}

function recorder(): Logger & { lines: { level: string; msg: string; fields?: Fields }[] } {
  const lines: { level: string; msg: string; fields?: Fields }[] = [];
  const at = (level: string) => (msg: string, fields?: Fields) => void lines.push({ level, msg, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** call right after serve(): 'listening' is emitted on a later tick (serve's own log line first) */
async function started(server: import('node:http').Server): Promise<string> {
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('serverEnv: the knobs both apps share, with their defaults; a bad value names the variable', () => {
  assert.deepEqual(serverEnv({}), { bodyLimit: 16384, drainMs: 5000, closeTimeoutMs: 5000, exitOnSigterm: 'graceful', logRequests: true });
  assert.equal(serverEnv({ TODO_EXIT_ON_SIGTERM: 'immediate', TODO_DRAIN_MS: '0' }).exitOnSigterm, 'immediate');
  assert.throws(() => serverEnv({ TODO_DRAIN_MS: 'soon' }), (e: unknown) => e instanceof EnvError && /TODO_DRAIN_MS: expected an integer in 0\.\.600000, got 'soon'/.test(e.message));
  assert.throws(() => serverEnv({ TODO_EXIT_ON_SIGTERM: 'never' }), /TODO_EXIT_ON_SIGTERM: expected one of graceful\|immediate, got 'never'/);
});

test('serve + router: request ids, routing, 405/404, app errors, bugs, malformed HTTP, then the SIGTERM drain', async () => {
  const log = recorder();
  const exits: number[] = [];
  let closed = 0;
  type D = BaseDeps;
  const routes: Record<string, Handler<D>> = {
    '/ok': methods<D>({ GET: async (_req, res, { url, notes }) => ((notes.q = url.searchParams.get('q')), sendJson(res, 200, { ok: true })) }),
    '/oops': methods<D>({ GET: async () => Promise.reject(new Oops('app error')) }),
    '/bug': methods<D>({ GET: async () => Promise.reject(new TypeError('a bug')) }),
    '/livez': livez,
  };
  const { server, state, shutdown } = serve({
    log,
    cfg: { port: 0, drainMs: 300, closeTimeoutMs: 500, exitOnSigterm: 'graceful' },
    handler: (st) =>
      createRequestHandler<D>(
        { log, state: st, logRequests: true },
        {
          route: (p) => routes[p],
          mapError: (err, notes) => (err instanceof Oops ? ((notes.mapped = true), { status: 409, message: err.message, headers: { 'X-Why': 'oops' } }) : undefined),
          sendError: (res, a) => sendJson(res, a.status, { status: a.status, message: a.message }, a.headers),
        },
      ),
    onClose: async () => void closed++,
    describe: { extra: 'x' },
    signals: [],
    exit: (c) => exits.push(c),
  });
  const base = await started(server);
  assert.deepEqual(Object.keys(log.lines.find((l) => l.msg === 'listening')!.fields!), ['port', 'extra', 'drain_ms', 'exit_on_sigterm', 'node']);

  const ok = await fetch(`${base}/ok?q=1`, { headers: { 'X-Request-Id': 'abc-1' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('x-request-id'), 'abc-1', "a caller's id is kept");
  assert.equal((await fetch(`${base}/ok`, { method: 'HEAD' })).status, 200, 'HEAD is served by GET');
  const m405 = await fetch(`${base}/ok`, { method: 'POST' });
  assert.equal(m405.status, 405);
  assert.equal(m405.headers.get('allow'), 'GET');
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  const oops = await fetch(`${base}/oops`);
  assert.equal(oops.status, 409, 'mapError decides app errors');
  assert.equal(oops.headers.get('x-why'), 'oops');
  const bug = await fetch(`${base}/bug`);
  assert.equal(bug.status, 500);
  assert.deepEqual(await bug.json(), { status: 500, message: 'internal error' }, 'a bug does not leak its message');
  assert.ok(log.lines.some((l) => l.level === 'error' && l.msg === 'unhandled error' && l.fields?.err === 'a bug'));

  const raw = await new Promise<string>((resolve, reject) => {
    const s = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => s.write('NOT HTTP\r\n\r\n'));
    let got = '';
    s.on('data', (c) => (got += c));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 400 Bad Request/, 'malformed HTTP gets a 400, not a dropped connection');

  const reqLines = log.lines.filter((l) => l.msg === 'request').map((l) => l.fields!);
  assert.ok(reqLines.some((f) => f.req_id === 'abc-1' && f.path === '/ok' && f.status === 200 && f.q === '1'), 'notes reach the request line');
  assert.ok(reqLines.some((f) => f.path === '/oops' && f.mapped === true && f.status === 409));

  const t0 = Date.now();
  const done = shutdown('SIGTERM');
  assert.equal(state.draining, true);
  const live = await fetch(`${base}/livez`);
  assert.equal(live.status, 503, 'liveness fails at once');
  const during = await fetch(`${base}/ok`);
  assert.equal(during.status, 200, 'still serving through the drain window');
  assert.equal(during.headers.get('connection'), 'close');
  await done;
  assert.ok(Date.now() - t0 >= 290, 'waited for the drain window');
  assert.deepEqual(exits, [0]);
  assert.equal(closed, 1, 'onClose ran');
  await assert.rejects(fetch(`${base}/ok`), 'not accepting after the drain');
  assert.deepEqual(
    log.lines.filter((l) => ['draining', 'closing server', 'exiting'].includes(l.msg)).map((l) => l.msg),
    ['draining', 'closing server', 'exiting'],
  );
});

test('todoweb errors: the API 4xx is passed on, its 5xx is 502, unreachable is 503 with Retry-After; healthz 503 while draining', async () => {
  let fail: Error | undefined;
  const deps: WebDeps = {
    api: {
      list: async () => {
        if (fail) throw fail;
        return [];
      },
      create: async () => {
        if (fail) throw fail;
        return { id: 7, title: 't', content: '', status: 'TODO', created: 'c', updated: 'u' };
      },
      setStatus: async () => Promise.reject(new HttpError(500, 'unused')),
      health: async () => ({}),
    },
    assets: new Map(),
    assetUrls: { css: '/assets/app.1.css', js: '/assets/app.1.js' },
    log: recorder(),
    state: { draining: false, since: 0 },
    perColumn: 10,
    bodyLimit: 1024,
    logRequests: false,
  };
  const { server, shutdown } = serve({
    log: recorder(),
    cfg: { port: 0, drainMs: 50, closeTimeoutMs: 200, exitOnSigterm: 'graceful' },
    handler: (state) => webHandler({ ...deps, state }),
    signals: [],
    exit: () => {},
  });
  const base = await started(server);
  const post = (body: string) =>
    fetch(`${base}/items`, { method: 'POST', body, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  try {
    assert.equal((await post('title=a')).status, 303);
    fail = new ApiError(400, 'title: expected 1..200 characters, got 201');
    const r400 = await post('title=a');
    assert.equal(r400.status, 400);
    assert.match(await r400.text(), /title: expected 1\.\.200 characters/);
    fail = new ApiError(500, 'internal error');
    assert.equal((await post('title=a')).status, 502);
    fail = new ApiUnavailableError('API unreachable: ECONNREFUSED');
    const r503 = await post('title=a');
    assert.equal(r503.status, 503);
    assert.equal(r503.headers.get('retry-after'), '1');
    assert.match(r503.headers.get('content-type') ?? '', /text\/html/, 'the web answers errors as a page');
    assert.equal((await fetch(base)).status, 503, 'dashboard with failed columns');
    fail = undefined;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  } finally {
    const done = shutdown('SIGTERM');
    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 503);
    assert.deepEqual(await h.json(), { status: 503, message: 'draining', draining: true });
    await done;
  }
});

test('throttledWarn: once per key and interval, then says how many were held back', () => {
  const lines: { msg: string; fields?: Fields }[] = [];
  const log: Logger = { info: () => undefined, warn: (msg, fields) => lines.push({ msg, fields }), error: () => undefined };
  let now = 0;
  const warn = throttledWarn(log, 1000, () => now);
  warn('a', 'replica down', { code: 'X' });
  warn('a', 'replica down', { code: 'X' });
  warn('b', 'other', {});
  now = 999;
  warn('a', 'replica down', { code: 'X' });
  now = 1000;
  warn('a', 'replica down', { code: 'X' });
  now = 2500;
  warn('a', 'replica down', { code: 'X' });
  assert.deepEqual(lines, [
    { msg: 'replica down', fields: { code: 'X' } },
    { msg: 'other', fields: {} },
    { msg: 'replica down', fields: { code: 'X', repeated: 2 } },
    { msg: 'replica down', fields: { code: 'X' } },
  ]);
});
