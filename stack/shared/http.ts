// Small HTTP helpers shared by todoapi and todoweb (no framework: fewer moving parts to reason
// about when measuring what a drain or a retry does).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** An error that maps to an HTTP status; message is safe to show to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function requestId(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  const v = Array.isArray(h) ? h[0] : h;
  // accept a caller's id only if it is short and printable
  return v && /^[\x21-\x7e]{1,128}$/.test(v) ? v : randomUUID();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * Reads the whole request body, at most `limit` bytes. A declared or streamed body over the limit
 * is a 413 (and the connection is closed rather than read to the end).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new HttpError(413, `body: expected at most ${limit} bytes, got ${declared}`, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, body?: Buffer): void => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.pause();
        finish(new HttpError(413, `body: expected at most ${limit} bytes, got more`, { Connection: 'close' }));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => finish(null, Buffer.concat(chunks)));
    req.on('error', (err) => finish(new HttpError(400, `body: could not be read (${err.message})`, { Connection: 'close' })));
    req.on('aborted', () => finish(new HttpError(400, 'body: request aborted', { Connection: 'close' })));
  });
}

/** media type without parameters, lower-cased; '' when absent */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses the request target; a target that is not a valid origin-form path is a 400. */
export function parseTarget(req: IncomingMessage): URL {
  const raw = req.url ?? '/';
  if (!raw.startsWith('/')) throw new HttpError(400, `request target: expected an absolute path, got '${raw.slice(0, 100)}'`);
  try {
    return new URL(raw, 'http://localhost');
  } catch {
    throw new HttpError(400, `request target: malformed '${raw.slice(0, 100)}'`);
  }
}
