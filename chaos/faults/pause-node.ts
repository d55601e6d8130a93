// Freeze a node: every process stops, sockets stay open, so peers see silence rather than resets.
// `docker pause` of a node container alone is not enough here: the nodes share the host's cgroup
// namespace, so their task containers' cgroups are siblings of the node's, not children, and a
// paused node kept serving from its tasks while only its engine (and with it the tasks' DNS) hung.
// So the node's task containers are paused first (by the node's engine), then the node. Undo:
// unpause the node, then every paused container in it (also after a crash: no ids needed).
import { execOk } from './types.ts';
import { hostNodeFault } from './host-node.ts';

export const FREEZE_TASKS = 'ids=$(docker ps -q --filter status=running); [ -z "$ids" ] || docker pause $ids >/dev/null; echo $ids | wc -w';
export const THAW_TASKS = 'ids=$(docker ps -q --filter status=paused); [ -z "$ids" ] || docker unpause $ids >/dev/null; echo $ids | wc -w';

export const pauseNode = hostNodeFault({
  kind: 'pause-node',
  summary: "freeze a worker node: its task containers and then the node container (docker pause); undo: unpause both, wait until Ready",
  verb: 'pause',
  undoText: 'undo: docker unpause (node, then its task containers)',
  act: async (c, ctx, node) => {
    const n = (await execOk(ctx, node, ['sh', '-c', FREEZE_TASKS], 'pausing task containers')).trim();
    ctx.log(`paused ${n} task container(s) on ${node}`);
    await c.pause();
  },
  afterBack: async (ctx, node) => {
    const n = (await execOk(ctx, node, ['sh', '-c', THAW_TASKS], 'unpausing task containers')).trim();
    ctx.log(`unpaused ${n} task container(s) on ${node}`);
  },
});
