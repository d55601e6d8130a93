// Network rule: measurement traffic goes only to loopback, unless the user explicitly named a
// remote target (then the caller passes allowRemote).
import { ConfigError } from '../../scripts/lib/errors.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Parses and checks a target URL; field names the flag/setting for the error message. */
export function checkTargetUrl(raw: string, field: string, allowRemote = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new ConfigError(`${field}: expected an http(s) URL, got ${JSON.stringify(raw)}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${field}: expected an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  if (!allowRemote && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(
      `${field}: expected a loopback URL (127.0.0.1/localhost) for measurement traffic, got ${JSON.stringify(raw)}; ` +
        'a remote target must be passed explicitly by the user',
    );
  }
  return url;
}

/** Joins a base URL (which may carry a path prefix) with a path + query. */
export function joinUrl(base: URL, pathAndQuery: string): URL {
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${base.origin}${prefix}${pathAndQuery}`);
}
