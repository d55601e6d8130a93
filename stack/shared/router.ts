// Request scaffolding shared by todoapi and todoweb: request id, `Connection: close` while
// draining, one log line per request, routing with 405 + Allow, and the one place where an error
// becomes an answer (HttpError as it is, the app's own errors through mapError, anything else is
// a bug: logged, 500).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, parseTarget, requestId, sendJson } from './http.ts';
import type { ShutdownState } from './lifecycle.ts';
import { errFields, type Logger } from './log.ts';

/** what the scaffolding itself needs from an app's dependencies */
export interface BaseDeps {
  log: Logger;
  state: ShutdownState;
  logRequests: boolean;
}

export interface Ctx<D> {
  deps: D;
  reqId: string;
  url: URL;
  /** extra fields for this request's log line */
  notes: Record<string, unknown>;
}

export type Handler<D> = (req: IncomingMessage, res: ServerResponse, ctx: Ctx<D>) => Promise<void>;

/** Dispatches on the method; HEAD is served by GET; anything else is a 405 naming the allowed ones. */
export function methods<D>(table: Record<string, Handler<D>>): Handler<D> {
  const allowed = Object.keys(table).join(', ');
  return async (req, res, ctx) => {
    const m = req.method === 'HEAD' && table.GET ? 'GET' : (req.method ?? '');
    const h = table[m];
    if (!h) throw new HttpError(405, `method: expected one of ${allowed}, got ${req.method}`, { Allow: allowed });
    await h(req, res, ctx);
  };
}

/** GET /livez: 200 unless draining (the Docker HEALTHCHECK; never depends on a backend). */
export const livez: Handler<Pick<BaseDeps, 'state'>> = methods({
  GET: async (_req, res, { deps }) => {
    if (deps.state.draining) sendJson(res, 503, { status: 503, message: 'draining' });
    else sendJson(res, 200, { status: 200, message: 'ok' });
  },
});

/** GET /healthz while draining: fail at once so proxies stop sending here. */
export function sendDraining(res: ServerResponse): void {
  sendJson(res, 503, { status: 503, message: 'draining', draining: true });
}

export interface ErrorAnswer {
  status: number;
  message: string;
  headers: Record<string, string>;
}

export interface RequestHandlerOptions<D extends BaseDeps> {
  route: (path: string) => Handler<D> | undefined;
  /** the app's own errors -> an answer (may add to `notes`); undefined: a bug, logged and 500 */
  mapError?: (err: unknown, notes: Record<string, unknown>) => ErrorAnswer | undefined;
  /** writes an error answer: JSON {status, message} for the API, an HTML page for the web */
  sendError: (res: ServerResponse, answer: ErrorAnswer, deps: D) => void;
}

export function createRequestHandler<D extends BaseDeps>(
  deps: D,
  opts: RequestHandlerOptions<D>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const reqId = requestId(req);
    const notes: Record<string, unknown> = {};
    res.setHeader('X-Request-Id', reqId);
    // while draining, make keep-alive clients reconnect (to another task) after this answer
    if (deps.state.draining) res.setHeader('Connection', 'close');
    let path = req.url ?? '';

    res.on('finish', () => {
      if (!deps.logRequests) return;
      deps.log.info('request', {
        req_id: reqId,
        method: req.method,
        path: path.slice(0, 200),
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        draining: deps.state.draining || undefined,
        ...notes,
      });
    });

    const run = async (): Promise<void> => {
      const url = parseTarget(req);
      path = url.pathname;
      const h = opts.route(url.pathname);
      if (!h) throw new HttpError(404, `path: no route for ${url.pathname.slice(0, 100)}`);
      await h(req, res, { deps, reqId, url, notes });
    };

    run().catch((err: unknown) => {
      let answer: ErrorAnswer | undefined;
      if (err instanceof HttpError) answer = { status: err.status, message: err.message, headers: err.headers };
      else answer = opts.mapError?.(err, notes);
      if (!answer) {
        deps.log.error('unhandled error', { req_id: reqId, ...errFields(err), stack: (err as Error)?.stack });
        answer = { status: 500, message: 'internal error', headers: {} };
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      opts.sendError(res, answer, deps);
    });
  };
}
