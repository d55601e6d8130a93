// The embedded default target: the TODO app on a local swarm of docker-in-docker nodes.
// ensureLocalStack() is what `npm run load`, chaos and the tests call: fast when all is up.
import { defaults } from './defaults.ts';
import { swarmDocker } from './docker.ts';
import { ensureEngine } from './engine.ts';
import { info, timed as timedRaw } from './log.ts';
import { DockerError, GamedayError } from './errors.ts';
import { LOCAL_MANAGER_DOCKER_HOST, LOCAL_SWARM } from './local-swarm-names.ts';
import { ensureBaseImage } from './tools.ts';
import { ensureHostImages, ensureNodes, ensureRegistry, ensureSwarm, nodesRunning, removeAll } from './swarm/nodes.ts';
import { buildAndPush, loadImageSpecs } from './swarm/images.ts';
import { deployStacks, ensureAppNetwork, ensureSecrets, waitConverged, waitReplication } from './swarm/deploy.ts';
import { converged, serviceStates } from './swarm/state.ts';

export { LOCAL_SWARM, LOCAL_MANAGER_DOCKER_HOST, OWNER_LABEL, allNodes } from './local-swarm-names.ts';
export { nodeExec, nodeExecOk } from './node-exec.ts';

/** A step of stack:up: timed, and a raw command failure is wrapped naming the step. */
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await timedRaw(label, fn);
  } catch (err) {
    if (err instanceof GamedayError) throw err;
    throw new DockerError(`stack:up step "${label}" failed`, { cause: err });
  }
}

export interface LocalTarget {
  ingressUrl: string;
  statsUrl: string;
  dockerHost: string;
}

export function localTarget(): LocalTarget {
  return {
    ingressUrl: `http://127.0.0.1:${defaults.local.ingressPort}`,
    statsUrl: `http://127.0.0.1:${defaults.local.statsPort}`,
    dockerHost: LOCAL_MANAGER_DOCKER_HOST,
  };
}

export function isLocalSwarm(dockerHost: string | undefined): boolean {
  return !dockerHost || dockerHost === LOCAL_MANAGER_DOCKER_HOST;
}

/** Brings the embedded default up (build what is missing, create the swarm, deploy, wait). */
export async function stackUp(): Promise<LocalTarget> {
  const t = localTarget();
  await timed('docker engine', ensureEngine);
  await timed('Debian base image', ensureBaseImage);
  await timed('node and registry images', ensureHostImages);
  await timed('registry', ensureRegistry);
  await timed(`nodes (${LOCAL_SWARM.manager} + ${LOCAL_SWARM.workers.length} workers)`, ensureNodes);
  await timed('swarm', ensureSwarm);
  const docker = swarmDocker(t.dockerHost);
  const imageEnv = await timed('application images (build + push)', async () => buildAndPush(await loadImageSpecs()));
  await timed('network and secrets', async () => {
    await ensureAppNetwork(docker);
    await ensureSecrets(docker);
  });
  await timed('deploy stacks', () => deployStacks(t.dockerHost, imageEnv));
  const states = await timed('wait for every service at desired replicas', () => waitConverged(docker));
  for (const s of states) info(`${s.name.padEnd(24)} ${s.running}/${s.desired}`);
  const reps = await timed('wait for replication', () => waitReplication(docker));
  for (const r of reps) info(`${r.task} on ${r.node}: io=${r.ioRunning} sql=${r.sqlRunning} lag=${r.heartbeatLagMs} ms`);
  return t;
}

/** Fast path: if every node runs and every service is converged, do nothing. */
export async function ensureLocalStack(): Promise<LocalTarget> {
  const t = localTarget();
  try {
    if (await nodesRunning()) {
      const states = await serviceStates(swarmDocker(t.dockerHost));
      if (converged(states)) return t;
    }
  } catch {
    /* not up or not reachable: bring it up */
  }
  info('the embedded default stack is not up: starting it (npm run stack:up)');
  return stackUp();
}

export async function stackDown(): Promise<string[]> {
  return removeAll();
}
