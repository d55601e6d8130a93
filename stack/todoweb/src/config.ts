// todoweb configuration from the environment (see stack/README.md).
import { EnvError, int, serverEnv, str, type ServerEnv } from '../../shared/env.ts';

export interface WebConfig extends ServerEnv {
  port: number;
  apiUrl: URL;
  apiTimeoutMs: number;
  apiRetries: number;
  perColumn: number;
  assetsSrc: string;
  assetsOut: string;
  /** user to switch to after publishing the assets (when started as root) */
  user: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): WebConfig {
  const raw = str(env, 'TODO_API_URL', 'http://todo_app_nginx');
  let apiUrl: URL;
  try {
    apiUrl = new URL(raw);
  } catch {
    throw new EnvError(`TODO_API_URL: expected an http:// URL, got '${raw}'`);
  }
  if (apiUrl.protocol !== 'http:') throw new EnvError(`TODO_API_URL: expected an http:// URL, got '${raw}'`);
  return {
    port: int(env, 'TODOWEB_PORT', 3000, 1, 65535),
    apiUrl,
    apiTimeoutMs: int(env, 'TODOWEB_API_TIMEOUT_MS', 5000, 100, 60000),
    apiRetries: int(env, 'TODOWEB_API_RETRIES', 1, 0, 5),
    perColumn: int(env, 'TODOWEB_ITEMS_PER_COLUMN', 50, 1, 1000),
    assetsSrc: str(env, 'TODOWEB_ASSETS_SRC', '/app/public'),
    assetsOut: env.TODOWEB_ASSETS_OUT ?? '/assets-out',
    user: env.TODOWEB_USER ?? 'nobody',
    ...serverEnv(env),
  };
}
