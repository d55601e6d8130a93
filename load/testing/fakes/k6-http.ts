// Fake of `k6/http`: requests go to the test's handler; time advances by the handler's latency.
import { fake, type FakeRequest } from './state.ts';

interface Params {
  tags?: Record<string, string>;
  headers?: Record<string, string>;
  timeout?: string;
}

function send(method: string, url: string, body: string | null | undefined, params?: Params) {
  const f = fake();
  const req: FakeRequest = { method, url, body, tags: { ...(params?.tags ?? {}) }, headers: { ...(params?.headers ?? {}) }, t: f.now };
  f.requests.push(req);
  const r = f.handler(req);
  f.now += r.latencyMs ?? 1;
  return {
    status: r.status,
    body: r.body ?? '',
    headers: r.headers ?? {},
    url,
    timings: { duration: r.latencyMs ?? 1 },
    json: () => JSON.parse(r.body ?? 'null'),
  };
}

export function get(url: string, params?: Params) {
  return send('GET', url, null, params);
}
export function post(url: string, body?: string | null, params?: Params) {
  return send('POST', url, body, params);
}
export function put(url: string, body?: string | null, params?: Params) {
  return send('PUT', url, body, params);
}
export function del(url: string, body?: string | null, params?: Params) {
  return send('DELETE', url, body, params);
}
export function request(method: string, url: string, body?: string | null, params?: Params) {
  return send(method, url, body, params);
}
type BatchReq = string | [string, string, (string | null)?, Params?] | { method?: string; url: string; body?: string | null; params?: Params };
export function batch(reqs: BatchReq[]) {
  return reqs.map((r) => {
    if (typeof r === 'string') return send('GET', r, null);
    if (Array.isArray(r)) return send(r[0], r[1], r[2], r[3]);
    return send(r.method ?? 'GET', r.url, r.body, r.params);
  });
}

export default { get, post, put, del, request, batch };
