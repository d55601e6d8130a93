// The gameday_ab stack (stack/todo-ab.yml) on the swarm: deploy, wait until both routes answer,
// remove (bounded; also what an interrupt runs). Never touches any other stack.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { $ } from 'zx';
import { dockerCliEnv } from '../lib/docker.ts';
import { TimeoutError } from '../lib/errors.ts';
import { sleep } from '../lib/log.ts';
import { deployDockerConfig } from '../lib/registry-auth.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AB_STACK = 'gameday_ab';
export const AB_STACK_FILE = path.join(repoRoot, 'stack', 'todo-ab.yml');

export interface AbStackInput {
  dockerHost: string;
  imageA: string;
  imageB: string;
  haproxyImage: string;
  node: string;
  portA: number;
  portB: number;
  /** the replica both sides read from (an address); empty = every replica, as the app does */
  replicaHost?: string;
  /** changes on every deploy of a session, so both sides restart together (see todo-ab.yml) */
  epoch?: number;
}

function cliEnv(dockerHost: string, extra: Record<string, string> = {}, dockerConfig?: string): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, ...dockerCliEnv(dockerHost), ...(dockerConfig ? { DOCKER_CONFIG: dockerConfig } : {}) };
}

/** `docker stack deploy` (also an update: re-deploying with another AB_IMAGE_B swaps side b only). */
export async function deployAbStack(i: AbStackInput): Promise<void> {
  const cfg = deployDockerConfig([i.imageA, i.imageB, i.haproxyImage]);
  try {
    const env = cliEnv(i.dockerHost, { AB_IMAGE_A: i.imageA, AB_IMAGE_B: i.imageB, AB_IMAGE_HAPROXY: i.haproxyImage, AB_NODE: i.node, AB_PORT_A: String(i.portA), AB_PORT_B: String(i.portB), AB_REPLICA_HOST: i.replicaHost || 'tasks.todo_mysql_slave', AB_EPOCH: String(i.epoch ?? 0) }, cfg.dir);
    await $({ quiet: true, cwd: repoRoot, env, timeout: 120_000 })`docker stack deploy --with-registry-auth --resolve-image never -c ${AB_STACK_FILE} ${AB_STACK}`;
  } finally {
    cfg.cleanup();
  }
}

export async function abServices(docker: Docker): Promise<string[]> {
  const list = await (docker as any).listServices({ filters: { label: [`com.docker.stack.namespace=${AB_STACK}`] } } as any);
  return (list as any[]).map((s: any) => s.Spec?.Name ?? s.ID ?? '');
}

/** Removes the stack and waits (bounded) until its services, tasks' network use and config are gone. */
export async function removeAbStack(dockerHost: string, docker: Docker, timeoutMs = 90_000): Promise<void> {
  if (!(await abServices(docker)).length) return;
  await $({ quiet: true, nothrow: true, env: cliEnv(dockerHost), timeout: 60_000 })`docker stack rm ${AB_STACK}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const left = await abServices(docker);
    const configs = (await (docker as any).listConfigs({ filters: { label: [`com.docker.stack.namespace=${AB_STACK}`] } } as any)) as unknown[];
    if (!left.length && !configs.length) return;
    if (!left.length) await $({ quiet: true, nothrow: true, env: cliEnv(dockerHost), timeout: 30_000 })`docker stack rm ${AB_STACK}`;
    await sleep(1000);
  }
  throw new TimeoutError(`the ${AB_STACK} stack was not gone ${timeoutMs / 1000} s after docker stack rm: remove it with docker stack rm ${AB_STACK}`);
}

/** The image a service of the stack runs now (Spec), or null. */
export async function serviceImage(docker: Docker, svc: 'a' | 'b'): Promise<string | null> {
  try {
    const s = (await docker.getService(`${AB_STACK}_${svc}`).inspect()) as any;
    return s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? null;
  } catch {
    return null;
  }
}

/**
 * Waits until both routes answer 200 on /healthz (the database too) several times in a row, side b
 * runs `imageB`, and both sides run tasks of this `epoch` (after a re-deploy the old tasks may
 * still answer for a few seconds).
 */
export async function waitRoutes(docker: Docker, urls: { A: string; B: string }, imageB: string, epoch = 0, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  let last = '';
  const ofEpoch = (t: any) => ((t.Spec?.ContainerSpec?.Env ?? []) as string[]).includes(`AB_EPOCH=${epoch}`);
  while (Date.now() < deadline) {
    const all = (await (docker as any).listTasks({ filters: { label: [`com.docker.stack.namespace=${AB_STACK}`] } } as any)) as any[];
    const state: string[] = [];
    let ready = true;
    for (const svc of ['a', 'b'] as const) {
      const id = ((await (docker as any).listServices({ filters: { name: [`${AB_STACK}_${svc}`] } } as any)) as any[]).find((x) => x.Spec?.Name === `${AB_STACK}_${svc}`)?.ID;
      const mine = all.filter((t) => t.ServiceID === id);
      const current = mine.filter((t) => t.DesiredState === 'running');
      const old = mine.filter((t) => t.DesiredState !== 'running' && t.Status?.State === 'running').length;
      const ok =
        current.length === 1 &&
        current[0].Status?.State === 'running' &&
        ofEpoch(current[0]) &&
        (svc === 'a' || String(current[0].Spec?.ContainerSpec?.Image ?? '').startsWith(imageB.split('@')[0]));
      if (!ok || old) ready = false;
      state.push(`${svc} task ${current[0]?.Status?.State ?? 'none'}${current[0] && !ofEpoch(current[0]) ? ' (previous deploy)' : ''}${old ? `, ${old} old ${svc} task(s) stopping` : ''}`);
    }
    const answers = await Promise.all(
      (['A', 'B'] as const).map(async (s) => {
        try {
          const r = await fetch(`${urls[s]}/healthz`, { signal: AbortSignal.timeout(2000) });
          return r.status;
        } catch (err) {
          return (err as Error).message;
        }
      }),
    );
    last = `A ${answers[0]}, B ${answers[1]}, ${state.join(', ')}`;
    streak = ready && answers.every((a) => a === 200) ? streak + 1 : 0;
    if (streak >= 3) return;
    await sleep(1000);
  }
  throw new TimeoutError(`the A/B routes did not come up within ${timeoutMs / 1000} s (${last})`);
}
