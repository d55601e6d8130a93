// Flags shared by `npm run chaos` and `npm run gameday`, validated once at the edge. Precedence:
// flags > environment (GAMEDAY_*, DOCKER_HOST) > defaults. Errors name the flag, expected and got.
import { Command, CommanderError } from 'commander';
import { defaults } from '../scripts/lib/defaults.ts';
import { ConfigError } from '../scripts/lib/errors.ts';
import { resolveTargetOptions, type ResolvedTarget } from './target.ts';
import type { LoadOptions } from './session.ts';

export const CHAOS_DEFAULTS = {
  probeRate: 10,
  writeRate: 5,
  loadRate: 2,
  maxShare: undefined as number | undefined,
};

/** Parses argv; commander's own usage errors (unknown option, missing value) are ConfigErrors (exit 2). */
export function parseArgs(program: Command): 'help' | 'ok' {
  program.exitOverride();
  program.configureOutput({ writeErr: () => undefined });
  try {
    program.parse();
    return 'ok';
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 'help'; // --help printed its text already
      throw new ConfigError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('-t, --target <url>', 'ingress URL of the app under test (env GAMEDAY_TARGET; default: the embedded local swarm)')
    .option('--stats-url <url>', 'HAProxy stats URL (env GAMEDAY_STATS_URL; default with the embedded swarm)')
    .option('--docker-host <host>', 'swarm manager API, e.g. tcp://127.0.0.1:12375 (env DOCKER_HOST)')
    .option('-r, --rate <n>', `probe requests/s per endpoint and connection mode (env GAMEDAY_CHAOS_RATE; default ${CHAOS_DEFAULTS.probeRate})`)
    .option('--write-rate <n>', `write-ledger creates/s (env GAMEDAY_CHAOS_WRITE_RATE; default ${CHAOS_DEFAULTS.writeRate})`)
    .option('--load-rate <n>', `k6 load in the background, iterations/s (env GAMEDAY_CHAOS_LOAD_RATE; default ${CHAOS_DEFAULTS.loadRate})`)
    .option('--no-load', 'no k6 load in the background (the probe and the write ledger still run)')
    .option('--max-share <x>', 'blast radius: max share (0..1] of a service\'s tasks one fault may kill (default: per experiment, 0.5)')
    .option('--allow-manager', 'allow node faults on a manager (never the last one)')
    .option('-o, --out-dir <dir>', `where run folders go (env GAMEDAY_OUT_DIR; default ${defaults.reportsDir})`);
}

function num(flag: string, raw: unknown, envName: string, def: number | undefined, min: number, max: number): number | undefined {
  const fromEnv = process.env[envName];
  const v = raw ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${raw !== undefined ? flag : envName}: expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function url(flag: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    return v;
  } catch {
    throw new ConfigError(`${flag}: expected an http(s) URL, got ${JSON.stringify(v)}`);
  }
}

export interface CommonOptions {
  target: ResolvedTarget;
  probeRate: number;
  writeRate: number;
  load: LoadOptions;
  maxShare?: number;
  allowManager: boolean;
  outDir: string;
}

export function resolveCommon(o: Record<string, unknown>): CommonOptions {
  const dockerHost = (o.dockerHost as string | undefined) ?? undefined;
  if (dockerHost !== undefined && !/^(tcp|unix):\/\//.test(dockerHost)) {
    throw new ConfigError(`--docker-host: expected tcp://HOST:PORT or unix:///path, got ${JSON.stringify(dockerHost)}`);
  }
  const target = resolveTargetOptions({
    target: url('--target', (o.target as string | undefined) ?? process.env.GAMEDAY_TARGET),
    statsUrl: url('--stats-url', (o.statsUrl as string | undefined) ?? process.env.GAMEDAY_STATS_URL),
    dockerHost,
  });
  return {
    target,
    probeRate: num('--rate', o.rate, 'GAMEDAY_CHAOS_RATE', CHAOS_DEFAULTS.probeRate, 1, 200)!,
    writeRate: num('--write-rate', o.writeRate, 'GAMEDAY_CHAOS_WRITE_RATE', CHAOS_DEFAULTS.writeRate, 0, 100)!,
    load: {
      enabled: o.load !== false && process.env.GAMEDAY_CHAOS_LOAD !== '0',
      rate: num('--load-rate', o.loadRate, 'GAMEDAY_CHAOS_LOAD_RATE', CHAOS_DEFAULTS.loadRate, 0.1, 500)!,
    },
    maxShare: num('--max-share', o.maxShare, 'GAMEDAY_CHAOS_MAX_SHARE', CHAOS_DEFAULTS.maxShare, 0.01, 1),
    allowManager: Boolean(o.allowManager),
    outDir: (o.outDir as string | undefined) ?? process.env.GAMEDAY_OUT_DIR ?? defaults.reportsDir,
  };
}

/** First Ctrl-C/SIGTERM: stop the method, roll back, write the journal. Second: leave now (the ledger remembers). */
export function interruptController(log: (l: string) => void): AbortController {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log(`${sig}: stopping; rolling back every injected fault (again to leave at once; then run \`npm run chaos -- --recover\`)`);
      ac.abort();
    } else {
      process.stderr.write(`${sig} again: leaving now; faults still in place are in the ledger (npm run chaos -- --recover)\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac;
}
