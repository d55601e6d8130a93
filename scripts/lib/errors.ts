// One small error tree for the whole suite. Every error carries a machine-readable code and
// maps to a process exit code, so CLIs stay thin: catch at the edge, print, exit.

export const ExitCode = {
  ok: 0,
  failed: 1, // thresholds / tolerances / verdict failed
  config: 2, // bad flags, environment, file
  unreachable: 3, // target ingress / docker host did not answer
  safety: 4, // chaos refused: swarm not allowed, service degraded, blast radius
  environment: 5, // a tool or engine is missing or broken
  interrupted: 130,
} as const;

export type ErrorCode =
  | 'E_CONFIG'
  | 'E_UNREACHABLE'
  | 'E_SAFETY'
  | 'E_ENVIRONMENT'
  | 'E_DOCKER'
  | 'E_TIMEOUT'
  | 'E_INTERRUPTED'
  | 'E_FAILED';

export class GamedayError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad input: names the field or flag, what was expected and what was got. */
export class ConfigError extends GamedayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CONFIG', message, ExitCode.config, options);
  }
}
export class UnreachableError extends GamedayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_UNREACHABLE', message, ExitCode.unreachable, options);
  }
}
export class SafetyError extends GamedayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SAFETY', message, ExitCode.safety, options);
  }
}
export class EnvironmentError extends GamedayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ENVIRONMENT', message, ExitCode.environment, options);
  }
}
export class DockerError extends GamedayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DOCKER', message, ExitCode.environment, options);
  }
}
export class TimeoutError extends GamedayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_TIMEOUT', message, ExitCode.failed, options);
  }
}
export class InterruptedError extends GamedayError {
  constructor(message = 'interrupted', options?: { cause?: unknown }) {
    super('E_INTERRUPTED', message, ExitCode.interrupted, options);
  }
}

/** Prints an error with its cause chain and returns the exit code to use. */
export function describeError(err: unknown): { text: string; exitCode: number } {
  const lines: string[] = [];
  let cur: unknown = err;
  let depth = 0;
  while (cur && depth < 6) {
    // a zod error's message is a JSON dump of its issues: the message above already says them in words
    if (depth > 0 && cur instanceof Error && (cur.name === 'ZodError' || Array.isArray((cur as { issues?: unknown }).issues))) break;
    if (cur instanceof GamedayError) lines.push(`${depth ? 'caused by: ' : ''}[${cur.code}] ${cur.message}`);
    else if (cur instanceof Error) lines.push(`${depth ? 'caused by: ' : ''}${cur.message}`);
    else lines.push(`${depth ? 'caused by: ' : ''}${String(cur)}`);
    cur = cur instanceof Error ? cur.cause : undefined;
    depth++;
  }
  const exitCode = err instanceof GamedayError ? err.exitCode : 1;
  return { text: lines.join('\n'), exitCode };
}

/** Runs a CLI main function: errors become a message on stderr and the mapped exit code. */
export async function runMain(main: () => Promise<number | void>, o: { lingerMs?: number } = {}): Promise<void> {
  try {
    const code = await main();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    const { text, exitCode } = describeError(err);
    process.stderr.write(`error: ${text}\n`);
    if (process.env.GAMEDAY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exitCode;
  }
  exitIfLingering(o.lingerMs ?? EXIT_LINGER_MS);
}

/** How long a finished CLI may take to exit on its own (the ssh transport closes idle after 2 s). */
export const EXIT_LINGER_MS = 10_000;

/**
 * A finished command must exit: a handle nobody closed (seen once: a chaos run over ssh:// whose
 * work was done and written stayed up until CI's timeout killed it) would otherwise hold it open.
 * The timer is unref'd, so a process that ends on its own never waits for it.
 */
export function exitIfLingering(ms: number): void {
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    process.stderr.write(`warning: finished, but still open ${Math.round(ms / 1000)} s later (${open.join(', ') || 'no handle listed'}); exiting with code ${process.exitCode ?? 0}\n`);
    process.exit();
  }, ms).unref();
}
