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
}

function cliEnv(dockerHost: string, extra: Record<string, string> = {}, dockerConfig?: string): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, ...dockerCliEnv(dockerHost), ...(dockerConfig ? { DOCKER_CONFIG: dockerConfig } : {}) };
}

/** `docker stack deploy` (also an update: re-deploying with another AB_IMAGE_B swaps side b only). */
export async function deployAbStack(i: AbStackInput): Promise<void> {
  const cfg = deployDockerConfig([i.imageA, i.imageB, i.haproxyImage]);
  try {
    const env = cliEnv(i.dockerHost, { AB_IMAGE_A: i.imageA, AB_IMAGE_B: i.imageB, AB_IMAGE_HAPROXY: i.haproxyImage, AB_NODE: i.node, AB_PORT_A: String(i.portA), AB_PORT_B: String(i.portB) }, cfg.dir);
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
 * Waits until both routes answer 200 on /healthz (the database too) several times in a row and
 * side b runs `imageB` (after a re-deploy the old task may still answer for a few seconds).
 */
export async function waitRoutes(docker: Docker, urls: { A: string; B: string }, imageB: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  let last = '';
  while (Date.now() < deadline) {
    const tasks = (await (docker as any).listTasks({ filters: { service: [`${AB_STACK}_b`], 'desired-state': ['running'] } } as any)) as any[];
    const bOk = tasks.length === 1 && tasks[0].Status?.State === 'running' && String(tasks[0].Spec?.ContainerSpec?.Image ?? '').startsWith(imageB.split('@')[0]);
    const all = (await (docker as any).listTasks({ filters: { label: [`com.docker.stack.namespace=${AB_STACK}`] } } as any)) as any[];
    const oldB = all.filter((t) => t.ServiceID === tasks[0]?.ServiceID && t.Status?.State === 'running' && t.DesiredState !== 'running').length;
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
    last = `A ${answers[0]}, B ${answers[1]}, b task ${tasks[0]?.Status?.State ?? 'none'}${oldB ? `, ${oldB} old b task(s) stopping` : ''}`;
    streak = bOk && !oldB && answers.every((a) => a === 200) ? streak + 1 : 0;
    if (streak >= 3) return;
    await sleep(1000);
  }
  throw new TimeoutError(`the A/B routes did not come up within ${timeoutMs / 1000} s (${last})`);
}
