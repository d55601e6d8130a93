// One JSON object per line on stdout: what `docker service logs` shows and what tests can parse.

export type Fields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export function createLogger(service: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: string, msg: string, fields?: Fields): void => {
    write(JSON.stringify({ ts: new Date().toISOString(), level, svc: service, msg, ...fields }) + '\n');
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** Error details safe to log (never the whole object: mysql2 errors carry the SQL). */
export function errFields(err: unknown): Fields {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; errno?: unknown };
    return { err: e.message, code: e.code ?? undefined, errno: e.errno ?? undefined };
  }
  return { err: String(err) };
}

/**
 * warn() at most once per key and interval, saying how many were held back: a failure that
 * repeats hundreds of times a second stays visible without flooding the log.
 */
export function throttledWarn(log: Logger, everyMs: number, now: () => number = Date.now): (key: string, msg: string, fields?: Fields) => void {
  const last = new Map<string, { at: number; held: number }>();
  return (key, msg, fields) => {
    const t = now();
    const s = last.get(key);
    if (s && t - s.at < everyMs) {
      s.held++;
      return;
    }
    log.warn(msg, { ...fields, ...(s?.held ? { repeated: s.held } : {}) });
    last.set(key, { at: t, held: 0 });
  };
}
