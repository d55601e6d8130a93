// Freeze a node: every process stops, sockets stay open, so peers see silence rather than resets.
// `docker pause` of a node container alone is not enough here: the nodes share the host's cgroup
// namespace, so their task containers' cgroups are siblings of the node's, not children, and a
// paused node kept serving from its tasks while only its engine (and with it the tasks' DNS) hung.
// So the node's task containers are paused first (by the node's engine), then the node. Undo:
// unpause the node, then exactly the task containers this fault paused: their ids are taken at
// prepare (the containers running then, so in the ledger before anything is paused) and narrowed
// to those actually paused at inject. A container someone else paused is left paused.
// Through the agent (any swarm): the task containers are paused by the node's engine, then the
// engine itself is SIGSTOPped (node-guard.ts), by a guard on the node that, at the fault's time,
// SIGCONTs the engine and unpauses the candidates that are paused (it cannot tell the controller
// which ones it paused: the node is silent meanwhile).
import type { ChaosContext } from './types.ts';
import { execOk } from './types.ts';
import { hostNodeFault, type NodeEntry } from './host-node.ts';
import { ENGINE_CONT, ENGINE_STOP } from './node-guard.ts';

/** the node's running task containers (full ids), one per line; agent containers are not tasks */
export const LIST_RUNNING = 'docker ps -q --no-trunc --filter status=running --filter label=com.docker.swarm.task.id';
const ids = (out: string) => out.split(/\s+/).filter((x) => /^[0-9a-f]{12,64}$/.test(x));
const quoted = (xs: string[]) => xs.map((x) => `'${x}'`).join(' ');

/** pauses the given containers that still run; prints the id of each one it paused */
export function freezeScript(containers: string[]): string {
  return `for id in ${quoted(containers)}; do if [ "$(docker inspect -f '{{.State.Running}} {{.State.Paused}}' "$id" 2>/dev/null)" = "true false" ]; then docker pause "$id" >/dev/null && echo "$id"; fi; done; true`;
}

/** unpauses those of the given containers that are paused; fails when one cannot be unpaused */
export function thawScript(containers: string[]): string {
  return `fail=0; for id in ${quoted(containers)}; do if [ "$(docker inspect -f '{{.State.Paused}}' "$id" 2>/dev/null)" = true ]; then docker unpause "$id" >/dev/null && echo "$id" || fail=1; fi; done; exit $fail`;
}

/** records of versions before issue 14 carry no ids: they thawed every paused container, as this does */
export const THAW_ALL_LEGACY = 'ids=$(docker ps -q --filter status=paused); [ -z "$ids" ] || docker unpause $ids >/dev/null; echo $ids';

interface PauseEntry extends NodeEntry {
  /** task containers running at prepare: the candidates */
  containers?: string[];
  /** those inject actually paused */
  paused?: string[];
}

export const pauseNode = hostNodeFault({
  kind: 'pause-node',
  summary: "freeze a worker node: its task containers and then the node container (docker pause); undo: unpause both, wait until Ready",
  verb: 'pause',
  undoText: 'undo: docker unpause (node, then the task containers it paused)',
  capture: async (ctx: ChaosContext, node: string) => ({ containers: ids(await execOk(ctx, node, ['sh', '-c', LIST_RUNNING], 'listing task containers')) }),
  act: async (c, ctx, node, entry) => {
    const e = entry as PauseEntry;
    const paused = e.containers?.length ? ids(await execOk(ctx, node, ['sh', '-c', freezeScript(e.containers)], 'pausing task containers')) : [];
    e.paused = paused;
    ctx.log(`paused ${paused.length} task container(s) on ${node}`);
    await c.pause();
  },
  agent: {
    how: 'docker pause of its task containers, then SIGSTOP of its engine (dockerd, containerd, shims)',
    act: (entry) => `${freezeScript((entry as PauseEntry).containers ?? [])}\n${ENGINE_STOP}`,
    undo: (entry) => `${ENGINE_CONT}\n${(entry as PauseEntry).containers?.length ? thawScript((entry as PauseEntry).containers!) : 'true'}`,
  },
  afterBack: async (ctx, node, entry) => {
    const e = entry as PauseEntry;
    const mine = e.paused ?? e.containers;
    if (!mine) {
      ctx.log(`warning: this ${entry.kind} record is from an older version and does not say which containers it paused: unpausing every paused container on ${node}`);
      await execOk(ctx, node, ['sh', '-c', THAW_ALL_LEGACY], 'unpausing task containers');
      return;
    }
    if (!mine.length) return;
    const n = ids(await execOk(ctx, node, ['sh', '-c', thawScript(mine)], 'unpausing the task containers it paused')).length;
    ctx.log(`unpaused ${n} task container(s) on ${node}`);
  },
});
