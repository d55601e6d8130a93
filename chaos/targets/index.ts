// The edge of a run for its target: the experiments bound to the app's services, and those
// services checked on the swarm before the session touches anything (exit 2 naming the key).
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import type { Experiment } from '../model.ts';
import type { FaultRegistry } from '../faults/index.ts';
import type { ResolvedTarget } from '../target.ts';
import { bindExperiment, checkTargetServices, experimentRoles } from './bind.ts';
import type { AppTarget, Role } from './schema.ts';

export * from './schema.ts';
export { bindExperiment, checkTargetServices, experimentRoles, roleService } from './bind.ts';
export { loadTargetFile, parseTarget } from './load.ts';

/** Binds role-level experiments; `where[i]` names experiment i in errors. Pure. */
export function bindAll(exps: Experiment[], app: AppTarget, faults: FaultRegistry, where?: string[]): Experiment[] {
  return exps.map((e, i) => bindExperiment(e, app, faults, where?.[i] ?? `experiment ${e.id}`));
}

/**
 * The roles these experiments use must name services of the swarm. An unreachable swarm is left
 * to the session (exit 3, or the embedded default is started first); a missing service is bad
 * input (exit 2), said before anything is touched.
 */
export async function checkTargetOnSwarm(t: ResolvedTarget, app: AppTarget, roleLevel: Experiment[]): Promise<void> {
  const roles = new Set<Role>();
  for (const e of roleLevel) for (const r of experimentRoles(e)) roles.add(r);
  const swarm = swarmDocker(t.dockerHost);
  try {
    await swarm.ping();
  } catch {
    return;
  }
  try {
    await checkTargetServices(swarm, app, [...roles]);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // a manager that pings but cannot list services (not a swarm): the session's checks say so
  }
}
