// HTTP routing for the web frontend:
//   GET  /                  dashboard (server-rendered from the API; 503 when a column failed)
//   POST /items             form {title, content} -> POST /todo on the API -> 303 /
//   POST /items/:id/move    form {from}           -> PUT /todo {id, status: next} -> 303 /
//   GET  /assets/<hashed>   the static files (also published to the shared volume at start)
//   GET  /healthz           200 when not draining and the API answers; /livez: not draining
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, mediaType, readBody, sendJson, sendText } from '../../shared/http.ts';
import { createRequestHandler, livez, methods, sendDraining, type BaseDeps, type ErrorAnswer, type Handler as BaseHandler } from '../../shared/router.ts';
import { ApiError, ApiUnavailableError, type ApiClient, type Status, type Todo } from './api-client.ts';
import { COLUMNS, NEXT, renderDashboard, renderError, type AssetUrls } from './render.ts';
import type { Asset } from './assets.ts';

export interface WebDeps extends BaseDeps {
  api: Pick<ApiClient, 'list' | 'create' | 'setStatus' | 'health'>;
  assets: Map<string, Asset>;
  assetUrls: AssetUrls;
  perColumn: number;
  bodyLimit: number;
}

type Handler = BaseHandler<WebDeps>;

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

const dashboard = methods<WebDeps>({
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

const createItem = methods<WebDeps>({
  POST: async (req, res, { deps, reqId, notes }) => {
    const f = await form(req, deps.bodyLimit);
    const title = f.get('title');
    if (title === null) throw new HttpError(400, 'title: expected a form field, got none');
    // an Idempotency-Key of the browser's request is the API's key: a re-sent form makes one item
    const key = req.headers['idempotency-key'];
    const item = await deps.api.create(title, f.get('content') ?? '', reqId, typeof key === 'string' && key !== '' ? key : undefined);
    notes.id = item.id;
    redirectHome(res);
  },
});

const moveItem = (idText: string): Handler =>
  methods<WebDeps>({
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
  methods<WebDeps>({
    GET: async (_req, res, { deps }) => {
      const a = deps.assets.get(name);
      if (!a) throw new HttpError(404, `asset: no file ${name.slice(0, 100)}`);
      sendText(res, 200, a.body, a.type, { 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Assets-Source': 'web' });
    },
  });

const healthz = methods<WebDeps>({
  GET: async (_req, res, { deps, reqId }) => {
    if (deps.state.draining) return sendDraining(res);
    try {
      await deps.api.health(reqId);
      sendJson(res, 200, { status: 200, message: 'ok', api: true });
    } catch (err) {
      sendJson(res, 503, { status: 503, message: `API: ${(err as Error).message}`, api: false });
    }
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
  return createRequestHandler(deps, {
    route,
    mapError: (err): ErrorAnswer | undefined => {
      // the API's verdict on the input (400/404/413...) is passed on; its 5xx become 502
      if (err instanceof ApiError) return { status: err.status >= 400 && err.status < 500 ? err.status : 502, message: err.message, headers: {} };
      if (err instanceof ApiUnavailableError) return { status: 503, message: err.message, headers: { 'Retry-After': '1' } };
      return undefined;
    },
    sendError: (res, { status, message, headers }, d) => {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      html(res, status, renderError(status, message, d.assetUrls));
    },
  });
}
