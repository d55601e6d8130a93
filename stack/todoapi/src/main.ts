// todoapi entry point.
import http from 'node:http';
import { createLogger, errFields } from '../../shared/log.ts';
import { installShutdown } from '../../shared/lifecycle.ts';
import { loadConfig } from './config.ts';
import { Db } from './db.ts';
import { Todos } from './todos.ts';
import { createHandler, type AppDeps } from './app.ts';

const log = createLogger('todoapi');

function main(): void {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    log.error('bad configuration', errFields(err));
    process.exit(2);
  }
  const db = new Db(cfg, log);
  const todos = new Todos(db, cfg.queryTimeoutMs);
  const deps: AppDeps = {
    db,
    todos,
    log,
    state: { draining: false, since: 0 },
    bodyLimit: cfg.bodyLimit,
    defaultLimit: cfg.defaultLimit,
    maxLimit: cfg.maxLimit,
    logRequests: cfg.logRequests,
  };
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000 }, createHandler(deps));
  server.keepAliveTimeout = 65_000;
  const { state } = installShutdown({
    server,
    log,
    drainMs: cfg.drainMs,
    closeTimeoutMs: cfg.closeTimeoutMs,
    mode: cfg.exitOnSigterm,
    onClose: () => db.close(),
  });
  deps.state = state;
  server.on('clientError', (err, socket) => {
    // malformed HTTP: answer 400 when possible instead of dropping silently
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
    void err;
  });
  server.listen(cfg.port, () => {
    log.info('listening', {
      port: cfg.port,
      primary: `${cfg.primary.host}:${cfg.primary.port}`,
      replica: `${cfg.replica.host}:${cfg.replica.port}`,
      pool_size: cfg.poolSize,
      read_fallback: cfg.readFallback,
      drain_ms: cfg.drainMs,
      exit_on_sigterm: cfg.exitOnSigterm,
      node: process.version,
    });
  });
}

main();
