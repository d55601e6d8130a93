// Safety checks, all before anything is touched. Every refusal is a SafetyError naming why:
//   - the swarm must be marked allowed (node label gameday.chaos=allowed on a manager);
//   - target services must exist (else ConfigError) and be healthy (not already degraded);
//   - faults that need the node containers only run on the embedded local swarm;
//   - the blast radius (max share of a service's tasks, last manager) is enforced again by each
//     fault when it picks its concrete targets.
import type Dockerode from 'dockerode';
import { ConfigError, SafetyError, UnreachableError } from '../scripts/lib/errors.ts';
import { listNodes, serviceNames, servicesState } from './swarm.ts';
import type { PlannedStep } from './plan.ts';
import { needsNodeContainers } from './faults/types.ts';

export const CHAOS_LABEL = 'gameday.chaos';
export const CHAOS_LABEL_VALUE = 'allowed';

export interface SwarmIdentity {
  /** the Swarm cluster ID (docker info: Swarm.Cluster.ID): what the lock and the ledger are keyed by */
  clusterId: string;
  /** the manager answering on this docker host */
  nodeId: string;
}

/**
 * The target must be a reachable swarm manager; otherwise a clear error before anything else.
 * `source` is where the docker host came from (--docker-host, DOCKER_HOST, a file key), so the
 * error names what the user has to change.
 */
export async function checkSwarm(swarm: Dockerode, dockerHost: string, source = '--docker-host'): Promise<SwarmIdentity> {
  let info: any;
  try {
    info = await swarm.info();
  } catch (err) {
    throw new UnreachableError(`docker host ${dockerHost} (from ${source}) does not answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const st = info?.Swarm;
  if (!st || st.LocalNodeState !== 'active') {
    throw new ConfigError(`${source}: expected a swarm manager, got ${JSON.stringify(dockerHost)} whose swarm state is ${JSON.stringify(st?.LocalNodeState ?? 'none')}`);
  }
  if (!st.ControlAvailable) {
    throw new ConfigError(`${source}: expected a swarm manager, got ${JSON.stringify(dockerHost)} which is a worker node`);
  }
  const clusterId = String(st.Cluster?.ID ?? '');
  if (!clusterId) throw new ConfigError(`${source}: expected a swarm manager that reports its cluster ID, got ${JSON.stringify(dockerHost)} with none`);
  return { clusterId, nodeId: String(st.NodeID ?? '') };
}

export async function checkAllowed(swarm: Dockerode): Promise<void> {
  const nodes = await listNodes(swarm);
  const marked = nodes.filter((n) => n.role === 'manager' && n.labels[CHAOS_LABEL] === CHAOS_LABEL_VALUE);
  if (!marked.length) {
    throw new SafetyError(
      `this swarm is not marked as allowed for chaos: no manager carries the label ${CHAOS_LABEL}=${CHAOS_LABEL_VALUE} ` +
        `(docker node update --label-add ${CHAOS_LABEL}=${CHAOS_LABEL_VALUE} <manager>; stack:up sets it on the local swarm)`,
    );
  }
}

export async function checkServicesExist(swarm: Dockerode, services: string[], where: string): Promise<void> {
  if (!services.length) return;
  const known = new Set(await serviceNames(swarm));
  for (const s of services) {
    if (!known.has(s)) throw new ConfigError(`${where}: service: expected one of ${[...known].join(', ') || '(no services)'}, got ${JSON.stringify(s)}`);
  }
}

export async function checkNotDegraded(swarm: Dockerode, services: string[]): Promise<void> {
  if (!services.length) return;
  const bad = (await servicesState(swarm, services)).filter((s) => !s.ok);
  if (bad.length) {
    throw new SafetyError(
      `target service(s) already degraded, refusing to add chaos: ` +
        bad.map((s) => `${s.service} ${s.running}/${s.desired} running${s.updateState ? ` (update ${s.updateState})` : ''}`).join(', '),
    );
  }
}

/** What a context can reach: commands on nodes (node containers or the agent), the host engine. */
export interface NodeAccess {
  nodeExec: boolean;
  host: boolean;
}

export function accessOf(ctx: { nodeExec?: unknown; host?: unknown }): NodeAccess {
  return { nodeExec: Boolean(ctx.nodeExec), host: Boolean(ctx.host) };
}

/** Why a plan cannot run with this access (undefined: it can); for the check, --list and --dry-run. */
export function hostAccessProblem(plan: PlannedStep[], access: NodeAccess): string | undefined {
  const containers = plan.filter((p) => p.fault && !access.host && needsNodeContainers(p.fault, p.params));
  if (containers.length) {
    return `fault(s) ${[...new Set(containers.map((p) => p.fault!.kind))].join(', ')} need the node containers of the embedded local swarm (host engine)`;
  }
  const exec = plan.filter((p) => p.fault?.needsHost && !access.nodeExec);
  if (exec.length) return `fault(s) ${[...new Set(exec.map((p) => p.fault!.kind))].join(', ')} need to run commands on the nodes (the chaos agent)`;
  return undefined;
}

/** `access` true: the embedded local swarm (everything); false: the Docker API alone. */
export function checkHostAccess(plan: PlannedStep[], access: boolean | NodeAccess, dockerHost: string): void {
  const a = typeof access === 'boolean' ? { nodeExec: access, host: access } : access;
  const problem = hostAccessProblem(plan, a);
  if (problem) throw new SafetyError(`${problem}; ${dockerHost} is not the embedded local swarm`);
}

/** Blast-radius check that needs no swarm: a share above maxShare is refused up front. */
export function checkStaticBlastRadius(plan: PlannedStep[], maxShare: number): void {
  for (const p of plan) {
    const share = (p.params as { share?: number } | undefined)?.share;
    if (share !== undefined && share > maxShare) {
      throw new SafetyError(`blast radius: step ${p.index + 1} (${p.name}) asks for ${share * 100}% of the tasks, max share is ${maxShare * 100}%`);
    }
  }
}

export interface SafetyInput {
  swarm: Dockerode;
  dockerHost: string;
  dockerHostSource?: string;
  local: boolean;
  maxShare: number;
  services: string[];
  plan: PlannedStep[];
  where: string;
}

/** Everything that can be checked before touching anything, in order. */
export async function preflight(i: SafetyInput): Promise<void> {
  checkStaticBlastRadius(i.plan, i.maxShare);
  checkHostAccess(i.plan, i.local, i.dockerHost);
  await checkSwarm(i.swarm, i.dockerHost, i.dockerHostSource);
  await checkAllowed(i.swarm);
  await checkServicesExist(i.swarm, i.services, i.where);
  await checkNotDegraded(i.swarm, i.services);
}
