// --dry-run: after printing the plan, the read-only checks a real run would do first (is it a
// swarm, is it marked allowed, do the services exist, are they healthy). Touches nothing; an
// unreachable target only skips them.
import { UnreachableError } from '../scripts/lib/errors.ts';
import { ok, warn } from '../scripts/lib/log.ts';
import type { Experiment } from './model.ts';
import type { CommonOptions } from './options.ts';
import { experimentServices, type PlannedStep } from './plan.ts';
import { checkAllowed, checkHostAccess, checkNotDegraded, checkServicesExist, checkStaticBlastRadius, checkSwarm } from './safety.ts';
import { chaosContext } from './target.ts';
import { defaultLockPath, describeLock, isStale, readLock } from './lock.ts';

/** A dry run takes no lock, but says when a real run would be refused for one. */
function lockNote(): void {
  const file = defaultLockPath();
  const held = readLock(file);
  if (held && !isStale(held)) warn(`dry run: another chaos run holds the lock ${file} (${describeLock(held)}): a real run would be refused now`);
}

export async function dryRunPreflight(exps: Experiment[], plans: PlannedStep[][], common: CommonOptions): Promise<void> {
  lockNote();
  exps.forEach((e, i) => checkStaticBlastRadius(plans[i]!, common.maxShare ?? e.maxShare));
  const ctx = chaosContext(common.target, { maxShare: common.maxShare ?? 0.5, allowManager: common.allowManager, log: () => undefined });
  try {
    await checkSwarm(ctx.swarm, common.target.dockerHost);
  } catch (err) {
    if (err instanceof UnreachableError) {
      warn(`dry run: ${err.message}; the swarm checks were skipped`);
      return;
    }
    throw err;
  }
  plans.forEach((p) => checkHostAccess(p, Boolean(ctx.nodeExec), common.target.dockerHost));
  await checkAllowed(ctx.swarm);
  for (const [i, e] of exps.entries()) await checkServicesExist(ctx.swarm, experimentServices(e, plans[i]!), `experiment ${e.id}`);
  if (exps[0]) await checkNotDegraded(ctx.swarm, experimentServices(exps[0], plans[0]!));
  ok(`dry run: ${common.target.dockerHost} is a swarm marked for chaos; targets exist and are healthy; nothing was touched`);
}
