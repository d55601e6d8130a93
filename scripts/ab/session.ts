// An A/B session on a swarm: the gameday_ab stack up, phases run against its two routes, the
// stack removed at the end — also on an error or an interrupt (SIGINT/SIGTERM stop the engine,
// remove the stack, exit 130). Used by npm run ab and npm run bench:compare.
import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type Docker from 'dockerode';
import { hostDocker, swarmDocker } from '../lib/docker.ts';
import { ConfigError, EnvironmentError, ExitCode } from '../lib/errors.ts';
import { LOCAL_MANAGER_DOCKER_HOST, LOCAL_SWARM } from '../lib/local-swarm-names.ts';
import { info, warn } from '../lib/log.ts';
import { findLoadEngine } from '../../load/run/load-engine.ts';
import { bundleAb, runPhase, type PhaseSamples } from './phase.ts';
import { DB_SERVICES, runningTaskContainers, type TaskContainer } from '../../chaos/measure/db-tasks.ts';
import { AB_STACK, abServices, deployAbStack, removeAbStack, waitRoutes } from './stack.ts';

export interface SessionOptions {
  dockerHost?: string;
  /** where the host reaches the manager's published ports; embedded swarm: the manager container */
  routeHost?: string;
  portA: number;
  portB: number;
  outDir: string;
}

export interface Session {
  urls: { A: string; B: string };
  docker: Docker;
  /** (re)deploys with these images and waits until both routes answer with them */
  deploy(imageA: string, imageB: string): Promise<void>;
  phase(name: string, blocks: number, blockMs: number, rate: number): Promise<PhaseSamples & { durationS: number }>;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** The image the default stack's API runs: the natural baseline. */
export async function defaultBaseline(docker: Docker): Promise<string> {
  try {
    const s = (await docker.getService('todo_app_api').inspect()) as any;
    const img: string = s.Spec.TaskTemplate.ContainerSpec.Image;
    return img.split('@')[0];
  } catch {
    throw new ConfigError('--baseline: expected an API image; none given and no todo_app_api service to take it from (npm run stack:up)');
  }
}

async function embeddedRouteHost(): Promise<string> {
  const c = (await hostDocker().getContainer(LOCAL_SWARM.manager).inspect()) as any;
  const ip = Object.values(c.NetworkSettings?.Networks ?? {}).map((n: any) => n.IPAddress).find((x) => !!x) as string | undefined;
  if (!ip) throw new EnvironmentError(`${LOCAL_SWARM.manager} has no IP address on a Docker network`);
  return ip;
}

async function pickNode(docker: Docker): Promise<string> {
  const nodes = (await docker.listNodes()) as any[];
  const workers = nodes.filter((n) => n.Spec?.Role === 'worker' && n.Status?.State === 'ready' && n.Spec?.Availability === 'active').map((n) => n.Description?.Hostname as string).sort();
  if (workers.length) return workers[0];
  const any = nodes.filter((n) => n.Status?.State === 'ready').map((n) => n.Description?.Hostname as string).sort();
  if (!any.length) throw new EnvironmentError('no ready swarm node to place the A/B services on');
  return any[0];
}

/**
 * The replica both API tasks read from: one on the A/B node when there is one (no overlay hop),
 * else the first. Two tasks left to `tasks.todo_mysql_slave` each pooled their own mix of replicas.
 */
export async function pickReplica(docker: Docker, node: string): Promise<TaskContainer | null> {
  const all = (await runningTaskContainers(docker, DB_SERVICES.replica, 'todoapp')).filter((t) => t.address);
  return all.find((t) => t.node === node) ?? all[0] ?? null;
}

export async function openSession(o: SessionOptions, log: (s: string) => void = info): Promise<Session> {
  const dockerHost = o.dockerHost ?? process.env.DOCKER_HOST ?? LOCAL_MANAGER_DOCKER_HOST;
  const embedded = dockerHost === LOCAL_MANAGER_DOCKER_HOST;
  let routeHost = o.routeHost;
  if (!routeHost) {
    if (!embedded) throw new ConfigError(`--route-host: expected a loopback address where the manager's ports ${o.portA}/${o.portB} are reachable (e.g. an SSH tunnel) for DOCKER_HOST ${dockerHost}, got nothing`);
    routeHost = await embeddedRouteHost();
  } else if (!LOOPBACK.test(routeHost)) throw new ConfigError(`--route-host: expected a loopback address (load only goes to loopback or the suite's own containers), got ${JSON.stringify(routeHost)}`);
  const docker = swarmDocker(dockerHost);
  const engine = await findLoadEngine('gameday');
  fs.mkdirSync(o.outDir, { recursive: true });
  const bundle = await bundleAb(o.outDir);
  const node = await pickNode(docker);
  const replica = await pickReplica(docker, node);
  const haproxyImage = (((await docker.getService('todo_ingress_haproxy').inspect().catch(() => null)) as any)?.Spec?.TaskTemplate?.ContainerSpec?.Image as string | undefined)?.split('@')[0];
  if (!haproxyImage) throw new EnvironmentError('no todo_ingress_haproxy service to take the HAProxy image from (npm run stack:up first)');
  const urls = { A: `http://${routeHost}:${o.portA}`, B: `http://${routeHost}:${o.portB}` };
  let child: ChildProcess | null = null;
  let closed = false;
  let epoch = 0;

  const close = async () => {
    if (closed) return;
    closed = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    child?.kill('SIGKILL');
    log(`removing the ${AB_STACK} stack`);
    await removeAbStack(dockerHost, docker);
  };
  const onSignal = () => {
    warn(`interrupted: stopping the load and removing the ${AB_STACK} stack`);
    const hard = setTimeout(() => process.exit(ExitCode.interrupted), 120_000);
    hard.unref();
    void close()
      .catch((e: Error) => warn(`cleanup: ${e.message}`))
      .finally(() => process.exit(ExitCode.interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if ((await abServices(docker)).length) {
    warn(`a ${AB_STACK} stack is left from before: removing it first`);
    await removeAbStack(dockerHost, docker);
  }
  log(`A/B routes: ${urls.A} (a), ${urls.B} (b); APIs on ${node}`);
  if (replica) log(`both sides read from ${replica.name} (${replica.address}, on ${replica.node})`);
  else warn('no running replica with an address on the todoapp network: each side reads from any replica (a route bias the A/A phase may not catch)');
  return {
    urls,
    docker,
    async deploy(imageA, imageB) {
      log(`$ docker stack deploy -c stack/todo-ab.yml ${AB_STACK} (a ${imageA}, b ${imageB})`);
      // a new epoch restarts a too: a candidate in a fresh task against a baseline that had run
      // for minutes measured ~13 % slower with nothing planted (a fresh process, pool and JIT)
      epoch++;
      await deployAbStack({ dockerHost, imageA, imageB, haproxyImage, node, portA: o.portA, portB: o.portB, replicaHost: replica?.address, epoch });
      await waitRoutes(docker, urls, imageB, epoch);
    },
    async phase(name, blocks, blockMs, rate) {
      const t = Date.now();
      const s = await runPhase({ engineBin: engine.bin, urls, blocks, blockMs, rate, dir: o.outDir, name, onChild: (c) => (child = c) }, bundle).catch((err: unknown) => {
        // the interrupt killed the engine: the signal handler cleans up and exits 130
        if (closed) return new Promise<never>(() => {});
        throw err;
      });
      return { ...s, durationS: (Date.now() - t) / 1000 };
    },
    close,
  };
}
