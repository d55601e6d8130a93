// Process scaffolding shared by todoapi and todoweb: configuration or exit 2, the HTTP server and
// its timeouts, the SIGTERM drain (lifecycle.ts) and the 'listening' log line.
import http from 'node:http';
import type { ServerEnv } from './env.ts';
import { installShutdown, type ShutdownOptions, type ShutdownState } from './lifecycle.ts';
import { errFields, type Fields, type Logger } from './log.ts';

/** Loads the configuration; a bad value is logged (naming the variable) and the process exits 2. */
export function configOrExit<T>(log: Logger, load: () => T): T {
  try {
    return load();
  } catch (err) {
    log.error('bad configuration', errFields(err));
    process.exit(2);
  }
}

export interface ServeOptions {
  log: Logger;
  cfg: { port: number } & Pick<ServerEnv, 'drainMs' | 'closeTimeoutMs' | 'exitOnSigterm'>;
  /** the request handler, built once the shutdown state exists (health fails while draining) */
  handler: (state: ShutdownState) => http.RequestListener;
  /** releases pools etc. after the server closed */
  onClose?: () => Promise<void>;
  /** fields for the 'listening' line besides port, drain_ms, exit_on_sigterm and node */
  describe?: Fields;
  /** tests: no process signal handlers, no real exit */
  signals?: ShutdownOptions['signals'];
  exit?: ShutdownOptions['exit'];
}

export function serve(opts: ServeOptions): { server: http.Server; state: ShutdownState; shutdown: (signal: string) => Promise<void> } {
  const { log, cfg } = opts;
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000 });
  server.keepAliveTimeout = 65_000;
  const { state, shutdown } = installShutdown({
    server,
    log,
    drainMs: cfg.drainMs,
    closeTimeoutMs: cfg.closeTimeoutMs,
    mode: cfg.exitOnSigterm,
    onClose: opts.onClose,
    signals: opts.signals,
    exit: opts.exit,
  });
  server.on('request', opts.handler(state));
  server.on('clientError', (_err, socket) => {
    // malformed HTTP: answer 400 when possible instead of dropping silently
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.listen(cfg.port, () => {
    log.info('listening', {
      port: cfg.port,
      ...opts.describe,
      drain_ms: cfg.drainMs,
      exit_on_sigterm: cfg.exitOnSigterm,
      node: process.version,
    });
  });
  return { server, state, shutdown };
}
