// HTTP routing for the TODO API. Contract (stack/README.md):
//   GET  /todo[?status=TODO|PROGRESS|DONE][&limit=N]  -> 200 [item]        (replica)
//   GET  /todo/:id                                    -> 200 item | 404    (replica)
//   POST /todo {title, content?, status?}             -> 201 item          (primary)
//        [Idempotency-Key: k]  a repeat with the same k -> 201 the first item, Idempotent-Replayed: true;
//                              with another body -> 422
//   PUT  /todo {id, title?, content?, status?}        -> 200 item | 404    (primary)
//   GET  /healthz -> 200 when not draining and a database answers, else 503
//   GET  /livez   -> 200 unless draining (the Docker HEALTHCHECK: see README)
// Errors: {status, message}; bad input is always 4xx, a database outage 503, never a 500.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, mediaType, readBody, sendJson } from '../../shared/http.ts';
import { errFields } from '../../shared/log.ts';
import { createRequestHandler, livez, methods, sendDraining, type BaseDeps, type Handler as BaseHandler } from '../../shared/router.ts';
import { DbUnavailableError, type Db } from './db.ts';
import type { Todos } from './todos.ts';
import * as v from './validate.ts';

export interface AppDeps extends BaseDeps {
  db: Pick<Db, 'ping'>;
  todos: Pick<Todos, 'list' | 'get' | 'create' | 'update'>;
  bodyLimit: number;
  defaultLimit: number;
  maxLimit: number;
}

type Handler = BaseHandler<AppDeps>;

async function jsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    // the body is not read: close the connection rather than leave it half-consumed
    throw new HttpError(415, `content-type: expected application/json, got '${type.slice(0, 60)}'`, { Connection: 'close' });
  }
  return v.parseJsonObject(await readBody(req, limit));
}

const todoCollection = methods<AppDeps>({
  GET: async (_req, res, { deps, url }) => {
    const q = v.listQuery(url.searchParams, deps.defaultLimit, deps.maxLimit);
    sendJson(res, 200, await deps.todos.list(q));
  },
  POST: async (req, res, { deps, notes }) => {
    const t = v.newTodo(await jsonBody(req, deps.bodyLimit));
    const key = v.idempotencyKey(req.headers['idempotency-key']);
    const { item, replayed, sameBody } = await deps.todos.create(t, key);
    notes.id = item.id;
    if (replayed) {
      notes.replayed = true;
      if (!sameBody) {
        throw new HttpError(422, `Idempotency-Key: '${key}' was first used for a create with another body (item ${item.id}); use a new key for a new item`);
      }
    }
    sendJson(res, 201, item, { Location: `/todo/${item.id}`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
  },
  PUT: async (req, res, { deps, notes }) => {
    const u = v.todoUpdate(await jsonBody(req, deps.bodyLimit));
    notes.id = u.id;
    const item = await deps.todos.update(u);
    if (!item) throw new HttpError(404, `id: no item with id ${u.id}`);
    sendJson(res, 200, item);
  },
});

const todoItem = (idText: string): Handler =>
  methods<AppDeps>({
    GET: async (_req, res, { deps }) => {
      const id = v.idParam(idText);
      const item = await deps.todos.get(id);
      if (!item) throw new HttpError(404, `id: no item with id ${id}`);
      sendJson(res, 200, item);
    },
  });

const healthz = methods<AppDeps>({
  GET: async (_req, res, { deps }) => {
    if (deps.state.draining) return sendDraining(res);
    const [primary, replica] = await Promise.all([deps.db.ping('primary'), deps.db.ping('replica')]);
    const ok = primary || replica;
    sendJson(res, ok ? 200 : 503, { status: ok ? 200 : 503, message: ok ? 'ok' : 'no database answers', draining: false, primary, replica });
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
  return createRequestHandler(deps, {
    route,
    mapError: (err, notes) => {
      if (!(err instanceof DbUnavailableError)) return undefined;
      notes.db_error = errFields(err.cause).err;
      notes.db_code = errFields(err.cause).code;
      return { status: 503, message: `database unavailable (${err.target})`, headers: { 'Retry-After': '1' } };
    },
    sendError: (res, { status, message, headers }) => sendJson(res, status, { status, message }, headers),
  });
}
