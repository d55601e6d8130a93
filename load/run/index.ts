// Running the load engine for one load run: validate the SLO, find the target (embedded swarm
// unless given), check it answers, bundle, run the engine into a run folder, read the summary, close
// the folder. `startLoad` returns while the engine runs (chaos runs load in the background);
// `runLoad` waits. The engine is gameday-engine (load/engine) unless the user picks their own k6.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makePlan, type RunPlan } from '../lib/plan.ts';
import { PROFILE_DEFS, profileStages, totalSeconds } from '../lib/profiles.ts';
import { ConfigError, GamedayError } from '../../scripts/lib/errors.ts';
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { runDistributed, type DistributedResult } from './distributed.ts';
import { engineImageOptions, ensureEngineImage } from './engine-image.ts';
import { ensureLocalStack } from '../../scripts/lib/local-swarm.ts';
import { info, step, warn } from '../../scripts/lib/log.ts';
import { closeRunFolder, createRunFolder, runId, writeJson, type RunMeta } from '../../scripts/lib/run-folder.ts';
import { bundleScenario, LOAD_DIR } from './bundle.ts';
import { LOAD_DEFAULTS, type LoadConfig } from './config.ts';
import { gitRevision } from './git.ts';
import { ensureChromium, ENGINE_EXIT, engineVersion, findLoadEngine } from './load-engine.ts';
import { checkReachable } from './reachability.ts';
import { describeFailure, endpointRows, thresholdOutcomes, type EndpointRow, type K6Summary, type ThresholdOutcome } from './results.ts';
import { loadSlo, withExtraThresholds } from './slo.ts';

export const ARTIFACTS = {
  summary: 'k6-summary.json',
  timeseries: 'k6-timeseries.json.gz',
  log: 'k6.log',
  bundleDir: 'k6-bundle',
} as const;

export interface TargetInfo {
  ingressUrl: string;
  statsUrl?: string;
  dockerHost?: string;
  embedded: boolean;
  /** distributed runs: the URL the replicas use inside the swarm */
  swarmUrl?: string;
}

/** The embedded ingress as the swarm's tasks reach it (HAProxy service on the app's overlay network). */
export const EMBEDDED_SWARM_INGRESS = 'http://todo_ingress_haproxy:80';
export const DEFAULT_LOAD_NETWORK = 'todoapp';

export interface StartLoadOptions {
  /** resolved configuration (missing fields take LOAD_DEFAULTS) */
  config?: Partial<LoadConfig>;
  /** write the engine artifacts into this existing folder (owned by the caller, e.g. a chaos run):
   *  no run.json is created or closed here */
  runDir?: string;
  /** extra tags on every sample, e.g. { experiment: 'kill-api' } */
  tags?: Record<string, string>;
  /** skip the reachability check (the caller already knows the target answers) */
  skipReachability?: boolean;
  /** no progress lines on stderr */
  quiet?: boolean;
  /** distributed runs started by a caller that knows the swarm (chaos): its manager, the URL the
   *  replicas use inside it, and labels on the service (chaos marks its own for --recover) */
  swarm?: { dockerHost?: string; swarmUrl?: string; labels?: Record<string, string> };
}

export interface LoadResult {
  dir: string;
  plan: RunPlan;
  target: TargetInfo;
  verdict: 'pass' | 'fail' | 'interrupted' | 'error';
  /** process exit code for a CLI: 0 pass, 1 fail/error, 130 interrupted */
  exitCode: number;
  engineExitCode: number | null;
  thresholds: ThresholdOutcome[];
  failures: string[];
  endpoints: EndpointRow[];
  durationS?: number;
  /** when the engine started / ended (epoch ms): the frame to join time series with fault windows */
  startedAt: number;
  endedAt: number;
  /** custom metric values worth a line in the summary */
  extra: Record<string, string>;
}

export interface LoadHandle {
  dir: string;
  plan: RunPlan;
  target: TargetInfo;
  /** resolves when the engine has exited and the folder is closed */
  done: Promise<LoadResult>;
  /** asks the engine to stop gracefully (SIGINT: it still writes its summary); the run counts as interrupted */
  stop(): void;
  /** when the load sends its first requests (epoch ms): at once for a local engine; a distributed
   *  run's replicas start together at a time set once its service exists (undefined if it never does) */
  running: Promise<number | undefined>;
}

async function resolveTarget(cfg: LoadConfig): Promise<TargetInfo> {
  if (cfg.target) return { ingressUrl: cfg.target, embedded: false };
  // the embedded default: the local swarm, started if it is not up
  const s = await ensureLocalStack();
  return { ingressUrl: s.ingressUrl.replace(/\/+$/, ''), statsUrl: s.statsUrl, dockerHost: s.dockerHost, embedded: true };
}

/** Validates config and SLO, prepares target, folder and bundle, and starts the engine. */
export async function startLoad(opts: StartLoadOptions = {}): Promise<LoadHandle> {
  const cfg: LoadConfig = { ...LOAD_DEFAULTS, ...stripUndefined(opts.config ?? {}) };
  const say = opts.quiet ? () => undefined : step;

  // configuration errors first: nothing is started for a config that cannot run
  const slo = withExtraThresholds(await loadSlo(cfg.slo), cfg.thresholds);
  const engine = await findLoadEngine(cfg.engine);
  const browserPath = cfg.scenario === 'browser' ? await ensureChromium() : undefined;

  const distributed = cfg.distributed;
  if (distributed && cfg.engine !== 'gameday') throw new ConfigError(`--distributed: the replicas run gameday-engine on the swarm; --engine ${cfg.engine} cannot be distributed`);
  if (distributed && cfg.scenario === 'browser') throw new ConfigError('--distributed: the browser scenario needs chromium, which the engine image does not have; pick another --scenario');
  if (!cfg.target) say('no --target: using the embedded local swarm (starting it if needed)');
  const target = await resolveTarget(cfg);
  if (distributed) target.swarmUrl = opts.swarm?.swarmUrl ?? (target.embedded ? EMBEDDED_SWARM_INGRESS : target.ingressUrl);
  if (distributed && opts.swarm?.dockerHost) target.dockerHost = opts.swarm.dockerHost;
  if (distributed && !target.embedded && !opts.swarm?.swarmUrl) {
    say(`--distributed: ${target.ingressUrl} is not checked from here; the replicas reach it from inside the swarm`);
  } else if (!opts.skipReachability) {
    say(`checking ${target.ingressUrl} answers`);
    await checkReachable(target.ingressUrl);
  }
  const version = await engineVersion(engine);

  const label = `${cfg.scenario}-${cfg.profile}`;
  const meta: Omit<RunMeta, 'schemaVersion' | 'status'> = {
    id: runId('load', label),
    kind: 'load',
    startedAt: new Date().toISOString(),
    git: gitRevision(LOAD_DIR),
    target,
    profile: cfg.profile,
    scenario: cfg.scenario,
    engine: version,
    config: cfg,
  };
  const owned = !opts.runDir;
  const dir = opts.runDir ? path.resolve(opts.runDir) : createRunFolder(cfg.outDir, meta);
  fs.mkdirSync(dir, { recursive: true });

  const plan = makePlan({
    target: target.swarmUrl ?? target.ingressUrl,
    scenario: cfg.scenario,
    profile: cfg.profile,
    slo,
    rate: cfg.rate,
    durationS: cfg.durationS,
    ryw: { timeoutMs: cfg.rywTimeoutMs, pollMs: cfg.rywPollMs },
    httpTimeoutS: cfg.httpTimeoutS,
    summaryPath: path.join(dir, ARTIFACTS.summary),
    tags: opts.tags,
  });
  if (owned) writeJson(dir, 'run.json', { ...readMeta(dir), config: { ...cfg, slo: cfg.slo ?? 'load/slo.ts', plan } });
  else writeJson(dir, 'k6-plan.json', plan);

  let bundle: string;
  try {
    bundle = await bundleScenario(cfg.scenario, path.join(dir, ARTIFACTS.bundleDir));
  } catch (err) {
    if (owned) closeRunFolder(dir, { status: 'failed', verdict: 'fail', exitCode: 1, failures: ['bundling failed'] });
    throw err;
  }

  const totalS = totalSeconds(profileStages(PROFILE_DEFS[cfg.profile], cfg.durationS));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GAMEDAY_PLAN: JSON.stringify(plan),
    K6_NO_USAGE_REPORT: 'true', // a user's own k6: no traffic leaves the machine
    ...(browserPath
      ? {
          K6_BROWSER_EXECUTABLE_PATH: browserPath,
          K6_BROWSER_HEADLESS: 'true',
          // chromium refuses to run as root with its sandbox on
          ...(process.getuid?.() === 0 ? { K6_BROWSER_ARGS: [process.env.K6_BROWSER_ARGS, 'no-sandbox'].filter(Boolean).join(',') } : {}),
        }
      : {}),
  };
  const args = ['run', '--no-color', '--out', `json=${path.join(dir, ARTIFACTS.timeseries)}`, ...cfg.engineFlags, bundle];

  if (distributed) {
    return startDistributed({ cfg, opts, dir, plan, target, owned, bundle, engineBin: engine.bin, version, totalS, say });
  }
  say(`${version}: ${cfg.scenario} / ${cfg.profile} (${totalS} s planned) -> ${path.relative(process.cwd(), dir) || dir}`);
  const log = fs.createWriteStream(path.join(dir, ARTIFACTS.log));
  log.write(`$ ${path.basename(engine.bin)} ${args.join(' ')}\n`);
  const startedAt = Date.now();
  // own process group: a terminal Ctrl-C reaches us once and is forwarded once (a second SIGINT
  // would make the engine stop hard, without its summary)
  const child = spawn(engine.bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let interrupted = false;
  const stop = () => {
    if (interrupted) return;
    interrupted = true;
    if (child.exitCode === null) child.kill('SIGINT');
  };
  const onSignal = () => {
    if (!opts.quiet) warn('interrupt: stopping the load engine (it writes its summary first)');
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  pipeOutput(child, log, opts.quiet);

  const done = (async (): Promise<LoadResult> => {
    let code: number | null;
    try {
      code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c) => resolve(c));
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await new Promise<void>((r) => log.end(r));
    }
    return finish({ dir, plan, target, owned, code, interrupted, startedAt, endedAt: Date.now() });
  })();
  return { dir, plan, target, done, stop, running: Promise.resolve(startedAt) };
}

export async function runLoad(opts: StartLoadOptions = {}): Promise<LoadResult> {
  return (await startLoad(opts)).done;
}

function startDistributed(x: {
  cfg: LoadConfig;
  opts: StartLoadOptions;
  dir: string;
  plan: RunPlan;
  target: TargetInfo;
  owned: boolean;
  bundle: string;
  engineBin: string;
  version: string;
  totalS: number;
  say: (line: string) => void;
}): LoadHandle {
  const n = x.cfg.distributed!;
  const abort = new AbortController();
  let interrupted = false;
  const stop = () => {
    if (interrupted) return;
    interrupted = true;
    abort.abort();
  };
  const onSignal = () => {
    if (!x.opts.quiet) warn('interrupt: stopping the load replicas (they end their metric streams first); what arrived is still aggregated');
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const log = fs.createWriteStream(path.join(x.dir, ARTIFACTS.log));
  const startedAt = Date.now();
  let startsAt!: (t: number | undefined) => void;
  const running = new Promise<number | undefined>((r) => (startsAt = r));
  const done = (async (): Promise<LoadResult> => {
    let r: DistributedResult | undefined;
    let error: unknown;
    try {
      x.say(`engine image for ${n} replica(s) (built once per engine source, pushed to the swarm's registry)`);
      const image = await ensureEngineImage({ ...engineImageOptions(), log: (l) => log.write(`${l}\n`) });
      x.say(`${x.version} x ${n} on the swarm: ${x.cfg.scenario} / ${x.cfg.profile} (${x.totalS} s planned) against ${x.target.swarmUrl} -> ${path.relative(process.cwd(), x.dir) || x.dir}`);
      r = await runDistributed({
        docker: swarmDocker(x.target.dockerHost),
        engineBin: x.engineBin,
        image,
        replicas: n,
        network: process.env.GAMEDAY_LOAD_NETWORK || DEFAULT_LOAD_NETWORK,
        bundle: x.bundle,
        dir: x.dir,
        timeseriesFile: path.join(x.dir, ARTIFACTS.timeseries),
        // inside the containers the summary goes nowhere: the merged one is written here by aggregate
        replicaEnv: { GAMEDAY_PLAN: JSON.stringify({ ...x.plan, summaryPath: '/tmp/k6-summary.json' }) },
        aggregateEnv: { ...process.env, GAMEDAY_PLAN: JSON.stringify(x.plan) },
        engineFlags: x.cfg.engineFlags,
        labels: x.opts.swarm?.labels,
        timeoutMs: (x.totalS + 30 + 20 + 120) * 1000,
        signal: abort.signal,
        onStartAt: (t) => startsAt(t),
        log: (l) => log.write(`${l}\n`),
        say: x.opts.quiet ? undefined : (l) => info(l),
      });
    } catch (err) {
      error = err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      startsAt(undefined); // never started: whoever waits for it goes on
      await new Promise<void>((res) => log.end(res));
    }
    if (error && x.owned) closeRunFolder(x.dir, { status: 'failed', verdict: 'fail', exitCode: 1, failures: [`distributed run failed: ${(error as Error).message}`] });
    if (error) throw error;
    const res = finish({
      dir: x.dir,
      plan: x.plan,
      target: x.target,
      owned: x.owned,
      code: r!.code,
      interrupted: interrupted || r!.interrupted,
      startedAt,
      endedAt: Date.now(),
      notes: r!.warnings,
    });
    const lines = r!.replicas.reduce((a, b) => a + b.lines, 0);
    res.extra.distributed = `${r!.replicas.length} of ${n} replicas (service ${r!.service}, start ${r!.startAt}), ${lines} metric lines merged${r!.warnings.length ? `; ${r!.warnings.length} problem(s)` : ''}`;
    return res;
  })();
  return { dir: x.dir, plan: x.plan, target: x.target, done, stop, running };
}

function finish(x: {
  dir: string;
  plan: RunPlan;
  target: TargetInfo;
  owned: boolean;
  code: number | null;
  interrupted: boolean;
  startedAt: number;
  endedAt: number;
  /** problems of a distributed run (a replica failed, lines lost): they fail an otherwise passing run */
  notes?: string[];
}): LoadResult {
  const summaryFile = path.join(x.dir, ARTIFACTS.summary);
  const summary = fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as K6Summary) : undefined;
  const thresholds = summary ? thresholdOutcomes(summary) : [];
  const failures = summary ? thresholds.filter((t) => !t.ok).map((t) => describeFailure(summary, t)) : [];
  let verdict: LoadResult['verdict'];
  if (x.interrupted) verdict = 'interrupted';
  else if (x.code === 0 && !failures.length) verdict = 'pass';
  else if (x.code === 0 || x.code === 99) verdict = 'fail';
  else verdict = 'error';
  if (verdict === 'error' || (verdict === 'fail' && !failures.length)) {
    failures.push(`the load engine exited with code ${x.code ?? 'signal'}${x.code !== null && ENGINE_EXIT[x.code] ? ` (${ENGINE_EXIT[x.code]})` : ''}: see ${ARTIFACTS.log}`);
  }
  if (!summary && verdict !== 'interrupted') failures.push(`the load engine wrote no summary (${ARTIFACTS.summary})`);
  if (x.notes?.length) {
    failures.push(...x.notes);
    if (verdict === 'pass') verdict = 'fail';
  }
  const exitCode = verdict === 'pass' ? 0 : verdict === 'interrupted' ? 130 : 1;
  if (x.owned) {
    closeRunFolder(x.dir, {
      status: verdict === 'interrupted' ? 'interrupted' : verdict === 'error' ? 'failed' : 'completed',
      verdict: verdict === 'pass' ? 'pass' : verdict === 'interrupted' ? undefined : 'fail',
      exitCode,
      failures,
    });
  }
  const extra: Record<string, string> = {};
  const ryw = summary?.metrics.read_your_writes_ms?.values;
  const vis = summary?.metrics.read_your_writes_visible?.values;
  if (ryw?.count) {
    extra['read-your-writes'] = `p50 ${ryw['p(50)'].toFixed(0)} ms, p95 ${ryw['p(95)'].toFixed(0)} ms, max ${ryw.max.toFixed(0)} ms over ${ryw.count} writes${vis ? `, ${((vis.rate ?? 0) * 100).toFixed(1)}% visible in time` : ''}`;
  }
  const visible = summary?.metrics.browser_item_visible_ms?.values;
  const lcp = summary?.metrics.browser_web_vital_lcp?.values;
  if (visible?.count || lcp?.count) {
    const p95 = (v?: Record<string, number>) => (v?.count ? `${v['p(95)'].toFixed(0)} ms` : '–');
    extra.browser = `added item visible p95 ${p95(visible)} (${visible?.count ?? 0} items), LCP p95 ${p95(lcp)}, FCP p95 ${p95(summary?.metrics.browser_web_vital_fcp?.values)}`;
  }
  const dropped = summary?.metrics.dropped_iterations?.values?.count;
  const iterations = summary?.metrics.iterations?.values?.count;
  if (iterations !== undefined) extra.iterations = `${iterations} done, ${dropped ?? 0} dropped by the generator`;
  return {
    dir: x.dir,
    plan: x.plan,
    target: x.target,
    verdict,
    exitCode,
    engineExitCode: x.code,
    thresholds,
    failures,
    endpoints: summary ? endpointRows(summary) : [],
    durationS: summary?.state?.testRunDurationMs ? summary.state.testRunDurationMs / 1000 : undefined,
    startedAt: x.startedAt,
    endedAt: x.endedAt,
    extra,
  };
}

/** engine output -> k6.log; a progress line every 10 s and the engine's warnings/errors to stderr. */
function pipeOutput(child: ChildProcess, log: fs.WriteStream, quiet?: boolean): void {
  let lastProgress = 0;
  const onData = (buf: Buffer) => {
    log.write(buf);
    if (quiet) return;
    for (const line of buf.toString('utf8').split('\n')) {
      if (/level=(error|warning)/.test(line)) warn(`engine: ${line.replace(/^time="[^"]*"\s*/, '')}`);
      else if (/^running \(/.test(line) && Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        info(line.trim());
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
}

function readMeta(dir: string): RunMeta {
  return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunMeta;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Renders the run folder with reports/render.ts when that module exists; returns what it reports. */
export async function renderIfAvailable(dir: string): Promise<string | undefined> {
  const spec = pathToFileURL(path.join(LOAD_DIR, '..', 'reports', 'render.ts')).href;
  let mod: { renderRunFolder?: (d: string) => unknown };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && !fs.existsSync(new URL(spec))) return undefined;
    throw new GamedayError('E_FAILED', `rendering the report of ${dir} failed`, 1, { cause: err });
  }
  if (typeof mod.renderRunFolder !== 'function') return undefined;
  const out = await mod.renderRunFolder(dir);
  if (typeof out === 'string') return out;
  const html = path.join(dir, 'report.html');
  return fs.existsSync(html) ? html : undefined;
}
