// What the controller and an agent task exchange, all through the Docker API: the command and
// stdin go in as environment (base64), the result comes back framed in the task's log (see
// run.sh). Pure functions: unit-tested without a swarm.
import { ConfigError } from '../../scripts/lib/errors.ts';
import type { ExecResult } from '../faults/types.ts';

/** stdin travels in the service spec (an env value): kept well under Linux's 128 KiB per string */
export const MAX_STDIN_BYTES = 48 * 1024;

/** POSIX-shell quoting of one argument. */
export function shQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** argv as one shell line, base64 (what run.sh evals in the node shell). */
export function encodeCommand(argv: string[]): string {
  if (!argv.length) throw new ConfigError('agent exec: expected a command, got an empty argv');
  return Buffer.from(argv.map(shQuote).join(' ')).toString('base64');
}

export function encodeStdin(stdin: string | Buffer | undefined, what: string): string | undefined {
  if (stdin === undefined) return undefined;
  const buf = Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin);
  if (buf.length > MAX_STDIN_BYTES) {
    throw new ConfigError(`agent exec (${what}): stdin expected at most ${MAX_STDIN_BYTES} bytes (it travels in the service spec), got ${buf.length}`);
  }
  return buf.toString('base64');
}

export { demuxLogs } from '../../scripts/lib/docker-logs.ts';

/**
 * The result framed in a log by run.sh for run id `id`, or undefined while its exit line is not
 * there yet. Lines of other runs and anything unframed (the CLI's own messages) are ignored.
 */
export function parseFramed(log: string, id: string): ExecResult | undefined {
  const head = `@@GDA ${id} `;
  const out: string[] = [];
  const err: string[] = [];
  let into: string[] | undefined;
  let exitCode: number | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith(head)) {
      const rest = line.slice(head.length).trim();
      if (rest === 'out') into = out;
      else if (rest === 'err') into = err;
      else if (/^exit -?\d+$/.test(rest)) {
        exitCode = Number(rest.slice(5));
        into = undefined;
      } else into = undefined;
      continue;
    }
    if (into && /^[A-Za-z0-9+/=]+$/.test(line)) into.push(line);
  }
  if (exitCode === undefined) return undefined;
  const dec = (ls: string[]) => Buffer.from(ls.join(''), 'base64').toString('utf8');
  return { stdout: dec(out), stderr: dec(err), exitCode };
}
