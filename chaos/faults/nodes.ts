// Picking a node for node-level faults: a worker by default, never the last manager, and by
// default not the node that holds the DB primary (its data lives in a node-local volume).
import type Dockerode from 'dockerode';
import { z } from 'zod';
import { ConfigError, SafetyError } from '../../scripts/lib/errors.ts';
import { listNodes, listTasks, waitFor, type NodeView } from '../swarm.ts';
import { shuffle } from './pick.ts';
import type { ChaosContext } from './types.ts';

/** Params of every node-level fault: a named node, or the busiest worker avoiding the DB primary's node. */
export const nodePickSchema = z.object({
  node: z.string().min(1).optional(),
  avoidServices: z.array(z.string()).default(['todo_mysql_master']),
});

export interface NodePick {
  node?: string;
  /** random pick never takes a node running a task of these services */
  avoidServices: string[];
  /** and prefers a node without these, taking one with them when no other is left */
  preferAvoidServices?: string[];
}

/** Running tasks per node id: a node that runs nothing makes a node fault a no-op. */
async function taskCounts(ctx: ChaosContext, nodes: NodeView[]): Promise<Map<string, number>> {
  const tasks = await ctx.swarm.listTasks({ filters: { 'desired-state': ['running'] } });
  const counts = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (const t of tasks) if (t.NodeID && counts.has(t.NodeID)) counts.set(t.NodeID, counts.get(t.NodeID)! + 1);
  return counts;
}

/** A random node among those running the most tasks (after an earlier fault moved tasks away,
 *  the emptied node would otherwise be picked as often as a loaded one). */
export function busiest(candidates: NodeView[], counts: Map<string, number>): NodeView | undefined {
  const top = Math.max(...candidates.map((n) => counts.get(n.id) ?? 0));
  return shuffle(candidates.filter((n) => (counts.get(n.id) ?? 0) === top))[0];
}

async function nodesRunning(ctx: ChaosContext, services: string[]): Promise<Set<string>> {
  const busy = new Set<string>();
  for (const s of services) {
    try {
      for (const t of await listTasks(ctx.swarm, s)) busy.add(t.node);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err; // a missing service simply avoids nothing
    }
  }
  return busy;
}

export async function pickNode(ctx: ChaosContext, p: NodePick, kind: string): Promise<NodeView> {
  const nodes = await listNodes(ctx.swarm);
  const managers = nodes.filter((n) => n.role === 'manager' && n.state === 'ready');
  const readyWorkers = nodes.filter((n) => n.role === 'worker' && n.state === 'ready' && n.availability === 'active');
  let chosen: NodeView | undefined;
  if (p.node) {
    chosen = nodes.find((n) => n.hostname === p.node || n.id === p.node);
    if (!chosen) throw new ConfigError(`${kind}: params.node: expected one of ${nodes.map((n) => n.hostname).join(', ')}, got ${JSON.stringify(p.node)}`);
  } else {
    const busy = await nodesRunning(ctx, p.avoidServices);
    const allowed = readyWorkers.filter((n) => !busy.has(n.hostname));
    const preferredBusy = await nodesRunning(ctx, p.preferAvoidServices ?? []);
    // e.g. with 3 workers, the primary and 2 replicas may occupy all of them: then a replica's
    // node is drained (the replica moves and re-clones) rather than refusing the experiment
    const preferred = allowed.filter((n) => !preferredBusy.has(n.hostname));
    chosen = busiest(preferred.length ? preferred : allowed, await taskCounts(ctx, nodes));
    if (!chosen) throw new SafetyError(`${kind}: no ready worker without a task of ${p.avoidServices.join(', ')} to act on`);
  }
  if (chosen.state !== 'ready') throw new SafetyError(`${kind}: node ${chosen.hostname} is not ready (${chosen.state}): the swarm is already degraded`);
  if (chosen.role === 'manager') {
    if (!ctx.allowManager) throw new SafetyError(`${kind}: ${chosen.hostname} is a manager; pass --allow-manager to act on managers`);
    if (managers.length <= 1) throw new SafetyError(`${kind}: ${chosen.hostname} is the last manager; killing it stops all rescheduling`);
  } else if (readyWorkers.filter((n) => n.id !== chosen!.id).length < 1) {
    throw new SafetyError(`${kind}: ${chosen.hostname} is the last ready worker`);
  }
  return chosen;
}

export async function waitNodeReady(swarm: Dockerode, hostname: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `node ${hostname} to be ready`,
    async () => ((await listNodes(swarm)).find((n) => n.hostname === hostname)?.state === 'ready' ? true : undefined),
    { timeoutMs, intervalMs: 1000 },
  );
}

/** Host container state of a node container: running / paused / exited / missing. */
export async function hostState(host: Dockerode, name: string): Promise<'running' | 'paused' | 'stopped' | 'missing'> {
  try {
    const c = await host.getContainer(name).inspect();
    if (c.State.Paused) return 'paused';
    return c.State.Running ? 'running' : 'stopped';
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return 'missing';
    throw err;
  }
}
