// --dry-run: after printing the plan, the read-only checks a real run would do first (is it a
// swarm, is it marked allowed, do the services exist, are they healthy, is a lock held). Touches
// nothing, and exits with the code a real run would be refused with: 3 when the swarm does not
// answer, 4 when a safety check or a lock refuses it (2 for bad input, thrown as for a real run).
import { ExitCode, UnreachableError } from '../scripts/lib/errors.ts';
import { ok, warn } from '../scripts/lib/log.ts';
import type { Experiment } from './model.ts';
import type { CommonOptions } from './options.ts';
import { experimentServices, type PlannedStep } from './plan.ts';
import { accessOf, checkAllowed, checkHostAccess, checkNotDegraded, checkServicesExist, checkStaticBlastRadius, checkSwarm } from './safety.ts';
import { chaosContext, nodeContainerNote } from './target.ts';
import { defaultLockPath, describeLock, isStale, readLock } from './lock.ts';
import { ledgerPathFor } from './state.ts';
import { describeSwarmLock, readSwarmLock } from './swarm-lock.ts';
import { checkLiveMetrics, describeLiveMetrics } from './live-metrics/scrape-config.ts';
import { agentSql, dbSource } from './agent/sql.ts';

/** A dry run takes no lock, but says when a real run would be refused for one (true then). */
async function lockHeld(swarmId: string, swarm: Parameters<typeof readSwarmLock>[0]): Promise<boolean> {
  let held = false;
  const file = defaultLockPath(ledgerPathFor(swarmId));
  const local = readLock(file);
  if (local && !isStale(local)) {
    warn(`dry run: another chaos run holds the lock ${file} (${describeLock(local)}): a real run would be refused now (exit 4)`);
    held = true;
  }
  const onSwarm = await readSwarmLock(swarm);
  if (onSwarm && !onSwarm.stale && !(local && onSwarm.value.token && local.token === onSwarm.value.token)) {
    warn(`dry run: another chaos run holds the lock on this swarm (node ${onSwarm.node}: ${describeSwarmLock(onSwarm.value)}): a real run would be refused now (exit 4)`);
    held = true;
  }
  return held;
}

/** Returns the exit code: 0 when a real run would start now. */
export async function dryRunPreflight(exps: Experiment[], plans: PlannedStep[][], common: CommonOptions): Promise<number> {
  exps.forEach((e, i) => checkStaticBlastRadius(plans[i]!, common.maxShare ?? e.maxShare));
  if (common.prometheus) {
    checkLiveMetrics({ load: common.load, statsUrl: common.target.statsUrl });
    ok(`dry run: ${describeLiveMetrics({ load: common.load, statsUrl: common.target.statsUrl })}`);
  }
  const ctx = chaosContext(common.target, { maxShare: common.maxShare ?? 0.5, allowManager: common.allowManager, log: () => undefined });
  let identity;
  try {
    identity = await checkSwarm(ctx.swarm, common.target.dockerHost, common.target.dockerHostSource);
  } catch (err) {
    if (err instanceof UnreachableError) {
      const local = common.target.local && !common.target.explicit;
      warn(`dry run: ${err.message}; the swarm checks were skipped. ${local ? 'A real run would start the embedded local swarm first (npm run stack:up).' : 'A real run would be refused (exit 3).'}`);
      // the embedded default is started by a real run, so only another target is refused for it
      return local ? ExitCode.ok : ExitCode.unreachable;
    }
    throw err;
  }
  plans.forEach((p) => checkHostAccess(p, accessOf(ctx), common.target.dockerHost));
  if (plans.some((p) => p.some((s) => s.fault?.needsHost))) {
    ok(`dry run: node-local steps run ${ctx.agent ? 'through the chaos agent (one-shot Swarm services; faults that hold a change get a dead-man supervisor on a manager)' : 'in the node containers of the embedded local swarm'}`);
    for (const [i, e] of exps.entries()) {
      const local = nodeContainerNote(plans[i]!, accessOf(ctx));
      if (local) ok(`dry run: ${e.id}: local only: ${local}`);
    }
  }
  await checkAllowed(ctx.swarm);
  for (const [i, e] of exps.entries()) await checkServicesExist(ctx.swarm, experimentServices(e, plans[i]!), `experiment ${e.id}`);
  if (exps[0]) await checkNotDegraded(ctx.swarm, experimentServices(exps[0], plans[0]!));
  // the DB secrets the lost-write read-back mounts (exit 2 naming the key, as in a real run)
  if (ctx.agent && common.app.roles.dbPrimary) await agentSql(ctx.swarm, { image: ctx.agent.image.bind(ctx.agent), db: common.app.db, source: dbSource(common.app) }).check();
  if (await lockHeld(identity.clusterId, ctx.swarm)) return ExitCode.safety;
  ok(`dry run: ${common.target.dockerHost} is a swarm marked for chaos (cluster ${identity.clusterId}); targets exist and are healthy; no lock is held; nothing was touched`);
  return ExitCode.ok;
}
