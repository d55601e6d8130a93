// Small, typed view of the Swarm API the chaos code needs (services, tasks, nodes). Everything goes
// through dockerode against the manager; callers never touch raw JSON shapes beyond this file.
import type Dockerode from 'dockerode';
import { ConfigError, DockerError, TimeoutError, InterruptedError } from '../scripts/lib/errors.ts';

/** The fields of a Docker task (GET /tasks) this code reads: the one wire shape of a task. */
export interface RawTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  /** the task's addresses per network, e.g. "10.0.1.3/24" */
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** node id -> hostname (the id when a node reports none), from GET /nodes */
export function hostnamesById(nodes: Array<{ ID?: string; Description?: { Hostname?: string } }>): Map<string, string> {
  return new Map(nodes.map((n) => [n.ID ?? '', n.Description?.Hostname ?? n.ID ?? '']));
}

export interface TaskView {
  id: string;
  service: string;
  slot?: number;
  nodeId: string;
  node: string; // node hostname (== host container name on the local swarm)
  state: string;
  desired: string;
  containerId?: string;
  error?: string;
}

export interface NodeView {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  availability: string;
  state: string; // ready / down / unknown
  labels: Record<string, string>;
  leader: boolean;
  version: number;
}

export interface ServiceState {
  service: string;
  desired: number;
  running: number;
  /** tasks that should run but do not (starting = not healthy yet, or failing) */
  notRunning: string[];
  updateState?: string;
  ok: boolean;
}

export async function inspectService(swarm: Dockerode, name: string): Promise<any> {
  try {
    return await swarm.getService(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new ConfigError(`service ${JSON.stringify(name)} does not exist on the swarm`, { cause: err });
    }
    throw new DockerError(`cannot inspect service ${name}`, { cause: err });
  }
}

export async function serviceNames(swarm: Dockerode): Promise<string[]> {
  const list = await swarm.listServices();
  return list.map((s) => s.Spec?.Name ?? '').filter(Boolean).sort();
}

/** Replaces a service spec (optimistic concurrency via the version index). */
export async function updateServiceSpec(
  swarm: Dockerode,
  name: string,
  mutate: (spec: any) => any,
  query: Record<string, string> = {},
): Promise<void> {
  const svc = await inspectService(swarm, name);
  const spec = mutate(structuredClone(svc.Spec));
  await swarm.getService(svc.ID).update({ _query: { version: svc.Version.Index, ...query }, _body: spec } as never);
}

export async function listNodes(swarm: Dockerode): Promise<NodeView[]> {
  const nodes = await swarm.listNodes();
  return nodes.map((n: any) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
    availability: n.Spec?.Availability ?? 'active',
    state: n.Status?.State ?? 'unknown',
    labels: n.Spec?.Labels ?? {},
    leader: Boolean(n.ManagerStatus?.Leader),
    version: n.Version?.Index ?? 0,
  }));
}

export async function findNode(swarm: Dockerode, hostname: string): Promise<NodeView> {
  const nodes = await listNodes(swarm);
  const node = nodes.find((n) => n.hostname === hostname || n.id === hostname);
  if (!node) {
    throw new ConfigError(
      `node ${JSON.stringify(hostname)} is not in the swarm (nodes: ${nodes.map((n) => n.hostname).join(', ')})`,
    );
  }
  return node;
}

/** Node spec update with the version read just before; retried when the node changed meanwhile
 *  (the swarm lock renews a label on the manager while faults may drain it). */
export async function updateNode(swarm: Dockerode, hostname: string, patch: { Availability?: string; Labels?: Record<string, string> }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const raw: any = await swarm.getNode((await findNode(swarm, hostname)).id).inspect();
    const spec = { ...raw.Spec, ...patch };
    try {
      await swarm.getNode(raw.ID).update({ _query: { version: raw.Version.Index }, _body: spec } as never);
      return;
    } catch (err) {
      if (attempt >= 3 || !/out of sequence/i.test(String((err as Error)?.message))) throw err;
    }
  }
}

function toTaskView(t: RawTask, serviceName: string, nodesById: Map<string, string>): TaskView {
  return {
    id: t.ID,
    service: serviceName,
    slot: t.Slot,
    nodeId: t.NodeID ?? '',
    node: nodesById.get(t.NodeID ?? '') ?? t.NodeID ?? '',
    state: t.Status?.State ?? 'unknown',
    desired: t.DesiredState ?? 'unknown',
    containerId: t.Status?.ContainerStatus?.ContainerID || undefined,
    error: t.Status?.Err || undefined,
  };
}

/** Tasks of one service (default: those Swarm wants running). */
export async function listTasks(swarm: Dockerode, service: string, desired: string | null = 'running'): Promise<TaskView[]> {
  const svc = await inspectService(swarm, service);
  const filters: Record<string, string[]> = { service: [svc.ID] };
  if (desired) filters['desired-state'] = [desired];
  const [tasks, nodes] = await Promise.all([swarm.listTasks({ filters }), listNodes(swarm)]);
  const byId = new Map(nodes.map((n) => [n.id, n.hostname]));
  return (tasks as RawTask[]).map((t) => toTaskView(t, service, byId));
}

/** Running tasks with a container, oldest slot first: the ones a fault can act on. */
export async function runningTasks(swarm: Dockerode, service: string): Promise<TaskView[]> {
  const tasks = await listTasks(swarm, service);
  return tasks.filter((t) => t.state === 'running' && t.containerId).sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
}

/** All services at once in two API calls: used by the convergence watcher every second. */
export async function servicesState(swarm: Dockerode, services: string[]): Promise<ServiceState[]> {
  const [list, tasks] = await Promise.all([
    swarm.listServices(),
    swarm.listTasks({ filters: { 'desired-state': ['running'] } }),
  ]);
  return services.map((name) => {
    const svc: any = list.find((s) => s.Spec?.Name === name);
    if (!svc) return { service: name, desired: 0, running: 0, notRunning: ['service missing'], ok: false };
    const global = Boolean(svc.Spec?.Mode?.Global);
    const mine = tasks.filter((t: any) => t.ServiceID === svc.ID);
    const running = mine.filter((t: any) => t.Status?.State === 'running').length;
    const desired = global ? mine.length : (svc.Spec?.Mode?.Replicated?.Replicas ?? 0);
    const notRunning = mine
      .filter((t: any) => t.Status?.State !== 'running')
      .map((t: any) => `${name}.${t.Slot ?? t.ID.slice(0, 6)} ${t.Status?.State}${t.Status?.Err ? ` (${t.Status.Err})` : ''}`);
    const updateState: string | undefined = svc.UpdateStatus?.State;
    const updating = updateState === 'updating' || updateState === 'rollback_started';
    return { service: name, desired, running, notRunning, updateState, ok: running >= desired && notRunning.length === 0 && !updating };
  });
}

/** Abortable sleep: resolves early (rejecting with InterruptedError) when the signal fires. */
export function sleep(msec: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, msec);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with TimeoutError naming `what` when p has not settled after ms (p itself cannot be cancelled). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${Math.max(1, Math.round(ms / 1000))} s`)), Math.max(1, ms));
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

/**
 * Polls until check() returns a value (not undefined); TimeoutError naming `what` otherwise. Each
 * attempt is bounded too (attemptTimeoutMs, and never past the deadline): a call that hangs (a
 * paused manager) fails the attempt instead of the whole wait.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; attemptTimeoutMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastErr: unknown;
  for (;;) {
    // the last attempt may run a little past the deadline (up to 1 s) rather than be cut at once
    const left = Math.max(1000, deadline - Date.now());
    try {
      const v = await withTimeout(check(), Math.min(opts.attemptTimeoutMs ?? 30_000, left), `${what} (one attempt)`);
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const last = lastErr instanceof Error ? `; last attempt: ${lastErr.message}` : '';
      throw new TimeoutError(`timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${what}${last}`, { cause: lastErr });
    }
    await sleep(Math.min(opts.intervalMs ?? 500, Math.max(1, deadline - Date.now())), opts.signal);
  }
}
