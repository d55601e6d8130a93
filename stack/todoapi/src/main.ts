// todoapi entry point.
import { createLogger } from '../../shared/log.ts';
import { configOrExit, serve } from '../../shared/server.ts';
import { loadConfig } from './config.ts';
import { Db } from './db.ts';
import { Todos } from './todos.ts';
import { createHandler } from './app.ts';

const log = createLogger('todoapi');

function main(): void {
  const cfg = configOrExit(log, () => loadConfig());
  const db = new Db(cfg, log);
  const todos = new Todos(db, cfg.queryTimeoutMs);
  serve({
    log,
    cfg,
    handler: (state) =>
      createHandler({
        db,
        todos,
        log,
        state,
        bodyLimit: cfg.bodyLimit,
        defaultLimit: cfg.defaultLimit,
        maxLimit: cfg.maxLimit,
        logRequests: cfg.logRequests,
      }),
    onClose: () => db.close(),
    describe: {
      primary: `${cfg.primary.host}:${cfg.primary.port}`,
      replica: `${cfg.replica.host}:${cfg.replica.port}`,
      pool_size: cfg.poolSize,
      read_fallback: cfg.readFallback,
    },
  });
}

main();
