// HTTP routing for the web frontend:
//   GET  /                  dashboard (server-rendered from the API; 503 when a column failed)
//   POST /items             form {title, content} -> POST /todo on the API -> 303 /
//   POST /items/:id/move    form {from}           -> PUT /todo {id, status: next} -> 303 /
//   GET  /assets/<hashed>   the static files (also published to the shared volume at start)
//   GET  /healthz           200 when not draining and the API answers; /livez: not draining
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, mediaType, parseTarget, readBody, requestId, sendJson, sendText } from '../../shared/http.ts';
import { errFields, type Logger } from '../../shared/log.ts';
import type { ShutdownState } from '../../shared/lifecycle.ts';
import { ApiError, ApiUnavailableError, type ApiClient, type Status, type Todo } from './api-client.ts';
import { COLUMNS, NEXT, renderDashboard, renderError, type AssetUrls } from './render.ts';
import type { Asset } from './assets.ts';

export interface WebDeps {
  api: Pick<ApiClient, 'list' | 'create' | 'setStatus' | 'health'>;
  assets: Map<string, Asset>;
  assetUrls: AssetUrls;
  log: Logger;
  state: ShutdownState;
  perColumn: number;
  bodyLimit: number;
  logRequests: boolean;
}

interface Ctx {
  deps: WebDeps;
  reqId: string;
  notes: Record<string, unknown>;
}
type Handler = (req: IncomingMessage, res: ServerResponse, ctx: Ctx) => Promise<void>;

function methods(table: Record<string, Handler>): Handler {
  const allowed = Object.keys(table).join(', ');
  return async (req, res, ctx) => {
    const m = req.method === 'HEAD' && table.GET ? 'GET' : (req.method ?? '');
    const h = table[m];
    if (!h) throw new HttpError(405, `method: expected one of ${allowed}, got ${req.method}`, { Allow: allowed });
    await h(req, res, ctx);
  };
}

function html(res: ServerResponse, status: number, body: string): void {
  sendText(res, status, body, 'text/html; charset=utf-8', { 'Cache-Control': 'no-store' });
}

function redirectHome(res: ServerResponse): void {
  res.writeHead(303, { Location: '/', 'Content-Length': 0, 'Cache-Control': 'no-store' });
  res.end();
}

async function form(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const type = mediaType(req);
  if (type !== 'application/x-www-form-urlencoded' && type !== '') {
    throw new HttpError(415, `content-type: expected application/x-www-form-urlencoded, got '${type.slice(0, 60)}'`, { Connection: 'close' });
  }
  return new URLSearchParams((await readBody(req, limit)).toString('utf8'));
}

const dashboard = methods({
  GET: async (_req, res, { deps, reqId, notes }) => {
    const results = await Promise.allSettled(COLUMNS.map((s) => deps.api.list(s, deps.perColumn, reqId)));
    const columns = {} as Record<Status, Todo[]>;
    const errors: string[] = [];
    results.forEach((r, i) => {
      const s = COLUMNS[i]!;
      if (r.status === 'fulfilled') columns[s] = r.value;
      else errors.push(`${s}: ${(r.reason as Error).message}`);
    });
    if (errors.length) notes.api_errors = errors.length;
    html(
      res,
      errors.length ? 503 : 200,
      renderDashboard({ columns, errors, renderedAt: new Date().toISOString(), assets: deps.assetUrls, perColumn: deps.perColumn }),
    );
  },
});

const createItem = methods({
  POST: async (req, res, { deps, reqId, notes }) => {
    const f = await form(req, deps.bodyLimit);
    const title = f.get('title');
    if (title === null) throw new HttpError(400, 'title: expected a form field, got none');
    const item = await deps.api.create(title, f.get('content') ?? '', reqId);
    notes.id = item.id;
    redirectHome(res);
  },
});

const moveItem = (idText: string): Handler =>
  methods({
    POST: async (req, res, { deps, reqId, notes }) => {
      if (!/^[1-9][0-9]{0,15}$/.test(idText) || !Number.isSafeInteger(Number(idText))) {
        throw new HttpError(400, `id: expected a positive integer, got '${idText.slice(0, 40)}'`);
      }
      const f = await form(req, deps.bodyLimit);
      const from = f.get('from');
      const next = from !== null ? NEXT[from as Status] : undefined;
      if (!next) throw new HttpError(400, `from: expected TODO or PROGRESS, got '${String(from).slice(0, 40)}'`);
      notes.id = Number(idText);
      await deps.api.setStatus(Number(idText), next, reqId);
      redirectHome(res);
    },
  });

const asset = (name: string): Handler =>
  methods({
    GET: async (_req, res, { deps }) => {
      const a = deps.assets.get(name);
      if (!a) throw new HttpError(404, `asset: no file ${name.slice(0, 100)}`);
      sendText(res, 200, a.body, a.type, { 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Assets-Source': 'web' });
    },
  });

const healthz = methods({
  GET: async (_req, res, { deps, reqId }) => {
    if (deps.state.draining) return sendJson(res, 503, { status: 503, message: 'draining', draining: true });
    try {
      await deps.api.health(reqId);
      sendJson(res, 200, { status: 200, message: 'ok', api: true });
    } catch (err) {
      sendJson(res, 503, { status: 503, message: `API: ${(err as Error).message}`, api: false });
    }
  },
});

const livez = methods({
  GET: async (_req, res, { deps }) => {
    if (deps.state.draining) sendJson(res, 503, { status: 503, message: 'draining' });
    else sendJson(res, 200, { status: 200, message: 'ok' });
  },
});

function route(path: string): Handler | undefined {
  if (path === '/') return dashboard;
  if (path === '/items') return createItem;
  let m = /^\/items\/([^/]+)\/move$/.exec(path);
  if (m) return moveItem(m[1]!);
  m = /^\/assets\/([A-Za-z0-9._-]+)$/.exec(path);
  if (m) return asset(m[1]!);
  if (path === '/healthz') return healthz;
  if (path === '/livez') return livez;
  return undefined;
}

export function createHandler(deps: WebDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const ctx: Ctx = { deps, reqId: requestId(req), notes: {} };
    res.setHeader('X-Request-Id', ctx.reqId);
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
      await h(req, res, ctx);
    };

    run().catch((err: unknown) => {
      let status = 500;
      let message = 'internal error';
      let headers: Record<string, string> = {};
      if (err instanceof HttpError) ({ status, message, headers } = err);
      else if (err instanceof ApiError) {
        // the API's verdict on the input (400/404/413...) is passed on; its 5xx become 502
        status = err.status >= 400 && err.status < 500 ? err.status : 502;
        message = err.message;
      } else if (err instanceof ApiUnavailableError) {
        status = 503;
        message = err.message;
        headers = { 'Retry-After': '1' };
      } else {
        deps.log.error('unhandled error', { req_id: ctx.reqId, ...errFields(err), stack: (err as Error)?.stack });
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      html(res, status, renderError(status, message, deps.assetUrls));
    });
  };
}
