// A tiny in-process stand-in for the ingress (web + /api) on loopback. It exists so the k6 side and
// the runner can be exercised without the swarm (unit tests, development, the benchmark's floor).
// It follows the API contract of the real stack, with an optional replica delay so read-your-writes
// lag is visible.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
// the item type is the real stack's; the checks below are deliberately looser than todoapi's
import { STATUSES, type Status, type Todo } from '../../stack/shared/todo.ts';

interface Item extends Todo {
  visibleAt: number; // when the "replica" shows it
}

export interface FakeTodoServer {
  url: string;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export interface FakeOptions {
  replicaDelayMs?: number;
  /** Answer every request with this status (to simulate a broken target). */
  failWith?: number;
  port?: number;
}

export async function startFakeTodoServer(opts: FakeOptions = {}): Promise<FakeTodoServer> {
  const items = new Map<number, Item>();
  const requests: FakeTodoServer['requests'] = [];
  let nextId = 1;
  const delay = opts.replicaDelayMs ?? 0;

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
    });

  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? 'GET', path: u.pathname + u.search });
    if (opts.failWith) return json(res, opts.failWith, { status: opts.failWith, message: 'fake failure' });
    const p = u.pathname;
    if (p === '/' && req.method === 'GET') {
      // same structure as stack/todoweb's dashboard (the selectors the browser scenario uses)
      const now = Date.now();
      const cols = STATUSES.map(
        (s) =>
          `<section class="column" data-status="${s}"><h2><span>${s}</span></h2>${[...items.values()]
            .filter((i) => i.status === s && i.visibleAt <= now)
            .reverse()
            .map((i) => `<article class="card" data-id="${i.id}"><h3>${i.title}</h3></article>`)
            .join('')}</section>`,
      ).join('');
      const html = `<!doctype html><html><head><title>TODO dashboard</title><link rel="stylesheet" href="/assets/app.css"></head><body><main><form class="new" method="post" action="/items"><input name="title" required><textarea name="content"></textarea><button type="submit">Add</button></form><div class="board">${cols}</div></main><script src="/assets/app.js" defer></script></body></html>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(html);
    }
    if (p === '/items' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const title = form.get('title');
      if (!title) return json(res, 400, { status: 400, message: 'title required' });
      const now = new Date().toISOString();
      const id = nextId++;
      items.set(id, { id, title, content: form.get('content') ?? '', status: 'TODO', created: now, updated: now, visibleAt: Date.now() + delay });
      res.writeHead(303, { location: '/', 'content-length': 0 });
      return res.end();
    }
    if (p.startsWith('/assets/')) {
      res.writeHead(200, { 'content-type': p.endsWith('.css') ? 'text/css' : 'application/javascript' });
      return res.end('/* asset */');
    }
    if (p === '/api/healthz' || p === '/healthz') return json(res, 200, { status: 'ok' });
    if (p === '/api/todo' && req.method === 'GET') {
      const status = u.searchParams.get('status');
      if (!status || !STATUSES.includes(status as Status)) return json(res, 400, { status: 400, message: 'bad status' });
      const now = Date.now();
      return json(
        res,
        200,
        [...items.values()].filter((i) => i.status === status && i.visibleAt <= now).map(({ visibleAt: _v, ...i }) => i),
      );
    }
    if (p === '/api/todo' && (req.method === 'POST' || req.method === 'PUT')) {
      let body: Partial<Item>;
      try {
        body = JSON.parse(await readBody(req)) as Partial<Item>;
      } catch {
        return json(res, 400, { status: 400, message: 'bad json' });
      }
      const now = new Date().toISOString();
      if (req.method === 'POST') {
        if (!body.title) return json(res, 400, { status: 400, message: 'title required' });
        const item: Item = {
          id: nextId++,
          title: body.title,
          content: body.content ?? '',
          status: 'TODO',
          created: now,
          updated: now,
          visibleAt: Date.now() + delay,
        };
        items.set(item.id, item);
        const { visibleAt: _v, ...out } = item;
        return json(res, 201, out);
      }
      const cur = body.id !== undefined ? items.get(Number(body.id)) : undefined;
      if (!cur) return json(res, 404, { status: 404, message: 'not found' });
      if (body.status && !STATUSES.includes(body.status)) return json(res, 400, { status: 400, message: 'bad status' });
      Object.assign(cur, { title: body.title ?? cur.title, content: body.content ?? cur.content, status: body.status ?? cur.status, updated: now });
      const { visibleAt: _v, ...out } = cur;
      return json(res, 200, out);
    }
    json(res, 404, { status: 404, message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `tsx load/testing/fake-todo-server.ts [port]` runs it standalone for development.
if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] ?? 0);
  const s = await startFakeTodoServer({ port, replicaDelayMs: 200 });
  process.stdout.write(`${s.url}\n`);
}
