// The TODO app deployed a second time under other stack/service names and ingress ports
// (scripts/lib/swarm/naming.ts), described by a target file as a user would describe their own
// app: the game day is then shown against services that are not called todo_*. The images are
// the ones the default deployment runs (read from the swarm, no build).
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { $ } from 'zx';
import { dockerCliEnv } from '../../scripts/lib/docker.ts';
import { deployStacks } from '../../scripts/lib/swarm/deploy.ts';
import { servicesState } from '../../chaos/swarm.ts';
import { STACKS } from '../../scripts/lib/swarm/stacks.ts';
import { stackName, type StackNaming } from '../../scripts/lib/swarm/naming.ts';
import type { TargetFileInput } from '../../chaos/targets/schema.ts';
import { eventually } from './run.ts';
import { appAnswers } from './settle.ts';
import { updateServiceSpec } from '../../chaos/swarm.ts';
import { TODO_TARGET } from '../../chaos/targets/schema.ts';

export const RENAMED: StackNaming = { prefix: 'gdx', appPort: 8080, statsPort: 9936 };

const IMAGE_OF: Record<string, string> = {
  GAMEDAY_IMAGE_TODODB: 'todo_mysql_master',
  GAMEDAY_IMAGE_TODOAPI: 'todo_app_api',
  GAMEDAY_IMAGE_NGINX: 'todo_app_nginx',
  GAMEDAY_IMAGE_TODOWEB: 'todo_frontend_web',
  GAMEDAY_IMAGE_HAPROXY: 'todo_ingress_haproxy',
};

/** The image env of the running default deployment. */
export async function runningImages(swarm: Docker): Promise<Record<string, string>> {
  const services = await swarm.listServices();
  const env: Record<string, string> = {};
  for (const [v, name] of Object.entries(IMAGE_OF)) {
    const s = services.find((x) => x.Spec?.Name === name);
    const image = (s?.Spec as any)?.TaskTemplate?.ContainerSpec?.Image as string | undefined;
    if (!image) throw new Error(`no image for ${v}: service ${name} not found`);
    env[v] = image;
  }
  return env;
}

export function renamedServices(n: StackNaming = RENAMED): Record<string, string> {
  const svc = (stack: string, s: string) => `${stackName(stack, n)}_${s}`;
  return {
    ingress: svc('todo_ingress', 'haproxy'),
    api: svc('todo_app', 'api'),
    apiProxy: svc('todo_app', 'nginx'),
    web: svc('todo_frontend', 'web'),
    webProxy: svc('todo_frontend', 'nginx'),
    dbPrimary: svc('todo_mysql', 'master'),
    dbReplicas: svc('todo_mysql', 'slave'),
  };
}

/** A target file for the renamed copy, as a user writes one (roles only; the rest is the TODO app's). */
export function writeTargetFile(dir: string, n: StackNaming = RENAMED): string {
  const t: TargetFileInput = {
    name: `${n.prefix}-todo`,
    description: 'the TODO app deployed under other names',
    roles: renamedServices(n),
    // named as a user of another app would: the measurements must use these, not the built-in ones
    probe: { endpoints: [{ name: 'open-items', path: '/api/todo?status=TODO' }, { name: 'home', path: '/' }], steadyPaths: ['/api/healthz', '/'] },
    writes: {
      create: { method: 'POST', path: '/api/todo', tokenField: 'title', idField: 'id' },
      list: { path: '/api/todo?status=TODO' },
      table: { name: 'todo', idColumn: 'id', tokenColumn: 'title' },
    },
    db: { network: 'todoapp', port: 3306, user: 'todo', passwordSecret: 'tododb_password', database: 'tododb' },
  };
  const file = path.join(dir, `target-${n.prefix}.json`);
  fs.writeFileSync(file, JSON.stringify(t, null, 2));
  return file;
}

/** Deploys the renamed copy beside the default and waits until each of its services runs every task (healthy). */
export async function deployRenamed(dockerHost: string, swarm: Docker, n: StackNaming = RENAMED, timeoutMs = 420_000): Promise<void> {
  await deployStacks(dockerHost, await runningImages(swarm), n);
  const names = Object.values(renamedServices(n));
  await eventually(
    async () => {
      const states = await servicesState(swarm, names);
      return states.every((s) => s.ok);
    },
    timeoutMs,
    `the renamed stacks (${n.prefix}_*) at desired replicas`,
    2000,
  );
}

/** Removes the renamed copy's stacks and waits until their services are gone. */
export async function removeRenamed(dockerHost: string, swarm: Docker, n: StackNaming = RENAMED): Promise<void> {
  const stacks = STACKS.map((s) => stackName(s.name, n)).reverse();
  await $({ quiet: true, nothrow: true, env: { ...process.env, ...dockerCliEnv(dockerHost) } })`docker stack rm ${stacks}`;
  const names = Object.values(renamedServices(n));
  await eventually(async () => !(await swarm.listServices()).some((s) => names.includes(s.Spec?.Name ?? '')), 120_000, `the ${n.prefix}_* services removed`, 1000);
}

/**
 * Scales the default deployment (the TODO app's todo_* services) to 0 while the renamed copy is
 * measured, as a staging swarm runs one copy of its app: two copies, the load, the probe and the
 * ledger on 2 cores outlasted the whole-node faults' tolerances. Returns the undo: every service
 * back at its replica count, converged, and the default ingress answering (bounded).
 */
export async function parkDefault(swarm: Docker, ingressUrl: string, timeoutMs = 420_000): Promise<() => Promise<void>> {
  const names = Object.values(TODO_TARGET.roles).filter((s): s is string => Boolean(s));
  const before = new Map<string, number>();
  for (const s of await swarm.listServices()) {
    const name = s.Spec?.Name ?? '';
    const n = s.Spec?.Mode?.Replicated?.Replicas;
    if (names.includes(name) && n !== undefined) before.set(name, n);
  }
  const scaleAll = async (to: (name: string) => number) => {
    for (const name of before.keys()) {
      await updateServiceSpec(swarm, name, (spec) => {
        spec.Mode = { Replicated: { Replicas: to(name) } };
        return spec;
      });
    }
  };
  await scaleAll(() => 0);
  await eventually(async () => (await servicesState(swarm, [...before.keys()])).every((s) => s.running === 0), 120_000, 'the default deployment parked (0 tasks)', 1000);
  let restored = false;
  return async () => {
    if (restored) return;
    restored = true;
    await scaleAll((name) => before.get(name)!);
    await eventually(async () => (await servicesState(swarm, [...before.keys()])).every((s) => s.ok), timeoutMs, 'the default deployment back at its replicas', 2000);
    await eventually(async () => (await appAnswers(ingressUrl).catch(() => false)) || undefined, timeoutMs, `the default deployment answering at ${ingressUrl}`, 1000);
  };
}
