// Graceful shutdown shared by todoapi and todoweb.
//
// Swarm removes a stopping task from DNS, waits ~2 s and sends SIGTERM; proxies that resolved the
// name earlier may still send to us for a few seconds (nginx re-resolves every 2 s, HAProxy keeps an
// obsolete address a few seconds). So on SIGTERM we: fail /healthz at once, keep serving for
// drainMs (answers carry `Connection: close` so keep-alive clients move on), then stop accepting,
// close idle keep-alive sockets, let in-flight requests finish (bounded), release resources, exit 0.
// mode 'immediate' is the deliberately bad variant for chaos experiments: die at once like an app
// without a handler.
import type { Server } from 'node:http';
import type { Logger } from './log.ts';

export interface ShutdownState {
  draining: boolean;
  /** when draining started (ms since epoch), 0 while serving */
  since: number;
}

export interface ShutdownOptions {
  server: Server;
  log: Logger;
  drainMs: number;
  /** cap on waiting for in-flight requests after the drain window */
  closeTimeoutMs: number;
  mode: 'graceful' | 'immediate';
  /** releases pools etc.; bounded by closeTimeoutMs */
  onClose?: () => Promise<void>;
  exit?: (code: number) => void;
  /** signals to handle (tests pass []) */
  signals?: readonly NodeJS.Signals[];
}

export function installShutdown(opts: ShutdownOptions): { state: ShutdownState; shutdown: (signal: string) => Promise<void> } {
  const state: ShutdownState = { draining: false, since: 0 };
  const exit = opts.exit ?? ((code: number) => process.exit(code));

  const shutdown = async (signal: string): Promise<void> => {
    if (state.draining) {
      opts.log.warn('shutdown already in progress', { signal });
      return;
    }
    state.draining = true;
    state.since = Date.now();
    opts.log.info('draining', { signal, drain_ms: opts.drainMs });
    await delay(opts.drainMs);

    opts.log.info('closing server', { signal });
    const closed = new Promise<void>((resolve) => opts.server.close(() => resolve()));
    opts.server.closeIdleConnections();
    const forced = await Promise.race([closed.then(() => false), delay(opts.closeTimeoutMs).then(() => true)]);
    if (forced) {
      opts.log.warn('in-flight requests did not finish in time; closing all connections', { close_timeout_ms: opts.closeTimeoutMs });
      opts.server.closeAllConnections();
    }
    if (opts.onClose) {
      await Promise.race([opts.onClose().catch((err: unknown) => opts.log.warn('close hook failed', { err: String(err) })), delay(opts.closeTimeoutMs)]);
    }
    opts.log.info('exiting', { signal, exit_code: 0, drained_ms: Date.now() - state.since });
    exit(0);
  };

  for (const signal of opts.signals ?? (['SIGTERM', 'SIGINT'] as const)) {
    const handler = (): void => {
      if (opts.mode === 'immediate') {
        opts.log.warn('exiting immediately (TODO_EXIT_ON_SIGTERM=immediate)', { signal });
        process.removeListener(signal, handler);
        process.kill(process.pid, signal); // default action: die by the signal, in-flight requests are cut
        return;
      }
      void shutdown(signal);
    };
    process.on(signal, handler);
  }
  return { state, shutdown };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
