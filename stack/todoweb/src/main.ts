// todoweb entry point.
import { createLogger, errFields } from '../../shared/log.ts';
import { configOrExit, serve } from '../../shared/server.ts';
import { loadConfig } from './config.ts';
import { ApiClient } from './api-client.ts';
import { assetUrl, loadAssets, publishAssets } from './assets.ts';
import { createHandler } from './app.ts';

const log = createLogger('todoweb');

/** After publishing the assets as root, serve as an unprivileged user. */
function dropPrivileges(user: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || user === '' || user === 'root') return;
  process.setgid!(user === 'nobody' ? 'nogroup' : user);
  process.setuid!(user);
  log.info('dropped privileges', { user });
}

function main(): void {
  const cfg = configOrExit(log, () => loadConfig());
  const assets = loadAssets(cfg.assetsSrc);
  if (cfg.assetsOut !== '') {
    try {
      const names = publishAssets(assets, cfg.assetsOut);
      log.info('assets published', { dir: cfg.assetsOut, files: names });
    } catch (err) {
      // not fatal: the frontend nginx falls back to us for /assets/
      log.warn('assets not published', { dir: cfg.assetsOut, ...errFields(err) });
    }
  }
  dropPrivileges(cfg.user);
  const api = new ApiClient({ baseUrl: cfg.apiUrl, timeoutMs: cfg.apiTimeoutMs, retries: cfg.apiRetries });
  const assetUrls = { css: assetUrl(assets, 'app.css'), js: assetUrl(assets, 'app.js') };
  serve({
    log,
    cfg,
    handler: (state) =>
      createHandler({ api, assets, assetUrls, log, state, perColumn: cfg.perColumn, bodyLimit: cfg.bodyLimit, logRequests: cfg.logRequests }),
    describe: { api: cfg.apiUrl.href },
  });
}

main();
