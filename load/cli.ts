// `npm run load`: one command before every release. Thin: parse, resolve config, run, print.
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { PROFILES, SCENARIOS } from './lib/catalog.ts';
import { PROFILE_DEFS } from './lib/profiles.ts';
import { ConfigError, runMain } from '../scripts/lib/errors.ts';
import { ok, warn } from '../scripts/lib/log.ts';
import { locateConfigFile } from '../scripts/lib/config-file.ts';
import { CONFIG_FILE, LOAD_DEFAULTS, readConfigFile, readEnv, resolveConfig, type RawValues } from './run/config.ts';
import { renderIfAvailable, runLoad } from './run/index.ts';
import { renderSummary } from './run/render.ts';

const collect = (v: string, acc: string[]) => [...acc, v];
// "--engine-flag='--tag team=qa'" is two engine arguments
const collectWords = (v: string, acc: string[]) => [...acc, ...v.split(/\s+/).filter(Boolean)];

const program = new Command('npm run load')
  .description(
    'Run the k6 load scenarios against the TODO app and give a verdict against the SLOs in load/slo.ts.\n' +
      'With no --target the embedded local swarm is used (started if needed).\n\n' +
      'Precedence: flags > environment (GAMEDAY_*) > gameday.config.json ("load" section) > defaults.\n' +
      'Exit codes: 0 pass, 1 a threshold failed, 2 bad configuration, 3 target unreachable, 5 tool missing, 130 interrupted.',
  )
  .addOption(new Option('-p, --profile <name>', `load profile (env GAMEDAY_PROFILE; default ${LOAD_DEFAULTS.profile})`).choices([...PROFILES]))
  .addOption(new Option('-s, --scenario <name>', `scenario (env GAMEDAY_SCENARIO; default ${LOAD_DEFAULTS.scenario})`).choices([...SCENARIOS]))
  .option('-t, --target <url>', 'ingress URL of an already running app; nothing local is started (env GAMEDAY_TARGET)')
  .option('-d, --duration <duration>', "stretch/shrink the profile to this total, e.g. 90s, 5m (env GAMEDAY_DURATION)")
  .option('-r, --rate <n>', 'base arrival rate in iterations/s (env GAMEDAY_RATE)')
  .option('-o, --out-dir <dir>', `where run folders go (env GAMEDAY_OUT_DIR; default ${LOAD_DEFAULTS.outDir})`)
  .option('--slo <file>', 'SLO file instead of load/slo.ts (env GAMEDAY_SLO)')
  .option('--threshold <metric=expr>', 'extra threshold, repeatable, e.g. "http_req_duration{endpoint:api-list}=p(95)<300"', collect, [] as string[])
  .option('--http-timeout <duration>', `timeout of every HTTP request of the scenarios (env GAMEDAY_HTTP_TIMEOUT; default ${LOAD_DEFAULTS.httpTimeoutS}s)`)
  .option('--ryw-timeout <duration>', `how long a write may take to show up in the list (env GAMEDAY_RYW_TIMEOUT; default ${LOAD_DEFAULTS.rywTimeoutMs / 1000}s)`)
  .option('--ryw-poll <duration>', `poll interval while waiting for it (env GAMEDAY_RYW_POLL; default ${LOAD_DEFAULTS.rywPollMs}ms)`)
  .addOption(new Option('--engine <name>', 'gameday (ours, the default) or k6 (a k6 on your PATH; never downloaded) (env GAMEDAY_ENGINE)').choices(['gameday', 'k6']))
  .option('--engine-flag <flag>', "pass flags through to `<engine> run`, repeatable (e.g. --engine-flag='--tag team=qa')", collectWords, [] as string[])
  .option(
    '--distributed <n>',
    'run the engine as a swarm service with N replicas (1..32), one execution segment each, merged into one run (env GAMEDAY_DISTRIBUTED). ' +
      'The replicas run inside the swarm: with the embedded default they use the ingress by its in-swarm name; a --target must be reachable from inside the swarm (on the overlay network GAMEDAY_LOAD_NETWORK, default todoapp)',
  )
  .option('--config <file>', `config file (default ./${CONFIG_FILE})`)
  .addHelpText(
    'after',
    `\nProfiles:\n${PROFILES.map((p) => `  ${p.padEnd(11)} ${PROFILE_DEFS[p].description}`).join('\n')}\n` +
      `\nScenarios: ${SCENARIOS.join(', ')}\n`,
  );

// commander's own usage errors (unknown option, bad choice) are configuration errors: exit 2
program.exitOverride();
program.configureOutput({ writeErr: () => undefined });

async function main(): Promise<number> {
  try {
    program.parse();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      throw new ConfigError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
  const o = program.opts<Record<string, unknown>>();
  const flags: RawValues = {
    target: o.target,
    profile: o.profile,
    scenario: o.scenario,
    durationS: o.duration,
    rate: o.rate,
    outDir: o.outDir,
    slo: o.slo,
    thresholds: (o.threshold as string[]).length ? o.threshold : undefined,
    httpTimeoutS: o.httpTimeout,
    rywTimeoutMs: o.rywTimeout,
    rywPollMs: o.rywPoll,
    engine: o.engine,
    engineFlags: (o.engineFlag as string[]).length ? o.engineFlag : undefined,
    distributed: o.distributed,
  };
  const where = locateConfigFile(o.config as string | undefined);
  const file = readConfigFile(where.file, where);
  const config = resolveConfig({ flags, env: readEnv(process.env), file: file.values, fileLabel: file.label });

  const result = await runLoad({ config });
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  process.stdout.write(
    `\n${renderSummary({
      verdict: result.verdict,
      scenario: result.plan.scenario,
      profile: result.plan.profile,
      target: result.target.ingressUrl,
      durationS: result.durationS,
      rows: result.endpoints,
      thresholds: result.thresholds,
      failures: result.failures,
      dir: path.relative(process.cwd(), result.dir) || result.dir,
      extra: result.extra,
      color,
    })}\n`,
  );
  try {
    const report = await renderIfAvailable(result.dir);
    if (report) ok(`report: ${path.relative(process.cwd(), report) || report}`);
  } catch (err) {
    warn(`report not rendered: ${(err as Error).message}`);
  }
  return result.exitCode;
}

await runMain(main);
