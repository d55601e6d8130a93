// How bad input is reported, the same way by every command: one line per problem,
//   <source>: expected <what>, got <value>
// where <source> is what the user actually wrote it in: a flag (`--rate`), a variable
// (`GAMEDAY_CHAOS_RATE`) or a file key (`gameday.config.json: chaos.rate`, `plan x.yaml:
// experiments[0].timing.beforeMs`). zod issues are turned into such lines (never a JSON dump), and
// the strict parsers here (numbers, durations, docker hosts) are shared by chaos and load.
import type { z } from 'zod';
import { ConfigError } from './errors.ts';

/** A value as an error shows it: JSON where it helps (strings quoted), cut short when long. */
export function gotText(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** `<source>: expected <what>, got <value>` */
export function issueLine(source: string, expected: string, got: unknown): string {
  return `${source}: expected ${expected}, got ${gotText(got)}`;
}

/** Throws the one-line ConfigError (exit 2). */
export function badInput(source: string, expected: string, got: unknown): never {
  throw new ConfigError(issueLine(source, expected, got));
}

/** A zod path as a key: a.b[0].c */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p as string];
  }
  return cur;
}

const num = (n: unknown) => (typeof n === 'bigint' ? String(n) : typeof n === 'number' ? String(n) : String(n));

/**
 * What an issue expected, in words. A schema can phrase it itself: a custom message that starts
 * with "expected " is used as it is (e.g. `.max(3_600_000, 'expected a duration up to 1 h')`).
 */
export function expectedText(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith('expected ')) return issue.message.slice('expected '.length);
  const i = issue as z.core.$ZodIssue & Record<string, any>;
  switch (issue.code) {
    case 'invalid_type':
      return i.expected === 'int' ? 'an integer' : `a value of type ${i.expected}`;
    case 'too_big': {
      const what = i.origin === 'string' ? 'a string of at most' : i.origin === 'array' || i.origin === 'set' ? 'at most' : 'a number <=';
      const unit = i.origin === 'string' ? ' characters' : i.origin === 'array' || i.origin === 'set' ? ' entries' : '';
      return i.inclusive === false && what === 'a number <=' ? `a number < ${num(i.maximum)}` : `${what} ${num(i.maximum)}${unit}`;
    }
    case 'too_small': {
      if (i.origin === 'string') return Number(i.minimum) === 1 ? 'a non-empty string' : `a string of at least ${num(i.minimum)} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `at least ${num(i.minimum)} entries`;
      return i.inclusive === false ? `a number > ${num(i.minimum)}` : `a number >= ${num(i.minimum)}`;
    }
    case 'invalid_value':
      return `one of ${(i.values as unknown[]).map((v) => gotText(v)).join(', ')}`;
    case 'invalid_format':
      return i.format === 'regex' ? `a string matching ${i.pattern}` : `a valid ${i.format}`;
    case 'not_multiple_of':
      return `a multiple of ${num(i.divisor)}`;
    case 'unrecognized_keys':
      return 'no other keys';
    case 'invalid_union': {
      const alts = (i.errors as z.core.$ZodIssue[][] | undefined)?.map((errs) => (errs[0] ? expectedText(errs[0]) : '?')) ?? [];
      return alts.length ? [...new Set(alts)].join(' or ') : 'a valid value';
    }
    default:
      return issue.message;
  }
}

export interface ZodLinesOptions {
  /** how the source of a path is named, e.g. (p) => `gameday.config.json: chaos.${pathText(p)}` */
  source: (path: readonly PropertyKey[]) => string;
  /** the input that was parsed, to show the value got */
  input: unknown;
  /** keys the object accepts, shown for an unknown key */
  knownKeys?: (path: readonly PropertyKey[]) => readonly string[] | undefined;
}

/** One readable line per zod issue. */
export function zodIssueLines(error: z.ZodError, o: ZodLinesOptions): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const at = [...issue.path, k];
        const known = o.knownKeys?.(issue.path);
        lines.push(`${o.source(at)}: unknown key; expected ${known?.length ? `one of ${known.join(', ')}` : 'none here'}, got ${gotText(k)}`);
      }
      continue;
    }
    lines.push(issueLine(o.source(issue.path), expectedText(issue), valueAt(o.input, issue.path)));
  }
  return [...new Set(lines)];
}

/** A ConfigError (exit 2) holding one line per issue; the zod error is not chained (no JSON dump). */
export function zodConfigError(error: z.ZodError, o: ZodLinesOptions): ConfigError {
  return new ConfigError(zodIssueLines(error, o).join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Strict parsers for flag / environment strings (the config file holds JSON values already).

/** Plain decimal numbers only: "12", "0.5", "-3", "1e3" is rejected too, as are "0x10", " 1", "". */
export const DECIMAL = /^-?(\d+(\.\d+)?|\.\d+)$/;

/** A flag/env string as a number, or the input unchanged when it is not a plain decimal (the schema then rejects it). */
export function strictNumber(v: unknown): unknown {
  return typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** "500ms", "1.5m", "10s", "2h", "1m30s"; a bare number is taken in `bareUnit` (default seconds). */
export const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDurationMs(v: string, bareUnit: 'ms' | 's' = 's'): number | undefined {
  const s = v.trim();
  if (DECIMAL.test(s) && !s.startsWith('-')) return Number(s) * DURATION_UNITS[bareUnit]!;
  if (!DURATION.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(total);
}

// ---------------------------------------------------------------------------------------------
// Docker hosts, as DOCKER_HOST / --docker-host / chaos.dockerHost take them.

export const DOCKER_HOST_EXPECTED = 'unix:///path/to/docker.sock, tcp://HOST:PORT (port 1-65535) or ssh://USER@HOST[:PORT]';

export type DockerHostParts =
  | { protocol: 'unix'; socketPath: string }
  | { protocol: 'tcp'; host: string; port: number }
  | { protocol: 'ssh'; host: string; port: number; username: string };

/** Parses a docker host, or returns why not (the "expected" half of an error). */
export function parseDockerHost(value: unknown): { ok: true; parts: DockerHostParts } | { ok: false; expected: string } {
  const bad = { ok: false as const, expected: DOCKER_HOST_EXPECTED };
  if (typeof value !== 'string') return bad;
  const v = value.trim();
  const unix = /^unix:\/\/(\/[^\0]*)$/.exec(v);
  if (unix) return unix[1]!.length > 1 ? { ok: true, parts: { protocol: 'unix', socketPath: unix[1]! } } : bad;
  const host = String.raw`(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)`;
  const tcp = new RegExp(`^tcp://${host}(?::(\\d+))?/?$`).exec(v);
  if (tcp) {
    const port = tcp[2] === undefined ? 2375 : Number(tcp[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, expected: 'a tcp:// port from 1 to 65535' };
    return { ok: true, parts: { protocol: 'tcp', host: tcp[1]!.replace(/^\[|\]$/g, ''), port } };
  }
  const ssh = new RegExp(`^ssh://([A-Za-z0-9._-]+)@${host}(?::(\\d+))?/?$`).exec(v);
  if (ssh) {
    const port = ssh[3] === undefined ? 22 : Number(ssh[3]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, expected: 'an ssh:// port from 1 to 65535' };
    return { ok: true, parts: { protocol: 'ssh', host: ssh[2]!.replace(/^\[|\]$/g, ''), port, username: ssh[1]! } };
  }
  if (/^ssh:\/\/[^@]*$/.test(v)) return { ok: false, expected: 'ssh://USER@HOST[:PORT] (the user is required)' };
  return bad;
}
