// One HTTP request with a hard deadline and a failure classification the reports can count:
// timeout (no full answer within the deadline), connect (could not open a connection),
// reset (the connection broke mid-way), status (an answer, but not 2xx), other.
import http from 'node:http';
import https from 'node:https';

export type FailureKind = 'timeout' | 'connect' | 'reset' | 'status' | 'other';

export interface HttpResult {
  status: number; // 0 when no response
  ok: boolean;
  error?: FailureKind;
  message?: string;
  ms: number;
  body?: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  agent: http.Agent | false;
  /** keep the response text (API reads); the probe only drains it */
  keepBody?: boolean;
  /** cap on kept body size: a runaway response must not eat the memory of a long run */
  maxBodyBytes?: number;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ECONNABORTED']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** Maps a Node network error to a failure kind. connected = a socket was established first. */
export function classifyError(err: unknown, connected: boolean): FailureKind {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (RESET_CODES.has(code)) return connected || code !== 'ECONNRESET' ? 'reset' : 'connect';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'other';
}

export function httpRequest(url: URL, opts: HttpRequestOptions, now: () => number = Date.now): Promise<HttpResult> {
  const t0 = now();
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<HttpResult>((resolve) => {
    let settled = false;
    let connected = false;
    const finish = (r: Omit<HttpResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: now() - t0 });
    };
    const req = mod.request(url, {
      method: opts.method ?? 'GET',
      headers: { 'user-agent': 'swarm-gameday-measure', ...opts.headers },
      agent: opts.agent as http.Agent,
    });
    const timer = setTimeout(() => {
      finish({ status: 0, ok: false, error: 'timeout', message: `no complete answer within ${opts.timeoutMs} ms` });
      req.destroy(new Error('measure timeout'));
    }, opts.timeoutMs);
    req.on('socket', (sock) => {
      // a reused keep-alive socket is already connected
      if (!sock.connecting) connected = true;
      else sock.once('connect', () => (connected = true));
    });
    req.on('error', (err) => {
      finish({ status: 0, ok: false, error: classifyError(err, connected), message: err.message });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const max = opts.maxBodyBytes ?? 8 * 1024 * 1024;
      res.on('data', (c: Buffer) => {
        if (!opts.keepBody) return; // drain only, so the keep-alive socket can be reused
        size += c.length;
        if (size <= max) chunks.push(c);
      });
      res.on('error', (err) => finish({ status, ok: false, error: classifyError(err, true), message: err.message }));
      res.on('aborted', () => finish({ status, ok: false, error: 'reset', message: 'response aborted' }));
      res.on('end', () => {
        const ok = status >= 200 && status < 300;
        const body = opts.keepBody ? Buffer.concat(chunks).toString('utf8') : undefined;
        if (size > max) return finish({ status, ok: false, error: 'other', message: `body larger than ${max} bytes` });
        finish(ok ? { status, ok, body } : { status, ok, error: 'status', message: `HTTP ${status}`, body });
      });
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
