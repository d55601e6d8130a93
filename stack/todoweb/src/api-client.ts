// Client for the TODO API behind its nginx. No keep-alive: every call opens a new connection,
// so a DNS change (dnsrr tasks coming and going) is followed at once. Only idempotent calls (GET,
// and a create, which always carries an Idempotency-Key) are retried, and only on
// connection-level failures, timeouts or 502/503/504; an address that
// failed is avoided for a while (AddressPicker), so the retry and later calls go to another task.
import { randomUUID } from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import type { Status, Todo } from '../../shared/todo.ts';

export type { Status, Todo };

/** The API answered with an error status; message is the API's own (safe to show). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
/** The API could not be reached or did not answer in time. */
export class ApiUnavailableError extends Error {}

export interface ApiClientOptions {
  baseUrl: URL;
  timeoutMs: number;
  retries: number;
  /** an address that failed is skipped this long (a frozen task accepts TCP and never answers) */
  avoidMs?: number;
  /** resolves the API host to every address (dnsrr: one per task); injectable for tests */
  resolve?: (host: string) => Promise<string[]>;
  now?: () => number;
}

/**
 * Passive health for dnsrr backends: remembers which addresses just failed and picks among the
 * others, so a retry goes to another task and later calls skip a dead one until it has had time
 * to recover or leave DNS. When every address failed recently, any of them is tried.
 */
export class AddressPicker {
  private readonly badUntil = new Map<string, number>();
  constructor(
    private readonly avoidMs: number,
    private readonly now: () => number = Date.now,
  ) {}
  pick(addresses: string[], exclude: Set<string> = new Set()): string | undefined {
    const t = this.now();
    const fresh = addresses.filter((a) => !exclude.has(a));
    const pool = fresh.length ? fresh : addresses;
    const healthy = pool.filter((a) => (this.badUntil.get(a) ?? 0) <= t);
    const from = healthy.length ? healthy : pool;
    return from[Math.floor(Math.random() * from.length)];
  }
  failed(address: string): void {
    this.badUntil.set(address, this.now() + this.avoidMs);
  }
}

interface RawResponse {
  status: number;
  body: string;
}

export class ApiClient {
  private readonly base: URL;
  private readonly picker: AddressPicker;
  private readonly resolve: (host: string) => Promise<string[]>;
  constructor(private readonly opts: ApiClientOptions) {
    // resolve relative paths under the base path (http://x/api -> http://x/api/todo)
    this.base = new URL(opts.baseUrl.href.endsWith('/') ? opts.baseUrl.href : `${opts.baseUrl.href}/`);
    this.picker = new AddressPicker(opts.avoidMs ?? 10_000, opts.now);
    this.resolve = opts.resolve ?? (async (host) => (await dns.lookup(host, { all: true, family: 4 })).map((a) => a.address));
  }

  /** Every address of the API host now (no cache: tasks come and go); an IP stays itself. */
  private async addresses(): Promise<string[]> {
    const host = this.base.hostname;
    if (net.isIP(host)) return [host];
    try {
      return await this.resolve(host);
    } catch (err) {
      throw new ApiUnavailableError(`API host ${host} does not resolve: ${(err as Error).message}`);
    }
  }

  private once(method: string, path: string, body: unknown, reqId: string, address: string, idemKey?: string): Promise<RawResponse> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          protocol: url.protocol,
          host: address,
          port: url.port || 80,
          path: `${url.pathname}${url.search}`,
          method,
          agent: false,
          timeout: this.opts.timeoutMs,
          headers: {
            Host: url.host,
            Accept: 'application/json',
            'X-Request-Id': reqId,
            ...(idemKey !== undefined ? { 'Idempotency-Key': idemKey } : {}),
            ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => reject(new ApiUnavailableError(`API response broken: ${err.message}`)));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(new Error(`idle for ${this.opts.timeoutMs} ms`)));
      req.on('error', (err) => reject(new ApiUnavailableError(`API unreachable: ${err.message}`)));
      req.end(payload);
    });
  }

  private async call<T>(method: string, path: string, body: unknown, reqId: string, idemKey?: string): Promise<T> {
    // a keyed request may be sent again: the API answers a repeat with the first result
    const attempts = method === 'GET' || idemKey !== undefined ? 1 + this.opts.retries : 1;
    const tried = new Set<string>();
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      let r: RawResponse;
      const address = this.picker.pick(await this.addresses(), tried);
      if (address === undefined) throw new ApiUnavailableError(`API host ${this.base.hostname} has no address`);
      tried.add(address);
      try {
        r = await this.once(method, path, body, reqId, address, idemKey);
      } catch (err) {
        this.picker.failed(address);
        last = err;
        continue;
      }
      if (r.status >= 200 && r.status < 300) {
        try {
          return JSON.parse(r.body) as T;
        } catch {
          throw new ApiUnavailableError(`API answered ${r.status} with a body that is not JSON`);
        }
      }
      let message = `API answered ${r.status}`;
      try {
        const e = JSON.parse(r.body) as { message?: unknown };
        if (typeof e.message === 'string') message = e.message;
      } catch {
        /* not JSON (e.g. nginx's own 502 page) */
      }
      if ([502, 503, 504].includes(r.status)) {
        this.picker.failed(address);
        last = new ApiUnavailableError(`API unavailable (${r.status}): ${message}`);
        continue;
      }
      throw new ApiError(r.status, message);
    }
    throw last instanceof Error ? last : new ApiUnavailableError(String(last));
  }

  list(status: Status, limit: number, reqId: string): Promise<Todo[]> {
    return this.call('GET', `todo?status=${status}&limit=${limit}`, undefined, reqId);
  }
  /** idemKey: the caller's Idempotency-Key, else a new one for this create (so its retries are safe) */
  create(title: string, content: string, reqId: string, idemKey: string = randomUUID()): Promise<Todo> {
    return this.call('POST', 'todo', { title, content }, reqId, idemKey);
  }
  setStatus(id: number, status: Status, reqId: string): Promise<Todo> {
    return this.call('PUT', 'todo', { id, status }, reqId);
  }
  health(reqId: string): Promise<unknown> {
    return this.call('GET', 'healthz', undefined, reqId);
  }
}
