// One chaos session = one run folder: `npm run chaos` (one experiment) and `npm run gameday` (a
// sequence under continuous load) both go through here.
//   validate plans -> target is a swarm, marked allowed -> recover the ledger -> targets exist and
//   are healthy -> run folder -> measurements (+ k6 load in the background) -> experiments ->
//   stop load and measurements -> lost-write check -> verdicts -> journal, verdicts, close, render.
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, SafetyError } from '../scripts/lib/errors.ts';
import { defaults } from '../scripts/lib/defaults.ts';
import { readStatsPassword } from '../scripts/lib/stats-password.ts';
import { closeRunFolder, createRunFolder, runId, type LostWriteResult, type RunMeta, type Verdict } from '../scripts/lib/run-folder.ts';
import { startWatcher, swarmStateReader } from './convergence.ts';
import { faults as defaultFaults, type FaultRegistry } from './faults/index.ts';
import type { ChaosContext } from './faults/types.ts';
import { disarmFault } from './agent/deadman.ts';
import { Ledger, describeOtherSwarms, recordsOfOtherSwarms, recoverLedger, type RecoverResult } from './ledger.ts';
import { ledgerPathFor, swarmStateDir } from './state.ts';
import { checkLostWrites, startMeasurements, type Measurements } from './measure/index.ts';
import { warmAgentImage } from './agent/warm.ts';
import { writeApiOf } from './measure/writer.ts';
import type { Experiment } from './model.ts';
import { Progress, verdictTable } from './output.ts';
import { experimentServices, planExperiment, type PlannedStep } from './plan.ts';
import { runExperiment, type ExperimentResult } from './runner.ts';
import { accessOf, checkAllowed, checkHostAccess, checkNotDegraded, checkServicesExist, checkStaticBlastRadius, checkSwarm } from './safety.ts';
import { steadyStateCheck, waitSteadyState } from './steady-state.ts';
import { chaosContext, ensureTarget, steadyEnv, type ResolvedTarget } from './target.ts';
import { verdictOk } from './verdicts.ts';
import { replicationStatus } from './replication.ts';
import { TODO_TARGET, type AppTarget } from './targets/schema.ts';
import { judgeSession } from './session-results.ts';
import { freeLoopbackPort, startLiveMetrics, type LiveMetrics } from './live-metrics/prometheus.ts';
import { liveMetricsJobs } from './live-metrics/scrape-config.ts';
import { agentSql, dbSource } from './agent/sql.ts';
import type { TaskContainer } from './measure/db-tasks.ts';

export interface LoadOptions {
  enabled: boolean;
  /** k6 base arrival rate (iterations/s of the mixed scenario) */
  rate: number;
  /** run it as a swarm service of N engine replicas (issue 13); unset: one engine on this machine */
  distributed?: number;
}

export interface SessionOptions {
  kind: 'chaos' | 'gameday';
  label: string;
  planFile?: string;
  experiments: Experiment[];
  target: ResolvedTarget;
  /** the app under test by role (chaos/targets/); default: the TODO app */
  app?: AppTarget;
  /** the caller brought the target up already (chaos/command.ts) */
  targetReady?: boolean;
  outDir: string;
  probeRate: number;
  writeRate: number;
  load: LoadOptions;
  /** overrides each experiment's maxShare when given */
  maxShare?: number;
  allowManager: boolean;
  /** live metrics: a local Prometheus scrapes the load engine and HAProxy (chaos/live-metrics/) */
  prometheus?: boolean;
  signal: AbortSignal;
  registry?: FaultRegistry;
  ledger?: Ledger;
  config: unknown;
}

export interface SessionResult {
  dir: string;
  status: RunMeta['status'];
  verdicts: Verdict[];
  exitCode: number;
  results: ExperimentResult[];
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Undo whatever a dead run left in the ledger on this swarm (also `--recover`). */
export async function recoverWith(ctx: ChaosContext, ledger: Ledger, registry: FaultRegistry, swarmId?: string): Promise<RecoverResult[]> {
  return recoverLedger(
    ledger,
    async (rec) => {
      const fault = registry.get(rec.entry.kind);
      if (!fault) throw new Error(`unknown fault kind ${rec.entry.kind} in the ledger`);
      await fault.undo(ctx, rec.entry);
      await disarmFault(ctx, rec.entry);
    },
    ctx.log,
    { swarmId },
  );
}

function estimateMs(experiments: Experiment[]): number {
  let ms = 0;
  for (const e of experiments) {
    ms += e.timing.beforeMs + e.timing.afterMs + 30_000;
    for (const s of e.method) ms += s.type === 'wait' ? s.ms : s.holdMs + 20_000;
  }
  return ms;
}

export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const registry = o.registry ?? defaultFaults;
  const progress = new Progress(o.label);
  const log = (line: string) => progress.log(line);

  // 1. everything that can be validated without touching the target
  const experiments = o.experiments.map((e) => (o.maxShare !== undefined ? { ...e, maxShare: o.maxShare } : e));
  const plans: PlannedStep[][] = experiments.map((e) => planExperiment(e, registry));
  experiments.forEach((e, i) => checkStaticBlastRadius(plans[i]!, e.maxShare));

  // 2. the target: a reachable swarm manager, marked allowed
  if (!o.targetReady) await ensureTarget(o.target, log);
  const probeCtx = chaosContext(o.target, { maxShare: experiments[0]?.maxShare ?? 0.5, allowManager: o.allowManager, log });
  const identity = await checkSwarm(probeCtx.swarm, o.target.dockerHost, o.target.dockerHostSource);
  const ctx: ChaosContext = { ...probeCtx, swarmId: identity.clusterId };
  const ledger = o.ledger ?? new Ledger(ledgerPathFor(identity.clusterId));
  plans.forEach((p) => checkHostAccess(p, accessOf(ctx), o.target.dockerHost));
  await checkAllowed(ctx.swarm);
  for (const [i, e] of experiments.entries()) await checkServicesExist(ctx.swarm, experimentServices(e, plans[i]!), `experiment ${e.id}`);
  const app = o.app ?? TODO_TARGET;
  // the lost-write read-back's credentials exist before anything is touched
  const sql = ctx.agent && app.roles.dbPrimary ? agentSql(ctx.swarm, { image: ctx.agent.image.bind(ctx.agent), owner: ctx.agent.owner, db: app.db, log, source: dbSource(app) }) : undefined;
  await sql?.check();
  // every node has the agent image before the probe and the load start (a fresh swarm's first
  // pulls are heavy enough to break the app's steady state on their own)
  if (ctx.agent) await warmAgentImage(ctx.swarm, await ctx.agent.image(), { log, signal: o.signal, noteFile: path.join(swarmStateDir(identity.clusterId), 'agent-warm.json') });

  // 3. every run starts by undoing what a killed run left behind
  const recovered = await recoverWith(ctx, ledger, registry, identity.clusterId);
  for (const line of describeOtherSwarms(recordsOfOtherSwarms(ledger.read(), identity.clusterId))) log(line);
  // a distributed background load a killed run left (issue 13): removed like its faults
  await import('../load/run/distributed.ts').then((m) => m.removeChaosLoadLeftovers(ctx.swarm, log)).catch((err) => log(`warning: leftover background load not checked (${errText(err)})`));
  const baseEnv = steadyEnv(ctx, o.target.ingressUrl);
  // replication of the target's replica service (not the TODO app's)
  const replicaService = app.roles.dbReplicas;
  const check = steadyStateCheck({
    ...baseEnv,
    replication: baseEnv.replication && ctx.nodeExec && replicaService ? ((nodeExec) => () => replicationStatus(ctx.swarm, nodeExec, replicaService))(ctx.nodeExec) : undefined,
  });
  if (recovered.length) {
    const failed = recovered.filter((r) => !r.ok);
    if (failed.length) throw new SafetyError(`could not undo faults a previous run left: ${failed.map((r) => `${r.record.entry.name}: ${r.error}`).join('; ')}`);
    const first = experiments[0]!;
    log('waiting for the swarm to settle after the recovery');
    await waitSteadyState(check, first.steadyState, first.timing.recoveryTimeoutMs, o.signal);
  }
  if (experiments[0]) await checkNotDegraded(ctx.swarm, experimentServices(experiments[0], plans[0]!));

  // 4. run folder, measurements, load
  const dir = createRunFolder(o.outDir, {
    id: runId(o.kind, o.label),
    kind: o.kind,
    startedAt: new Date().toISOString(),
    git: await gitInfo(),
    target: { ingressUrl: o.target.ingressUrl, statsUrl: o.target.statsUrl, dockerHost: o.target.dockerHost, embedded: o.target.local },
    experiment: o.kind === 'chaos' ? o.label : undefined,
    plan: o.planFile,
    config: o.config,
  });
  log(`run folder ${path.relative(process.cwd(), dir) || dir}`);

  const measureAc = new AbortController();
  let load: BackgroundLoad | undefined;
  let live: LiveMetrics | undefined;
  try {
    const measurements: Measurements = await startMeasurements({
      runDir: dir,
      ingressUrl: o.target.ingressUrl,
      statsUrl: o.target.statsUrl,
      statsAuth: o.target.statsUrl ? { user: defaults.local.statsUser, password: readStatsPassword() } : undefined,
      swarm: ctx.swarm,
      signal: measureAc.signal,
      probeRatePerSec: o.probeRate,
      writeRatePerSec: o.writeRate,
      allowRemoteTarget: o.target.explicit,
      // the lag sampler reaches the DB tasks through the host engine's node containers (embedded
      // swarm) or, elsewhere, through the chaos agent (one Swarm service per stream)
      lag: Boolean((ctx.host || (ctx.agent && ctx.nodeExec)) && app.roles.dbPrimary && app.roles.dbReplicas),
      lagAgent: !ctx.host && ctx.agent && ctx.nodeExec ? { image: ctx.agent.image.bind(ctx.agent), exec: ctx.nodeExec, owner: ctx.agent.owner } : undefined,
      // the target's own DB services: an app under other names must not be measured by the TODO app's
      db: app.roles.dbPrimary && app.roles.dbReplicas ? { primary: app.roles.dbPrimary, replica: app.roles.dbReplicas } : undefined,
      // what the target file says to probe and write (the TODO app's by default)
      probeEndpoints: app.probe.endpoints,
      writeApi: writeApiOf(app.writes),
      log,
    });
    progress.start(() => measurements.live());
    const jobs = o.prometheus ? liveMetricsJobs({ load: o.load, statsUrl: o.target.statsUrl }) : undefined;
    const engineMetricsAddr = jobs?.engine ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
    if (jobs) {
      for (const n of jobs.notes) log(`live metrics: ${n}`);
      live = await startLiveMetrics({
        runDir: dir,
        engine: engineMetricsAddr,
        haproxy: jobs.haproxy && o.target.statsUrl ? { statsUrl: o.target.statsUrl, user: defaults.local.statsUser, password: readStatsPassword() } : undefined,
        boundMs: estimateMs(experiments) * 2 + 30 * 60_000,
        log,
      });
    }
    load = o.load.enabled ? await startBackgroundLoad(o, dir, estimateMs(experiments), log, engineMetricsAddr) : undefined;
    if (load) await loadUnderWay(load, o.signal, log);

    // 5. the experiments
    const results: ExperimentResult[] = [];
    for (const [i, exp] of experiments.entries()) {
      if (o.signal.aborted) break;
      progress.phase(exp.id, 'starting');
      const expCtx: ChaosContext = { ...ctx, maxShare: exp.maxShare };
      const r = await runExperiment(exp, plans[i]!, {
        ctx: expCtx,
        ledger,
        runId: path.basename(dir),
        measurements,
        steadyState: check,
        safety: async (e, plan) => {
          await checkNotDegraded(ctx.swarm, experimentServices(e, plan));
        },
        watch: (services) => startWatcher(swarmStateReader(ctx.swarm), services),
        onPhase: (phase) => progress.phase(exp.id, phase),
        signal: o.signal,
      });
      results.push(r);
      log(`${exp.id}: ${r.journal.status}${r.journal.deviated ? ' (steady state deviated)' : ''}${r.journal.error ? `: ${r.journal.error}` : ''}`);
    }

    // 6. stop load and measurements, then check the writes
    progress.phase(o.label, 'stopping measurements');
    if (load) {
      load.stop();
      try {
        const lr = await load.done;
        log(`k6 load: ${lr.verdict}${lr.failures.length ? ` (${lr.failures.slice(0, 3).join('; ')})` : ''}`);
        await tagLoadWithFaults(dir, results, log);
      } catch (err) {
        log(`k6 load failed: ${errText(err)}`);
      }
    }
    await measurements.stop();
    measureAc.abort();
    if (live) {
      progress.phase(o.label, 'reading live metrics');
      await live.finish();
      live = undefined;
    }
    let lostWrites: LostWriteResult | undefined;
    let lostWritesError: string | undefined;
    if (ctx.host || ctx.nodeExec) {
      progress.phase(o.label, 'lost-write check');
      try {
        if (sql) log(`lost-write check: SQL over ${app.db.network} as ${app.db.userSecret ? `the user in secret ${app.db.userSecret}` : app.db.user} (password from secret ${app.db.passwordSecret})`);
        lostWrites = await checkLostWrites({
          runDir: dir,
          swarm: ctx.swarm,
          log,
          // with the agent: SQL over the app's network as the target's DB user (its secrets), on
          // every swarm; without it (GAMEDAY_CHAOS_AGENT=0): as root in the task containers
          ...(sql ? { query: (t: TaskContainer, q: string) => sql.query(taskHost(t), q), network: app.db.network } : {}),
          exec: ctx.host ? undefined : ctx.nodeExec,
          ...(app.roles.dbPrimary ? { services: { primary: app.roles.dbPrimary, replica: app.roles.dbReplicas ?? app.roles.dbPrimary } } : {}),
          table: app.writes.table,
          database: app.db.database,
        });
      } catch (err) {
        lostWritesError = errText(err);
      }
    } else {
      lostWritesError = 'no way into the DB tasks on this target (neither the embedded swarm\'s node exec nor the chaos agent)';
    }
    progress.stop();

    // 7. verdicts, journal, stats
    const { verdicts, tables, journal } = judgeSession({ dir, kind: o.kind, label: o.label, planFile: o.planFile, experiments, results, lostWrites, lostWritesError });

    const interrupted = o.signal.aborted || results.some((r) => r.journal.status === 'interrupted');
    const refused = results.find((r) => r.refused);
    const ok = verdictOk(verdicts) && !interrupted && results.length === experiments.length;
    const status: RunMeta['status'] = interrupted ? 'interrupted' : journal.status;
    const exitCode = interrupted ? ExitCode.interrupted : ok ? ExitCode.ok : o.kind === 'chaos' && refused ? ExitCode.safety : ExitCode.failed;
    closeRunFolder(dir, {
      status,
      verdict: ok ? 'pass' : 'fail',
      exitCode,
      failures: verdicts.filter((v) => !v.ok).map((v) => `${v.experiment}: ${v.tolerance}: ${v.actual}`),
    });

    for (const t of tables) process.stdout.write(`${t}\n`);
    process.stdout.write(`${verdictTable(verdicts)}\n`);
    const rendered = await renderReport(dir, log);
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'}: ${verdicts.filter((v) => v.ok).length}/${verdicts.length} verdicts ok; run folder ${dir}${rendered ? `; report ${rendered}` : ''}\n`);
    return { dir, status, verdicts, exitCode, results };
  } catch (err) {
    // an unexpected error: stop what runs, and never leave the folder looking like it is still going
    progress.stop();
    load?.stop();
    measureAc.abort();
    await live?.stop().catch(() => undefined);
    try {
      closeRunFolder(dir, { status: o.signal.aborted ? 'interrupted' : 'failed', verdict: 'fail', exitCode: ExitCode.failed, failures: [errText(err)] });
    } catch {
      /* the original error matters more */
    }
    throw err;
  }
}

/** A DB task as the SQL service reaches it: its address on the DB network. */
function taskHost(t: TaskContainer): string {
  if (!t.address) throw new Error(`lost-write check: ${t.name} has no address on the DB network`);
  return t.address;
}

async function gitInfo(): Promise<RunMeta['git']> {
  try {
    const { gitRevision } = await import('../load/run/git.ts');
    return gitRevision();
  } catch {
    return undefined;
  }
}

async function renderReport(dir: string, log: (l: string) => void): Promise<string | undefined> {
  try {
    const { renderIfAvailable } = await import('../load/run/index.ts');
    return await renderIfAvailable(dir);
  } catch (err) {
    log(`report rendering failed: ${errText(err)}`);
    return undefined;
  }
}

/** k6 cannot take tag changes while it runs: its samples get their `fault` tag afterwards. */
async function tagLoadWithFaults(dir: string, results: ExperimentResult[], log: (l: string) => void): Promise<void> {
  const file = path.join(dir, 'k6-timeseries.json.gz');
  if (!fs.existsSync(file)) return;
  const windows = results.flatMap((r) => r.journal.faults.map((f) => ({ name: f.name, start: f.start, end: f.end })));
  if (!windows.length) return;
  try {
    const { tagTimeseriesWithFaults } = await import('../load/run/timeseries.ts');
    const n = await tagTimeseriesWithFaults(file, windows);
    log(`k6 samples tagged with their fault: ${n}`);
  } catch (err) {
    log(`warning: k6 samples not tagged with faults (${errText(err)})`);
  }
}

interface BackgroundLoad {
  stop(): void;
  done: Promise<{ verdict: string; failures: string[] }>;
  running: Promise<number | undefined>;
}

/** The first fault waits for the load: distributed replicas start together some seconds after their
 *  service is made, and a fault injected before them would meet no traffic. Bounded. */
async function loadUnderWay(load: BackgroundLoad, signal: AbortSignal, log: (l: string) => void): Promise<void> {
  const boundMs = 5 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  const at = await Promise.race([load.running, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), boundMs)))]);
  clearTimeout(timer);
  if (at === 'late') return log(`warning: the background load did not start within ${boundMs / 1000} s; the experiments go on`);
  if (at === undefined) return;
  // a little after the replicas' common start: their first requests are out
  const waitMs = at + 3_000 - Date.now();
  if (waitMs <= 0) return;
  log(`waiting ${Math.ceil(waitMs / 1000)} s for the background load replicas to start`);
  await new Promise<void>((r) => {
    const t = setTimeout(r, waitMs);
    signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });
}

/** The mixed load scenario at a constant rate for the whole session, artifacts in the run folder. */
async function startBackgroundLoad(o: SessionOptions, dir: string, estimateMs: number, log: (l: string) => void, metricsAddr?: string): Promise<BackgroundLoad | undefined> {
  try {
    const { startLoad, EMBEDDED_SWARM_INGRESS } = await import('../load/run/index.ts');
    const { CHAOS_LOAD_LABEL } = await import('../load/run/distributed-spec.ts');
    const h = await startLoad({
      config: {
        target: o.target.ingressUrl,
        profile: 'soak',
        scenario: 'mixed',
        rate: o.load.rate,
        durationS: Math.ceil(estimateMs / 1000) + 60,
        // live metrics (issue 13): the engine serves Prometheus text on loopback for the session's Prometheus
        ...(metricsAddr ? { engineFlags: ['--metrics-addr', metricsAddr] } : {}),
        ...(o.load.distributed ? { distributed: o.load.distributed } : {}),
      },
      runDir: dir,
      tags: { session: o.kind, label: o.label },
      skipReachability: true,
      quiet: true,
      // distributed: the replicas reach the embedded ingress by its in-swarm name, on this run's manager
      swarm: o.load.distributed
        ? {
            dockerHost: o.target.dockerHost,
            swarmUrl: o.target.local && !o.target.explicit ? EMBEDDED_SWARM_INGRESS : o.target.ingressUrl,
            labels: { [CHAOS_LOAD_LABEL]: path.basename(dir) },
          }
        : undefined,
    });
    log(`load: mixed scenario at ${o.load.rate} it/s in the background${o.load.distributed ? ` (${o.load.distributed} engine replicas as a swarm service)` : ''}`);
    return h;
  } catch (err) {
    log(`warning: no k6 load in the background (${errText(err)}); the probe still measures`);
    return undefined;
  }
}
