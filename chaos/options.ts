// Flags shared by `npm run chaos` and `npm run gameday`, validated once at the edge. Precedence:
// flags > environment (GAMEDAY_*, DOCKER_HOST) > gameday.config.json ("chaos" section) > defaults
// (chaos/config.ts). Errors name the flag, variable or file key, expected and got.
import path from 'node:path';
import { agentOptionsFromEnv } from './agent/config.ts';
import { Command, CommanderError } from 'commander';
import { CONFIG_ENV, CONFIG_FILE } from '../scripts/lib/config-file.ts';
import { ConfigError } from '../scripts/lib/errors.ts';
import { CHAOS_DEFAULTS, CHAOS_FIELDS, readChaosFile, resolveField, sourceLabel, type ChaosField, type ChaosFile, type ChaosRaw, type ChaosSources } from './config.ts';
import { resolveTargetOptions, type ResolvedTarget } from './target.ts';
import type { LoadOptions } from './session.ts';
import { loadTargetFile } from './targets/load.ts';
import { TODO_TARGET, type AppTarget } from './targets/schema.ts';

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
    .option('--docker-host <host>', 'swarm manager API, e.g. tcp://127.0.0.1:12375 (env DOCKER_HOST; file chaos.dockerHost)')
    .option('-r, --rate <n>', `probe requests/s per endpoint and connection mode (env GAMEDAY_CHAOS_RATE; default ${CHAOS_DEFAULTS.probeRate})`)
    .option('--write-rate <n>', `write-ledger creates/s (env GAMEDAY_CHAOS_WRITE_RATE; default ${CHAOS_DEFAULTS.writeRate})`)
    .option('--load-rate <n>', `k6 load in the background, iterations/s (env GAMEDAY_CHAOS_LOAD_RATE; default ${CHAOS_DEFAULTS.loadRate})`)
    .option('--load-distributed <n>', 'run the background load as a swarm service of N engine replicas, merged into the run folder (env GAMEDAY_CHAOS_LOAD_DISTRIBUTED; default: one engine on this machine)')
    .option('--no-load', 'no k6 load in the background; the probe and the write ledger still run (env GAMEDAY_CHAOS_LOAD=0)')
    .option('--max-share <x>', 'blast radius: max share (0..1] of a service\'s tasks one fault may kill (env GAMEDAY_CHAOS_MAX_SHARE; default: per experiment, 0.5)')
    .option('--prometheus', 'live metrics: Prometheus (Debian\'s, installed on first use) scrapes the load engine and HAProxy every second; the report charts them under the fault bands (env GAMEDAY_PROMETHEUS; file chaos.prometheus)')
    .option('--allow-manager', 'allow node faults on a manager, never the last one (env GAMEDAY_CHAOS_ALLOW_MANAGER)')
    .option('-o, --out-dir <dir>', `where run folders go (env GAMEDAY_OUT_DIR; default ${CHAOS_DEFAULTS.outDir})`)
    .option('--target-file <file>', 'the app under test as data: its services by role, probe and write endpoints, DB facts (YAML/JSON; env GAMEDAY_TARGET_FILE; file chaos.targetFile; default: the TODO app)')
    .option('--agent-registry <host>', 'registry (host[:port]) the chaos agent image is pushed to and the swarm nodes pull from (env GAMEDAY_AGENT_REGISTRY; default: the local registry)')
    .option('--config <file>', `config file, "chaos" section and top-level "target" (env ${CONFIG_ENV}; default ./${CONFIG_FILE})`);
}

export interface CommonOptions {
  target: ResolvedTarget;
  /** the app under test: services by role, endpoints, DB facts (chaos/targets/) */
  app: AppTarget;
  probeRate: number;
  writeRate: number;
  load: LoadOptions;
  maxShare?: number;
  allowManager: boolean;
  /** live metrics through a local Prometheus (chaos/live-metrics/) */
  prometheus: boolean;
  outDir: string;
  /** the config file that was read, if any (recorded in run.json) */
  configFile?: string;
}

/** What the user typed: commander's defaults (e.g. load=true behind --no-load) are not flags. */
export function flagsOf(program: Command): ChaosRaw {
  const o = program.opts<Record<string, unknown>>();
  const flags: ChaosRaw = {};
  for (const field of Object.keys(CHAOS_FIELDS) as ChaosField[]) {
    if (program.getOptionValueSource(field) === 'cli') flags[field] = o[field];
  }
  return flags;
}

/** flags > environment > config file > CHAOS_DEFAULTS, for the options both commands share. */
export function resolveCommon(flags: ChaosRaw, src: { env?: NodeJS.ProcessEnv; file?: ChaosFile } = {}): CommonOptions {
  const sources: ChaosSources = { flags, env: src.env ?? process.env, file: src.file ?? { values: {}, label: '' } };
  const get = <T>(field: ChaosField, def: T): T => (resolveField(field, sources)?.value as T | undefined) ?? def;
  const dockerHost = resolveField('dockerHost', sources);
  const target = resolveTargetOptions({
    target: get<string | undefined>('target', undefined),
    statsUrl: get<string | undefined>('statsUrl', undefined),
    // DOCKER_HOST from the environment is used, but is not an explicit choice of target
    dockerHost: dockerHost && dockerHost.from !== 'env' ? (dockerHost.value as string) : undefined,
    envDockerHost: dockerHost?.from === 'env' ? (dockerHost.value as string) : undefined,
    dockerHostSource: dockerHost ? sourceLabel('dockerHost', dockerHost.from, sources.file) : undefined,
  });
  const targetFile = resolveField('targetFile', sources);
  const app = targetFile ? loadTargetFile(path.resolve(targetFile.value as string), sourceLabel('targetFile', targetFile.from, sources.file)) : TODO_TARGET;
  return {
    target,
    app,
    probeRate: get('rate', CHAOS_DEFAULTS.probeRate),
    writeRate: get('writeRate', CHAOS_DEFAULTS.writeRate),
    load: ((distributed) => ({ enabled: get('load', CHAOS_DEFAULTS.load), rate: get('loadRate', CHAOS_DEFAULTS.loadRate), ...(distributed !== undefined ? { distributed } : {}) }))(get<number | undefined>('loadDistributed', undefined)),
    maxShare: get('maxShare', CHAOS_DEFAULTS.maxShare),
    allowManager: get('allowManager', CHAOS_DEFAULTS.allowManager),
    prometheus: get('prometheus', CHAOS_DEFAULTS.prometheus),
    outDir: get('outDir', CHAOS_DEFAULTS.outDir),
    configFile: src.file?.file,
  };
}

/** The whole edge of a chaos command: config file, environment and flags into CommonOptions. */
export function resolveCommand(program: Command): { common: CommonOptions; sources: ChaosSources } {
  const flags = flagsOf(program);
  const agentRegistry = program.opts<{ agentRegistry?: string }>().agentRegistry;
  if (agentRegistry !== undefined) {
    // validated here (exit 2 naming the flag); the context reads it where the env would be
    agentOptionsFromEnv({ GAMEDAY_AGENT_REGISTRY: agentRegistry }, '--agent-registry');
    process.env.GAMEDAY_AGENT_REGISTRY = agentRegistry;
  }
  const file = readChaosFile(program.opts<{ config?: string }>().config);
  return { common: resolveCommon(flags, { env: process.env, file }), sources: { flags, env: process.env, file } };
}

/** Ctrl-C/SIGTERM where there is nothing to roll back: say so and leave (exit listeners release the lock). */
export function leaveOnSignal(message: (sig: NodeJS.Signals) => string): void {
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`${message(sig)}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
