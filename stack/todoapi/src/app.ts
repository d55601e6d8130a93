// HTTP routing for the TODO API. Contract (stack/README.md):
//   GET  /todo[?status=TODO|PROGRESS|DONE][&limit=N]  -> 200 [item]        (replica)
//   GET  /todo/:id                                    -> 200 item | 404    (replica)
//   POST /todo {title, content?, status?}             -> 201 item          (primary)
//   PUT  /todo {id, title?, content?, status?}        -> 200 item | 404    (primary)
//   GET  /healthz -> 200 when not draining and a database answers, else 503
//   GET  /livez   -> 200 unless draining (the Docker HEALTHCHECK: see README)
// Errors: {status, message}; bad input is always 4xx, a database outage 503, never a 500.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, mediaType, parseTarget, readBody, requestId, sendJson } from '../../shared/http.ts';
import { errFields, type Logger } from '../../shared/log.ts';
import type { ShutdownState } from '../../shared/lifecycle.ts';
import { DbUnavailableError, type Db } from './db.ts';
import type { Todos } from './todos.ts';
import * as v from './validate.ts';

export interface AppDeps {
  db: Pick<Db, 'ping'>;
  todos: Pick<Todos, 'list' | 'get' | 'create' | 'update'>;
  log: Logger;
  state: ShutdownState;
  bodyLimit: number;
  defaultLimit: number;
  maxLimit: number;
  logRequests: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: Ctx) => Promise<void>;
interface Ctx {
  deps: AppDeps;
  reqId: string;
  notes: Record<string, unknown>;
}

function methods(table: Record<string, Handler>): Handler {
  const allowed = Object.keys(table).join(', ');
  return async (req, res, url, ctx) => {
    const m = req.method === 'HEAD' && table.GET ? 'GET' : (req.method ?? '');
    const h = table[m];
    if (!h) throw new HttpError(405, `method: expected one of ${allowed}, got ${req.method}`, { Allow: allowed });
    await h(req, res, url, ctx);
  };
}

async function jsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    // the body is not read: close the connection rather than leave it half-consumed
    throw new HttpError(415, `content-type: expected application/json, got '${type.slice(0, 60)}'`, { Connection: 'close' });
  }
  return v.parseJsonObject(await readBody(req, limit));
}

const todoCollection = methods({
  GET: async (_req, res, url, { deps }) => {
    const q = v.listQuery(url.searchParams, deps.defaultLimit, deps.maxLimit);
    sendJson(res, 200, await deps.todos.list(q));
  },
  POST: async (req, res, _url, { deps, notes }) => {
    const t = v.newTodo(await jsonBody(req, deps.bodyLimit));
    const item = await deps.todos.create(t);
    notes.id = item.id;
    sendJson(res, 201, item, { Location: `/todo/${item.id}` });
  },
  PUT: async (req, res, _url, { deps, notes }) => {
    const u = v.todoUpdate(await jsonBody(req, deps.bodyLimit));
    notes.id = u.id;
    const item = await deps.todos.update(u);
    if (!item) throw new HttpError(404, `id: no item with id ${u.id}`);
    sendJson(res, 200, item);
  },
});

const todoItem = (idText: string): Handler =>
  methods({
    GET: async (_req, res, _url, { deps }) => {
      const id = v.idParam(idText);
      const item = await deps.todos.get(id);
      if (!item) throw new HttpError(404, `id: no item with id ${id}`);
      sendJson(res, 200, item);
    },
  });

const healthz = methods({
  GET: async (_req, res, _url, { deps }) => {
    if (deps.state.draining) {
      sendJson(res, 503, { status: 503, message: 'draining', draining: true });
      return;
    }
    const [primary, replica] = await Promise.all([deps.db.ping('primary'), deps.db.ping('replica')]);
    const ok = primary || replica;
    sendJson(res, ok ? 200 : 503, { status: ok ? 200 : 503, message: ok ? 'ok' : 'no database answers', draining: false, primary, replica });
  },
});

const livez = methods({
  GET: async (_req, res, _url, { deps }) => {
    if (deps.state.draining) sendJson(res, 503, { status: 503, message: 'draining' });
    else sendJson(res, 200, { status: 200, message: 'ok' });
  },
});

function route(path: string): Handler | undefined {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (p === '/todo') return todoCollection;
  const m = /^\/todo\/([^/]+)$/.exec(p);
  if (m) return todoItem(m[1]!);
  if (p === '/healthz') return healthz;
  if (p === '/livez') return livez;
  return undefined;
}

export function createHandler(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const ctx: Ctx = { deps, reqId: requestId(req), notes: {} };
    res.setHeader('X-Request-Id', ctx.reqId);
    // while draining, make keep-alive clients reconnect (to another task) after this answer
    if (deps.state.draining) res.setHeader('Connection', 'close');
    let path = req.url ?? '';

    res.on('finish', () => {
      if (!deps.logRequests) return;
      deps.log.info('request', {
        req_id: ctx.reqId,
        method: req.method,
        path: path.slice(0, 200),
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        draining: deps.state.draining || undefined,
        ...ctx.notes,
      });
    });

    const run = async (): Promise<void> => {
      const url = parseTarget(req);
      path = url.pathname;
      const h = route(url.pathname);
      if (!h) throw new HttpError(404, `path: no route for ${url.pathname.slice(0, 100)}`);
      await h(req, res, url, ctx);
    };

    run().catch((err: unknown) => {
      let status = 500;
      let message = 'internal error';
      let headers: Record<string, string> = {};
      if (err instanceof HttpError) {
        ({ status, message, headers } = err);
      } else if (err instanceof DbUnavailableError) {
        status = 503;
        message = `database unavailable (${err.target})`;
        headers = { 'Retry-After': '1' };
        ctx.notes.db_error = errFields(err.cause).err;
        ctx.notes.db_code = errFields(err.cause).code;
      } else {
        deps.log.error('unhandled error', { req_id: ctx.reqId, ...errFields(err), stack: (err as Error)?.stack });
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, { status, message }, headers);
    });
  };
}
