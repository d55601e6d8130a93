// The docker-in-docker nodes of the embedded default: a registry, a manager and N workers on one
// host bridge network, joined into a swarm. Idempotent: existing pieces are reused.
import { hostEnv } from '../host-env.ts';
import { $ } from 'zx';
import { defaults } from '../defaults.ts';
import { DockerError, EnvironmentError, TimeoutError } from '../errors.ts';
import { info, sleep, warn } from '../log.ts';
import { ensureLocalSwarmSshKeys, localSshHostDir } from '../ssh.ts';
import { PLAIN_MANAGER_ALLOWED, ensureLocalSwarmCerts, localServerCertDir, writeManagerApiMode } from '../tls.ts';
import { LOCAL_SWARM, OWNER_LABEL, allNodes, nodeVolume } from '../local-swarm-names.ts';
import { nodeExec, nodeExecOk } from '../node-exec.ts';
import { ensureRegistryHtpasswd } from '../registry-auth.ts';

const q = $({ env: hostEnv(), quiet: true });
const qn = $({ env: hostEnv(), quiet: true, nothrow: true });

// Flags that work on these machines (--privileged does not: the VM lacks CAP_SYS_RESOURCE).
const DIND_FLAGS = [
  '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
  '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
  '--security-opt', 'systempaths=unconfined',
  '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '--cgroupns', 'host',
];

async function containerState(name: string): Promise<'running' | 'stopped' | 'absent'> {
  const r = await qn`docker inspect -f {{.State.Running}} ${name}`;
  if (r.exitCode !== 0) return 'absent';
  return r.stdout.trim() === 'true' ? 'running' : 'stopped';
}

export async function ensureHostImages(): Promise<void> {
  const dir = new URL('../../swarm/', import.meta.url).pathname;
  // cached layers make this a no-op when nothing changed
  await q`docker build -q -t ${LOCAL_SWARM.nodeImage} -f ${dir}node.Dockerfile ${dir}`;
  await q`docker build -q -t ${LOCAL_SWARM.registryImage} -f ${dir}registry.Dockerfile ${dir}`;
}

async function ensureNetwork(): Promise<void> {
  if ((await qn`docker network inspect ${LOCAL_SWARM.network}`).exitCode === 0) return;
  await q`docker network create --label ${OWNER_LABEL}=true ${LOCAL_SWARM.network}`;
}

async function ensureContainer(name: string, args: string[]): Promise<void> {
  const state = await containerState(name);
  if (state === 'running') return;
  if (state === 'stopped') {
    await q`docker start ${name}`;
    return;
  }
  await q`docker run -d --name ${name} --hostname ${name} --network ${LOCAL_SWARM.network} --label ${OWNER_LABEL}=true ${args}`;
}

/** label with the registry's htpasswd fingerprint (registry-auth.ts) */
const REGISTRY_AUTH_LABEL = 'com.swarm-gameday.registry-auth';

export async function ensureRegistry(): Promise<void> {
  await ensureNetwork();
  const auth = ensureRegistryHtpasswd(LOCAL_SWARM.registryImage);
  // a registry without auth (older versions) or with another password is recreated; its data
  // volume keeps the images
  const have = await qn`docker inspect -f ${`{{index .Config.Labels "${REGISTRY_AUTH_LABEL}"}}`} ${LOCAL_SWARM.registry}`;
  if (have.exitCode === 0 && have.stdout.trim() !== auth.fingerprint) {
    info(`recreating ${LOCAL_SWARM.registry} with authentication (its images are kept)`);
    await q`docker rm -f ${LOCAL_SWARM.registry}`;
  }
  await ensureContainer(LOCAL_SWARM.registry, [
    '--network-alias', 'registry',
    '--label', `${REGISTRY_AUTH_LABEL}=${auth.fingerprint}`,
    '-v', `${auth.file}:/etc/docker/registry/htpasswd:ro`,
    '-p', `127.0.0.1:${defaults.local.registryPort}:5000`,
    '-v', `${LOCAL_SWARM.registry}-data:/var/lib/docker-registry`,
    LOCAL_SWARM.registryImage,
  ]);
}

async function waitEngine(node: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await nodeExec(node, ['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 })).exitCode === 0) return;
    await sleep(500);
  }
  throw new TimeoutError(`the engine inside node ${node} did not answer within ${timeoutMs / 1000} s (docker logs ${node})`);
}

/**
 * The manager's API: TLS with client verification on 2376 (published on the host's loopback at
 * managerApiPort), plus a key-only sshd (loopback managerSshPort). A manager created before TLS
 * (no api label) is not recreated here (that would move the swarm under running work): the
 * migration is named, and with PLAIN_MANAGER_ALLOWED false it is refused.
 */
export async function managerApiArgs(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  ensureLocalSwarmCerts(env);
  ensureLocalSwarmSshKeys(env);
  return [
    '--label', `${LOCAL_SWARM.apiModeLabel}=tls`,
    '-e', 'NODE_API_TLS=1',
    '-e', 'NODE_SSHD=1',
    '-v', `${localServerCertDir(env)}:/etc/gameday/tls:ro`,
    '-v', `${localSshHostDir(env)}:/etc/gameday/ssh:ro`,
    '-p', `127.0.0.1:${LOCAL_SWARM.managerApiPort}:2376`,
    '-p', `127.0.0.1:${LOCAL_SWARM.managerSshPort}:22`,
  ];
}

export const PLAIN_MANAGER_MIGRATION = 'npm run stack:down && npm run stack:up';

/** What an existing manager's api label means: its mode, and the message when it predates TLS. */
export function managerApiVerdict(label: string, plainAllowed = PLAIN_MANAGER_ALLOWED): { mode: 'tls' | 'tcp'; message?: string; fatal: boolean } {
  if (label === 'tls') return { mode: 'tls', fatal: false };
  const message = `${LOCAL_SWARM.manager} was created before its Docker API had TLS: it serves plain TCP on 127.0.0.1:${LOCAL_SWARM.managerApiPort} (root for any local user). Migrate: ${PLAIN_MANAGER_MIGRATION}`;
  return { mode: 'tcp', message: plainAllowed ? `${message} (still used over plain TCP for now)` : message, fatal: !plainAllowed };
}

async function checkManagerApiMode(): Promise<void> {
  const r = await qn`docker inspect -f ${`{{index .Config.Labels "${LOCAL_SWARM.apiModeLabel}"}}`} ${LOCAL_SWARM.manager}`;
  if (r.exitCode !== 0) return; // no manager yet: it is created with TLS
  const v = managerApiVerdict(r.stdout.trim());
  writeManagerApiMode(v.mode);
  if (v.fatal) throw new EnvironmentError(v.message!);
  if (v.message) warn(v.message);
}

export async function ensureNodes(): Promise<void> {
  const l = defaults.local;
  await checkManagerApiMode();
  const managerCreated = (await containerState(LOCAL_SWARM.manager)) === 'absent';
  await ensureContainer(LOCAL_SWARM.manager, [
    ...DIND_FLAGS,
    ...(managerCreated ? await managerApiArgs() : []),
    '-v', `${nodeVolume(LOCAL_SWARM.manager)}:/var/lib/docker`,
    '-p', `127.0.0.1:${l.ingressPort}:80`,
    '-p', `127.0.0.1:${l.statsPort}:1936`,
    LOCAL_SWARM.nodeImage,
  ]);
  if (managerCreated) writeManagerApiMode('tls');
  for (const w of LOCAL_SWARM.workers) {
    await ensureContainer(w, [...DIND_FLAGS, '-v', `${nodeVolume(w)}:/var/lib/docker`, LOCAL_SWARM.nodeImage]);
  }
  await Promise.all(allNodes().map((n) => waitEngine(n)));
}

async function swarmState(node: string): Promise<string> {
  return (await nodeExecOk(node, ['docker', 'info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
}

export async function ensureSwarm(): Promise<void> {
  const m = LOCAL_SWARM.manager;
  if ((await swarmState(m)) !== 'active') {
    info('initialising the swarm on the manager');
    // 2 s heartbeat: a killed node is marked down after ~6 s instead of ~15 s (shorter game-days)
    await nodeExecOk(m, ['docker', 'swarm', 'init', '--advertise-addr', 'eth0', '--dispatcher-heartbeat', '2s']);
  }
  const token = (await nodeExecOk(m, ['docker', 'swarm', 'join-token', '-q', 'worker'])).trim();
  for (const w of LOCAL_SWARM.workers) {
    const st = await swarmState(w);
    if (st === 'active' || st === 'pending') continue;
    info(`joining ${w}`);
    await nodeExecOk(w, ['docker', 'swarm', 'join', '--token', token, `${m}:2377`]);
  }
  await pruneStaleNodes();
  // the "allowed for chaos" mark: chaos refuses a swarm without it
  await nodeExecOk(m, ['docker', 'node', 'update', '--label-add', 'gameday.chaos=allowed', m]);
  // the DB primary keeps its data in a node-local volume, so it is pinned to one worker
  await nodeExecOk(m, ['docker', 'node', 'update', '--label-add', 'gameday.tododb=primary', LOCAL_SWARM.workers[0]]);
  await waitNodesReady();
}

/** A node container recreated with a fresh volume joins as a new node; drop its old, down twin. */
async function pruneStaleNodes(): Promise<void> {
  const out = await nodeExecOk(LOCAL_SWARM.manager, ['docker', 'node', 'ls', '--format', '{{.ID}} {{.Hostname}} {{.Status}}']);
  const rows = out.trim().split('\n').filter(Boolean).map((l) => l.split(' '));
  for (const [id, host, status] of rows) {
    if (status !== 'Down') continue;
    if (rows.some(([id2, host2, st2]) => id2 !== id && host2 === host && st2 === 'Ready')) {
      await nodeExec(LOCAL_SWARM.manager, ['docker', 'node', 'rm', '--force', id]);
    }
  }
}

export async function waitNodesReady(timeoutMs = 120_000): Promise<void> {
  const want = allNodes().length;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await nodeExecOk(LOCAL_SWARM.manager, ['docker', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    const ready = new Set(last.trim().split('\n').filter((l) => l.endsWith(' Ready')).map((l) => l.split(' ')[0]));
    if (allNodes().every((n) => ready.has(n)) && ready.size >= want) return;
    await sleep(1000);
  }
  throw new TimeoutError(`not all ${want} swarm nodes became Ready within ${timeoutMs / 1000} s:\n${last}`);
}

export async function nodesRunning(): Promise<boolean> {
  for (const n of [LOCAL_SWARM.registry, ...allNodes()]) if ((await containerState(n)) !== 'running') return false;
  return true;
}

/** Removes every host container, volume and network of ours (by name and owner label). */
export async function removeAll(): Promise<string[]> {
  const removed: string[] = [];
  // by name only: the same container given twice (id and name) makes docker's parallel removal
  // fail with "removal already in progress"
  const names = new Set((await q`docker ps -a --format {{.Names}} --filter label=${OWNER_LABEL}=true`).stdout.trim().split('\n').filter(Boolean));
  for (const n of [LOCAL_SWARM.registry, ...allNodes()]) if ((await containerState(n)) !== 'absent') names.add(n);
  if (names.size) {
    await q`docker rm -f -v ${[...names]}`;
    removed.push(...names);
  }
  const vols = [`${LOCAL_SWARM.registry}-data`, ...allNodes().map(nodeVolume)];
  for (const v of vols) {
    if ((await qn`docker volume rm ${v}`).exitCode === 0) removed.push(`volume ${v}`);
  }
  if ((await qn`docker network rm ${LOCAL_SWARM.network}`).exitCode === 0) removed.push(`network ${LOCAL_SWARM.network}`);
  // the manager is gone: the next one's API mode is written when it is created (certificates stay)
  writeManagerApiMode(undefined);
  return removed;
}

export function assertNoDockerError(r: { exitCode: number | null; stderr: string }, what: string): void {
  if (r.exitCode !== 0) throw new DockerError(`${what} failed: ${r.stderr.trim()}`);
}
