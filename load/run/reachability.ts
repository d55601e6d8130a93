// Before any load: does the target answer at all? A dead target must fail in seconds with a
// message naming the URL, not after a whole profile of connection errors.
import http from 'node:http';
import https from 'node:https';
import { UnreachableError } from '../../scripts/lib/errors.ts';

export interface ProbeResult {
  url: string;
  status?: number;
  error?: string;
  ms: number;
}

// node:http rather than fetch: fetch refuses "bad ports" (e.g. :1) with a confusing message
function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  const t0 = performance.now();
  const done = (r: Omit<ProbeResult, 'url' | 'ms'>): ProbeResult => ({ url, ...r, ms: performance.now() - t0 });
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { timeout: timeoutMs, headers: { 'user-agent': 'swarm-gameday-reachability' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(done({ status: res.statusCode })));
      res.on('error', (e) => resolve(done({ error: e.message })));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'TIMEOUT' ? e.message : e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message);
      resolve(done({ error: why }));
    });
  });
}

/** GET <target>/api/healthz and <target>/; throws UnreachableError unless both answer 2xx/3xx. */
export async function checkReachable(target: string, opts: { timeoutMs?: number; attempts?: number } = {}): Promise<ProbeResult[]> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const attempts = Math.max(1, opts.attempts ?? 2);
  const base = target.replace(/\/+$/, '');
  const urls = [`${base}/api/healthz`, `${base}/`];
  let results: ProbeResult[] = [];
  for (let i = 0; i < attempts; i++) {
    results = await Promise.all(urls.map((u) => probe(u, timeoutMs)));
    const bad = results.filter((r) => r.status === undefined || r.status >= 400);
    if (!bad.length) return results;
    // a refused connection will not change in half a second; only a 5xx (starting up) is retried
    if (bad.some((r) => r.status === undefined)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const bad = results.filter((r) => r.status === undefined || r.status >= 400);
  const detail = bad.map((r) => `${r.url}: ${r.error ?? `HTTP ${r.status}`}`).join('; ');
  throw new UnreachableError(
    `target ${base} is not reachable (${detail}). Is the stack up? Check \`npm run stack:status\`, or pass --target <ingress url>.`,
  );
}
