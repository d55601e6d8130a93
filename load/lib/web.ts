// The web dashboard as a plain HTTP client sees it: the server-rendered page, then its assets in
// parallel (like a browser with an empty cache).
import { check } from 'k6';
import http from 'k6/http';
import { extractAssets, urlPath } from './html.ts';

export function webPageWithAssets(target: string, timeoutS: number): { status: number; assets: number } {
  const base = target.replace(/\/+$/, '');
  const res = http.get(`${base}/`, { tags: { endpoint: 'web-index', name: 'GET /' }, timeout: `${timeoutS}s` });
  const body = typeof res.body === 'string' ? res.body : '';
  check(
    res,
    {
      'web-index: status 200': (r) => r.status === 200,
      'web-index: renders the TODO columns': () => /TODO/.test(body) && /PROGRESS/.test(body) && /DONE/.test(body),
    },
    { endpoint: 'web-index' },
  );
  if (res.status !== 200) return { status: res.status, assets: 0 };
  const assets = extractAssets(body, `${base}/`);
  if (assets.length) {
    const responses = http.batch(
      assets.map((url) => ({
        method: 'GET',
        url,
        params: { tags: { endpoint: 'web-asset', name: `GET ${urlPath(url)}` }, timeout: `${timeoutS}s` },
      })),
    );
    for (const r of responses) check(r, { 'web-asset: status 200': (x) => x.status === 200 }, { endpoint: 'web-asset' });
  }
  return { status: res.status, assets: assets.length };
}
