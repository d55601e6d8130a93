// Which swarm and ingress a chaos run acts on, and the ChaosContext built for it. With neither
// --target nor --docker-host the embedded default is used (started if it is not up). Node-local
// steps go through the in-swarm agent on every swarm (one code path); only the embedded default
// adds the host engine, for the faults that act on a dind node container itself (kill-node), and
// GAMEDAY_CHAOS_AGENT=0 there sends the node-local steps through `docker exec` into the nodes.
import fs from 'node:fs';
import { defaults } from '../scripts/lib/defaults.ts';
import { hostDocker, swarmDocker } from '../scripts/lib/docker.ts';
import { LOCAL_MANAGER_DOCKER_HOST, LOCAL_SWARM } from '../scripts/lib/local-swarm-names.ts';
import { nodeExec } from '../scripts/lib/node-exec.ts';
import { needsNodeContainers, type ChaosContext } from './faults/types.ts';
import type { PlannedStep } from './plan.ts';
import { agentOptionsFromEnv } from './agent/config.ts';
import { createAgentRuntime } from './agent/runtime.ts';
import { replicationStatus } from './replication.ts';
import type { SteadyEnv } from './steady-state.ts';

export interface TargetOptions {
  target?: string;
  statsUrl?: string;
  /** named by the user (flag or config file): an explicit choice of swarm */
  dockerHost?: string;
  /** DOCKER_HOST from the environment: used, but not an explicit choice */
  envDockerHost?: string;
  /** where the docker host came from, as errors name it (--docker-host, DOCKER_HOST, file key) */
  dockerHostSource?: string;
}

export interface ResolvedTarget {
  ingressUrl: string;
  statsUrl?: string;
  dockerHost: string;
  /** where dockerHost came from, as errors name it: `--docker-host`, `DOCKER_HOST`,
   *  `gameday.config.json: chaos.dockerHost`, or the default */
  dockerHostSource: string;
  /** the embedded local swarm: host engine and node exec available */
  local: boolean;
  /** the user named the target explicitly (allows a non-loopback ingress) */
  explicit: boolean;
}

export function resolveTargetOptions(o: TargetOptions): ResolvedTarget {
  const dockerHost = o.dockerHost ?? o.envDockerHost ?? LOCAL_MANAGER_DOCKER_HOST;
  const local = dockerHost === LOCAL_MANAGER_DOCKER_HOST;
  const ingressUrl = (o.target ?? defaults.target.ingressUrl).replace(/\/+$/, '');
  const statsUrl = o.statsUrl ?? (o.target ? undefined : defaults.target.statsUrl);
  const dockerHostSource = o.dockerHostSource ?? (o.dockerHost ? '--docker-host' : o.envDockerHost ? 'DOCKER_HOST' : 'the default docker host (the embedded local swarm)');
  return { ingressUrl, statsUrl, dockerHost, dockerHostSource, local, explicit: Boolean(o.target || o.dockerHost) };
}

/** Brings the embedded default up when it is the target (fast when it already runs). */
export async function ensureTarget(t: ResolvedTarget, log: (l: string) => void): Promise<void> {
  if (!t.local || t.explicit) return;
  const { ensureLocalStack } = await import('../scripts/lib/local-swarm.ts');
  log('target: the embedded local swarm (starting it if needed)');
  await ensureLocalStack();
}

export function chaosContext(t: ResolvedTarget, o: { maxShare: number; allowManager: boolean; log: (l: string) => void; swarmId?: string }): ChaosContext {
  const swarm = swarmDocker(t.dockerHost);
  const local = t.local && fs.existsSync('/var/run/docker.sock');
  // node-local actions: the in-swarm agent (chaos/agent/), on the embedded swarm too unless
  // GAMEDAY_CHAOS_AGENT=0 asks for the node containers
  const env = agentOptionsFromEnv();
  const agent = !local || !env.nodeExec ? createAgentRuntime(swarm, { registry: env.registry, image: env.image, log: o.log }) : undefined;
  return {
    swarm,
    dockerHost: t.dockerHost,
    swarmId: o.swarmId,
    host: local ? hostDocker() : undefined,
    nodeExec: agent ? agent.exec : local ? nodeExec : undefined,
    agent,
    hostNetwork: local ? LOCAL_SWARM.network : undefined,
    maxShare: o.maxShare,
    allowManager: o.allowManager,
    log: o.log,
  };
}

/** What a run on this target can reach, without connecting (for --list). */
export function accessFor(t: ResolvedTarget): { nodeExec: boolean; host: boolean; viaAgent: boolean } {
  const local = t.local && fs.existsSync('/var/run/docker.sock');
  return { nodeExec: true, host: local, viaAgent: !local || !agentOptionsFromEnv().nodeExec };
}

export function steadyEnv(ctx: ChaosContext, ingressUrl: string): SteadyEnv {
  return {
    swarm: ctx.swarm,
    ingressUrl,
    replication: ctx.nodeExec ? ((nodeExec) => () => replicationStatus(ctx.swarm, nodeExec))(ctx.nodeExec) : undefined,
  };
}

/** The steps of a plan that act on the dind node containers themselves (host engine, embedded
 *  swarm only), as --list and --dry-run name them; undefined when there are none. */
export function nodeContainerNote(plan: PlannedStep[], access: { host: boolean }): string | undefined {
  const kinds = [...new Set(plan.filter((p) => p.fault && needsNodeContainers(p.fault, p.params)).map((p) => p.fault!.kind))];
  if (!kinds.length || !access.host) return undefined;
  return `${kinds.join(', ')} on the dind node containers (host engine: the embedded local swarm only)`;
}
