// Environment parsing for the app images: every bad value names the variable, what was expected
// and what was got, and the process exits before serving anything.
import { readFileSync } from 'node:fs';

export class EnvError extends Error {}

type Env = Record<string, string | undefined>;

export function str(env: Env, name: string, def?: string): string {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  if (def !== undefined) return def;
  throw new EnvError(`${name}: expected a non-empty value, got nothing`);
}

export function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new EnvError(`${name}: expected an integer in ${min}..${max}, got '${raw}'`);
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new EnvError(`${name}: expected an integer in ${min}..${max}, got '${raw}'`);
  }
  return n;
}

export function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new EnvError(`${name}: expected true|false, got '${raw}'`);
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], def: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new EnvError(`${name}: expected one of ${allowed.join('|')}, got '${raw}'`);
}

/**
 * A secret: the file named by NAME_FILE, else the Docker secret /run/secrets/<secretName>, else
 * NAME itself. One trailing newline is dropped (`echo x > file` adds one).
 */
export function secret(
  env: Env,
  name: string,
  secretName: string,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): string {
  const fileVar = `${name}_FILE`;
  const explicit = env[fileVar];
  const path = explicit && explicit !== '' ? explicit : `/run/secrets/${secretName}`;
  try {
    return read(path).replace(/\r?\n$/, '');
  } catch (err) {
    if (explicit) throw new EnvError(`${fileVar}: expected a readable file, got '${explicit}'`, { cause: err });
  }
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  throw new EnvError(`${name}: expected secret file /run/secrets/${secretName}, ${fileVar} or ${name}, got none`);
}

/** The knobs todoapi and todoweb read the same way (stack/README.md: "as todoapi"). */
export interface ServerEnv {
  bodyLimit: number;
  drainMs: number;
  closeTimeoutMs: number;
  exitOnSigterm: 'graceful' | 'immediate';
  logRequests: boolean;
}

export function serverEnv(env: Env): ServerEnv {
  return {
    bodyLimit: int(env, 'TODO_BODY_LIMIT', 16384, 256, 1048576),
    drainMs: int(env, 'TODO_DRAIN_MS', 5000, 0, 600000),
    closeTimeoutMs: int(env, 'TODO_CLOSE_TIMEOUT_MS', 5000, 0, 600000),
    exitOnSigterm: oneOf(env, 'TODO_EXIT_ON_SIGTERM', ['graceful', 'immediate'] as const, 'graceful'),
    logRequests: bool(env, 'TODO_LOG_REQUESTS', true),
  };
}
