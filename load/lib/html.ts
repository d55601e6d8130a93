// Finds the same-origin static assets a server-rendered page references (what a browser would
// fetch next). Pure and regex-based: k6 has no DOM parser for plain HTTP responses, nor a URL class.

const ATTR = /<(?:link|script|img|source)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']/gi;
const STATIC = /\.(css|js|mjs|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|map)$/i;

/** Absolute URLs of same-origin assets in `html`, deduplicated, at most `limit`. */
export function extractAssets(html: string, pageUrl: string, limit = 20): string[] {
  const origin = /^(https?:\/\/[^/]+)/i.exec(pageUrl)?.[1];
  if (!origin) return [];
  const out = new Set<string>();
  for (const m of html.matchAll(ATTR)) {
    let ref = m[1].trim().replace(/&amp;/g, '&');
    if (/^(data|javascript|mailto):/i.test(ref) || ref.startsWith('#')) continue;
    if (ref.startsWith('//')) ref = `${origin.split(':')[0]}:${ref}`;
    let abs: string;
    if (/^https?:\/\//i.test(ref)) {
      if (!ref.toLowerCase().startsWith(origin.toLowerCase() + '/')) continue; // other origins are not ours to load
      abs = ref;
    } else if (ref.startsWith('/')) abs = origin + ref;
    else abs = `${origin}/${ref.replace(/^\.\//, '')}`;
    const path = abs.slice(origin.length).split(/[?#]/)[0];
    if (!path.startsWith('/assets/') && !STATIC.test(path)) continue;
    out.add(abs);
    if (out.size >= limit) break;
  }
  return [...out];
}

/** The path of an absolute URL, for a low-cardinality `name` tag. */
export function urlPath(url: string): string {
  return url.replace(/^https?:\/\/[^/]+/i, '').split(/[?#]/)[0] || '/';
}
