// Cut a task (iptables DROP on every non-loopback interface of its netns) or a whole node (iptables
// DROP on the node's link to the other nodes: in, out and forwarded, so the overlay, the managers
// and everything its tasks send are cut) off the network. Undo heals: the rules are removed. The
// node keeps its address, so the swarm finds it again (disconnecting the container instead would
// lose the address on networks without a user-configured subnet). Through the agent (any swarm) the
// node's link is the interface holding the address Swarm knows it by, and the cut is held by a guard
// on the node (node-guard.ts) that heals at the fault's time: no one can reach a node cut off.
import { z } from 'zod';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { execOk, needHost, type Fault, type UndoEntry } from './types.ts';
import { hostState, pickNode, waitNodeReady } from './nodes.ts';
import { SWARM_SESSION_RESET, guardName, guardRemoveScript, injectViaGuard, undoViaGuard } from './node-guard.ts';
import { inNetns, pickTaskRefs, taskPidShell, type TaskRef } from './task-netns.ts';
import { shQuote } from '../agent/protocol.ts';

const schema = z
  .object({
    mode: z.enum(['task', 'node']).default('task'),
    service: z.string().min(1).optional(),
    count: z.number().int().positive().default(1),
    node: z.string().min(1).optional(),
    avoidServices: z.array(z.string()).default(['todo_mysql_master']),
  })
  .refine((p) => p.mode !== 'task' || p.service, { message: 'mode task needs a service', path: ['service'] });
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  tasks?: TaskRef[];
  node?: string;
  /** the node's interface on the network the nodes share (where its address lives) */
  iface?: string;
  network?: string;
}

const CHAIN = 'GAMEDAY_CHAOS';
const CUT = [
  `iptables -N ${CHAIN} 2>/dev/null || true`,
  `iptables -F ${CHAIN}`,
  `iptables -A ${CHAIN} -j DROP`,
  `iptables -C INPUT ! -i lo -j ${CHAIN} 2>/dev/null || iptables -I INPUT 1 ! -i lo -j ${CHAIN}`,
  `iptables -C OUTPUT ! -o lo -j ${CHAIN} 2>/dev/null || iptables -I OUTPUT 1 ! -o lo -j ${CHAIN}`,
].join(' && ');
const HEAL = [
  `while iptables -D INPUT ! -i lo -j ${CHAIN} 2>/dev/null; do :; done`,
  `while iptables -D OUTPUT ! -o lo -j ${CHAIN} 2>/dev/null; do :; done`,
  `iptables -F ${CHAIN} 2>/dev/null || true`,
  `iptables -X ${CHAIN} 2>/dev/null || true`,
].join('; ');

// A node: only its link to the other nodes (its own bridges and the tasks' loopback stay), in the
// node's own netns, where its engine, the overlay's VXLAN and its tasks' forwarded traffic pass.
const NODE_CHAIN = 'GAMEDAY_CHAOS_NODE';
const NODE_RULES = (iface: string) => [
  ['INPUT', `-i ${iface}`],
  ['OUTPUT', `-o ${iface}`],
  ['FORWARD', `-i ${iface}`],
  ['FORWARD', `-o ${iface}`],
];
export function nodeCutScript(iface: string): string {
  return [
    `iptables -N ${NODE_CHAIN} 2>/dev/null || true`,
    `iptables -F ${NODE_CHAIN}`,
    `iptables -A ${NODE_CHAIN} -j DROP`,
    ...NODE_RULES(iface).map(([c, m]) => `{ iptables -C ${c} ${m} -j ${NODE_CHAIN} 2>/dev/null || iptables -I ${c} 1 ${m} -j ${NODE_CHAIN}; }`),
  ].join(' && ');
}
export function nodeHealScript(iface: string): string {
  return [
    ...NODE_RULES(iface).map(([c, m]) => `while iptables -D ${c} ${m} -j ${NODE_CHAIN} 2>/dev/null; do :; done`),
    `iptables -F ${NODE_CHAIN} 2>/dev/null || true`,
    `iptables -X ${NODE_CHAIN} 2>/dev/null || true`,
  ].join('; ');
}

/** heal, then fail when a rule of ours is left (guard, controller and supervisor through the agent) */
export function nodeHealVerifyScript(iface: string): string {
  return `${nodeHealScript(iface)}\nif iptables -S | grep -q ${NODE_CHAIN}; then echo "rules of ${NODE_CHAIN} still in place" >&2; exit 1; fi\necho "node link healed"\n${SWARM_SESSION_RESET}`;
}

/** The interface of a node holding an address, from `ip -o -4 addr show to <ip>` output. */
export function ifaceOf(ipAddrOutput: string): string | undefined {
  return /^\d+:\s+([A-Za-z0-9_.-]+)[@:\s]/.exec(ipAddrOutput)?.[1];
}

/** Node shell (agent): cut one task's netns off; fails when the task is not running. */
export function taskCutNodeScript(container: string): string {
  return [taskPidShell(container), `[ "$pid" != 0 ] || { echo "container ${container.slice(0, 12)} is not running" >&2; exit 3; }`, `nsenter -t "$pid" -n sh -c ${shQuote(CUT)}`].join('\n');
}

/** Node shell (agent, dead-man supervisor): heal one task's netns and verify no rule of ours is left. */
export function taskHealNodeScript(container: string): string {
  return [
    taskPidShell(container),
    'if [ "$pid" = 0 ]; then echo "task gone: its network namespace went with it"; exit 0; fi',
    `nsenter -t "$pid" -n sh -c ${shQuote(HEAL)}`,
    `if nsenter -t "$pid" -n iptables -S | grep -q ${CHAIN}; then echo "rules of ${CHAIN} still in place" >&2; exit 1; fi`,
    'echo healed',
  ].join('\n');
}

export const partition: Fault<Params, Entry> = {
  kind: 'partition',
  summary: 'cut a task (iptables DROP in its netns) or a node (iptables DROP on its link to the other nodes) off; undo heals',
  needsHost: true,
  schema,
  describe: (p) =>
    p.mode === 'task'
      ? `partition ${p.count} task(s) of ${p.service}: DROP all non-loopback traffic in their netns; undo: remove the rules`
      : `partition node ${p.node ?? `<busiest worker without ${p.avoidServices.join(', ') || 'restriction'}>`}: DROP everything on its link to the other nodes (in, out, forwarded; through the agent held by a guard on the node); undo: remove the rules, wait until Ready`,
  targets: (p) => ({ services: p.service ? [p.service] : [], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    if (p.mode === 'task') {
      return { kind: 'partition', name, params: p, tasks: await pickTaskRefs(ctx, p.service!, p.count, p.node) };
    }
    if (ctx.agent) {
      // the address Swarm knows the node by (its link to the others), and the interface holding it
      const node = await pickNode(ctx, p, 'partition');
      const raw: any = await ctx.swarm.getNode(node.id).inspect();
      const ip = String(raw.Status?.Addr ?? '');
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new ConfigError(`partition: node ${node.hostname}: expected an IPv4 address in Status.Addr, got ${JSON.stringify(ip)}`);
      const out = await execOk(ctx, node.hostname, ['ip', '-o', '-4', 'addr', 'show', 'to', ip], `find the interface of ${ip}`, 30_000);
      const iface = ifaceOf(out);
      if (!iface) throw new ConfigError(`partition: no interface of node ${node.hostname} holds ${ip} (ip addr: ${out.trim().slice(0, 120) || 'nothing'})`);
      return { kind: 'partition', name, params: p, node: node.hostname, iface, network: ip };
    }
    const { host, hostNetwork } = needHost(ctx, 'partition');
    const node = await pickNode(ctx, p, 'partition');
    const info = await host.getContainer(node.hostname).inspect();
    const ip: string | undefined = info.NetworkSettings.Networks[hostNetwork]?.IPAddress;
    if (!ip) throw new ConfigError(`partition: node ${node.hostname} has no address on ${hostNetwork}`);
    const out = await execOk(ctx, node.hostname, ['ip', '-o', '-4', 'addr', 'show', 'to', ip], `find the interface of ${ip}`, 10_000);
    const iface = ifaceOf(out);
    if (!iface) throw new ConfigError(`partition: no interface of node ${node.hostname} holds ${ip} (ip addr: ${out.trim().slice(0, 120) || 'nothing'})`);
    return { kind: 'partition', name, params: p, node: node.hostname, iface, network: hostNetwork };
  },
  async inject(ctx, entry) {
    if (entry.tasks) {
      for (const t of entry.tasks) {
        ctx.log(`partition ${t.service}.${t.slot} on ${t.node}`);
        // through the agent one exec (a Swarm service) finds the pid and cuts
        if (ctx.agent) await execOk(ctx, t.node, ['sh', '-c', taskCutNodeScript(t.container)], `partition ${t.service}.${t.slot ?? t.task}`, 60_000);
        else await inNetns(ctx, t, CUT);
      }
      return entry;
    }
    ctx.log(`cut node ${entry.node} off ${entry.network} (iptables DROP on ${entry.iface})`);
    if (ctx.agent) return injectViaGuard(ctx, entry.node!, entry, nodeCutScript(entry.iface!), nodeHealVerifyScript(entry.iface!), `cut node ${entry.node}`);
    await execOk(ctx, entry.node!, ['sh', '-c', nodeCutScript(entry.iface!)], `cut node ${entry.node}`, 20_000);
    return entry;
  },
  nodeUndo: (entry) =>
    entry.tasks
      ? entry.tasks.map((t) => ({ node: t.node, script: taskHealNodeScript(t.container) }))
      : entry.node && entry.iface
        ? [{ node: entry.node, script: `${guardRemoveScript(guardName(entry, entry.node))}\n${nodeHealVerifyScript(entry.iface)}` }]
        : [],
  async undo(ctx, entry) {
    if (entry.tasks) {
      for (const t of entry.tasks) {
        if (ctx.agent) ctx.log(`${t.service}.${t.slot ?? t.task}: ${(await execOk(ctx, t.node, ['sh', '-c', taskHealNodeScript(t.container)], 'heal partition', 60_000)).trim()}`);
        else await inNetns(ctx, t, HEAL, false);
      }
      return;
    }
    // through the agent (a record with a guard, or no host engine to look at the node container)
    if (ctx.agent && (entry.guard || !ctx.host)) {
      await undoViaGuard(ctx, entry.node!, entry, nodeHealVerifyScript(entry.iface ?? 'eth0'), `heal node ${entry.node}`);
      return;
    }
    const { host } = needHost(ctx, 'partition');
    const state = await hostState(host, entry.node!);
    if (state === 'stopped' || state === 'missing') {
      ctx.log(`node ${entry.node} is ${state}: its rules went with it`);
    } else {
      await execOk(ctx, entry.node!, ['sh', '-c', nodeHealScript(entry.iface ?? 'eth0')], `heal node ${entry.node}`, 20_000);
    }
    await waitNodeReady(ctx.swarm, entry.node!);
  },
};
