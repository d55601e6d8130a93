// Cut a task (iptables DROP on every non-loopback interface of its netns) or a whole node (its
// container disconnected from the host network) off the network. Undo heals: rules removed, or the
// node reconnected with the same IP and aliases so the swarm finds it again.
import { z } from 'zod';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { needHost, type Fault, type UndoEntry } from './types.ts';
import { pickNode, waitNodeReady } from './nodes.ts';
import { inNetns, pickTaskRefs, type TaskRef } from './task-netns.ts';

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
  network?: string;
  endpoint?: { ip?: string; aliases?: string[] };
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

export const partition: Fault<Params, Entry> = {
  kind: 'partition',
  summary: 'cut a task (iptables DROP in its netns) or a node (disconnected from the host network) off; undo heals',
  needsHost: true,
  schema,
  describe: (p) =>
    p.mode === 'task'
      ? `partition ${p.count} task(s) of ${p.service}: DROP all non-loopback traffic in their netns; undo: remove the rules`
      : `partition node ${p.node ?? '<random worker>'}: disconnect its container from the host network; undo: reconnect with the same IP`,
  targets: (p) => ({ services: p.service ? [p.service] : [], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    if (p.mode === 'task') {
      return { kind: 'partition', name, params: p, tasks: await pickTaskRefs(ctx, p.service!, p.count, p.node) };
    }
    const { host, hostNetwork } = needHost(ctx, 'partition');
    const node = await pickNode(ctx, p, 'partition');
    const info = await host.getContainer(node.hostname).inspect();
    const ep = info.NetworkSettings.Networks[hostNetwork];
    if (!ep) throw new ConfigError(`partition: node ${node.hostname} is not attached to ${hostNetwork}`);
    return {
      kind: 'partition',
      name,
      params: p,
      node: node.hostname,
      network: hostNetwork,
      endpoint: { ip: ep.IPAMConfig?.IPv4Address || ep.IPAddress, aliases: (ep.Aliases ?? []).filter((a: string) => !info.Id.startsWith(a)) },
    };
  },
  async inject(ctx, entry) {
    if (entry.tasks) {
      for (const t of entry.tasks) {
        ctx.log(`partition ${t.service}.${t.slot} on ${t.node}`);
        await inNetns(ctx, t, CUT);
      }
      return entry;
    }
    const { host } = needHost(ctx, 'partition');
    ctx.log(`disconnect node ${entry.node} from ${entry.network}`);
    await host.getNetwork(entry.network!).disconnect({ Container: entry.node, Force: true });
    return entry;
  },
  async undo(ctx, entry) {
    if (entry.tasks) {
      for (const t of entry.tasks) await inNetns(ctx, t, HEAL, false);
      return;
    }
    const { host } = needHost(ctx, 'partition');
    const info = await host.getContainer(entry.node!).inspect();
    if (!info.NetworkSettings.Networks[entry.network!]) {
      ctx.log(`reconnect node ${entry.node} to ${entry.network} (${entry.endpoint?.ip})`);
      await host.getNetwork(entry.network!).connect({
        Container: entry.node,
        EndpointConfig: {
          IPAMConfig: entry.endpoint?.ip ? { IPv4Address: entry.endpoint.ip } : undefined,
          Aliases: entry.endpoint?.aliases,
        },
      });
    }
    await waitNodeReady(ctx.swarm, entry.node!);
  },
};
