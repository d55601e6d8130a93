// Deploys the four stacks onto a swarm and waits until every service has all replicas running
// (Swarm counts a task as running only once its healthcheck passes) and replication runs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { $ } from 'zx';
import { newStatsPassword } from '../stats-password.ts';
import { dockerCliEnv } from '../docker.ts';
import { deployDockerConfig } from '../registry-auth.ts';
import { TimeoutError } from '../errors.ts';
import { info, sleep } from '../log.ts';
import { nodeExec } from '../node-exec.ts';
import { parseLagLine } from '../../../chaos/measure/lag-parse.ts';
import { APP_NETWORK, SECRETS } from './stacks.ts';
import { DEFAULT_NAMING, renderedStacks, type StackNaming } from './naming.ts';
import { converged, listTasks, serviceStates, type ServiceState } from './state.ts';

const repoRoot = path.resolve(new URL('../../../', import.meta.url).pathname);

export async function ensureAppNetwork(docker: Docker): Promise<void> {
  const nets = await docker.listNetworks({ filters: { name: [APP_NETWORK] } });
  if (nets.some((n) => n.Name === APP_NETWORK)) return;
  await docker.createNetwork({ Name: APP_NETWORK, Driver: 'overlay', Attachable: true, Labels: { 'com.swarm-gameday.owned': 'true' } });
}

/** Secrets are immutable in Swarm: create the missing ones, keep the rest. The stats password is
 *  generated with its secret and kept in the user's state dir (scripts/lib/stats-password.ts). */
export async function ensureSecrets(docker: Docker): Promise<void> {
  const existing = new Set((await docker.listSecrets()).map((s) => s.Spec?.Name));
  for (const name of SECRETS) {
    if (existing.has(name)) continue;
    const value =
      name === 'haproxy_stats_password'
        ? newStatsPassword()
        : crypto.randomBytes(18).toString('base64url');
    await docker.createSecret({ Name: name, Data: Buffer.from(value).toString('base64'), Labels: { 'com.swarm-gameday.owned': 'true' } } as any);
  }
}

/** `naming`: the stacks under another name prefix and ingress ports (swarm/naming.ts); default: todo_*. */
export async function deployStacks(dockerHost: string, imageEnv: Record<string, string>, naming: StackNaming = DEFAULT_NAMING): Promise<void> {
  // the nodes pull with the credential the CLI sends (--with-registry-auth), read from this
  // DOCKER_CONFIG (registry-auth.ts): the embedded registry requires auth
  const cfg = deployDockerConfig(Object.values(imageEnv));
  // dockerCliEnv: DOCKER_HOST plus the TLS env the CLI needs (DOCKER_CERT_PATH explicit, as the
  // DOCKER_CONFIG below would move the CLI's default cert folder)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-stacks-'));
  try {
    for (const s of renderedStacks(repoRoot, naming, dir)) {
      await $({ quiet: true, cwd: repoRoot, env: { ...process.env, ...imageEnv, ...dockerCliEnv(dockerHost), ...(cfg.dir ? { DOCKER_CONFIG: cfg.dir } : {}) } })`docker stack deploy --with-registry-auth --resolve-image never -c ${s.file} ${s.name}`;
    }
  } finally {
    cfg.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function waitConverged(docker: Docker, timeoutMs = 600_000): Promise<ServiceState[]> {
  const deadline = Date.now() + timeoutMs;
  let states: ServiceState[] = [];
  let lastPrint = 0;
  while (Date.now() < deadline) {
    states = await serviceStates(docker);
    if (converged(states)) return states;
    if (Date.now() - lastPrint > 15_000) {
      lastPrint = Date.now();
      info(`waiting: ${states.filter((s) => s.running !== s.desired).map((s) => `${s.name} ${s.running}/${s.desired}`).join(', ') || 'services being created'}`);
    }
    await sleep(1000);
  }
  const failing = (await listTasks(docker)).filter((t) => t.error && t.desiredState !== 'shutdown').slice(0, 8);
  throw new TimeoutError(
    `services did not converge within ${timeoutMs / 1000} s: ` +
      states.map((s) => `${s.name} ${s.running}/${s.desired}`).join(', ') +
      (failing.length ? `\nrecent task errors:\n${failing.map((t) => `  ${t.service}.${t.slot} on ${t.node}: ${t.error}`).join('\n')}` : ''),
  );
}

export interface ReplicaState {
  task: string;
  node: string;
  ioRunning: boolean;
  sqlRunning: boolean;
  heartbeatLagMs: number | null;
  secondsBehindMaster: number | null;
  error?: string;
}

/** Asks each running DB replica task (via its node) for its replication state. */
export async function replicaStates(docker: Docker): Promise<ReplicaState[]> {
  const tasks = (await listTasks(docker, 'todo_mysql_slave')).filter((t) => t.state === 'running' && t.containerId);
  return Promise.all(
    tasks.map(async (t) => {
      const base = { task: `todo_mysql_slave.${t.slot}`, node: t.node };
      const r = await nodeExec(t.node, ['docker', 'exec', t.containerId!, 'tododb-lag'], { timeoutMs: 15_000 });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      const s = parseLagLine(line || r.stderr, Date.now(), base.task, t.node);
      return {
        ...base,
        ioRunning: s.ioRunning,
        sqlRunning: s.sqlRunning,
        heartbeatLagMs: s.heartbeatLagMs,
        secondsBehindMaster: s.secondsBehindMaster,
        ...(s.error ? { error: s.error } : {}),
      };
    }),
  );
}

export async function waitReplication(docker: Docker, timeoutMs = 120_000): Promise<ReplicaState[]> {
  const deadline = Date.now() + timeoutMs;
  let states: ReplicaState[] = [];
  while (Date.now() < deadline) {
    states = await replicaStates(docker);
    if (states.length > 0 && states.every((s) => s.ioRunning && s.sqlRunning && s.heartbeatLagMs !== null && s.heartbeatLagMs < 5000)) return states;
    await sleep(1000);
  }
  throw new TimeoutError(`replication did not run on every replica within ${timeoutMs / 1000} s: ${JSON.stringify(states)}`);
}
