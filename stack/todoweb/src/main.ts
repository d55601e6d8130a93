// todoweb entry point.
import http from 'node:http';
import { createLogger, errFields } from '../../shared/log.ts';
import { installShutdown } from '../../shared/lifecycle.ts';
import { loadConfig } from './config.ts';
import { ApiClient } from './api-client.ts';
import { assetUrl, loadAssets, publishAssets } from './assets.ts';
import { createHandler, type WebDeps } from './app.ts';

const log = createLogger('todoweb');

/** After publishing the assets as root, serve as an unprivileged user. */
function dropPrivileges(user: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || user === '' || user === 'root') return;
  process.setgid!(user === 'nobody' ? 'nogroup' : user);
  process.setuid!(user);
  log.info('dropped privileges', { user });
}

function main(): void {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    log.error('bad configuration', errFields(err));
    process.exit(2);
  }
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
  const deps: WebDeps = {
    api: new ApiClient({ baseUrl: cfg.apiUrl, timeoutMs: cfg.apiTimeoutMs, retries: cfg.apiRetries }),
    assets,
    assetUrls: { css: assetUrl(assets, 'app.css'), js: assetUrl(assets, 'app.js') },
    log,
    state: { draining: false, since: 0 },
    perColumn: cfg.perColumn,
    bodyLimit: cfg.bodyLimit,
    logRequests: cfg.logRequests,
  };
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000 }, createHandler(deps));
  server.keepAliveTimeout = 65_000;
  const { state } = installShutdown({ server, log, drainMs: cfg.drainMs, closeTimeoutMs: cfg.closeTimeoutMs, mode: cfg.exitOnSigterm });
  deps.state = state;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.listen(cfg.port, () => {
    log.info('listening', { port: cfg.port, api: cfg.apiUrl.href, drain_ms: cfg.drainMs, exit_on_sigterm: cfg.exitOnSigterm, node: process.version });
  });
}

main();
