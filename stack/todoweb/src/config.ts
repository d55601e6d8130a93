// todoweb configuration from the environment (see stack/README.md).
import { bool, int, oneOf, str } from '../../shared/env.ts';

export interface WebConfig {
  port: number;
  apiUrl: URL;
  apiTimeoutMs: number;
  apiRetries: number;
  perColumn: number;
  assetsSrc: string;
  assetsOut: string;
  /** user to switch to after publishing the assets (when started as root) */
  user: string;
  bodyLimit: number;
  drainMs: number;
  closeTimeoutMs: number;
  exitOnSigterm: 'graceful' | 'immediate';
  logRequests: boolean;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): WebConfig {
  const raw = str(env, 'TODO_API_URL', 'http://todo_app_nginx');
  let apiUrl: URL;
  try {
    apiUrl = new URL(raw);
  } catch {
    throw new Error(`TODO_API_URL: expected an http:// URL, got '${raw}'`);
  }
  if (apiUrl.protocol !== 'http:') throw new Error(`TODO_API_URL: expected an http:// URL, got '${raw}'`);
  return {
    port: int(env, 'TODOWEB_PORT', 3000, 1, 65535),
    apiUrl,
    apiTimeoutMs: int(env, 'TODOWEB_API_TIMEOUT_MS', 5000, 100, 60000),
    apiRetries: int(env, 'TODOWEB_API_RETRIES', 1, 0, 5),
    perColumn: int(env, 'TODOWEB_ITEMS_PER_COLUMN', 50, 1, 1000),
    assetsSrc: str(env, 'TODOWEB_ASSETS_SRC', '/app/public'),
    assetsOut: env.TODOWEB_ASSETS_OUT ?? '/assets-out',
    user: env.TODOWEB_USER ?? 'nobody',
    bodyLimit: int(env, 'TODO_BODY_LIMIT', 16384, 256, 1048576),
    drainMs: int(env, 'TODO_DRAIN_MS', 5000, 0, 600000),
    closeTimeoutMs: int(env, 'TODO_CLOSE_TIMEOUT_MS', 5000, 0, 600000),
    exitOnSigterm: oneOf(env, 'TODO_EXIT_ON_SIGTERM', ['graceful', 'immediate'] as const, 'graceful'),
    logRequests: bool(env, 'TODO_LOG_REQUESTS', true),
  };
}
