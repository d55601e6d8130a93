// Finds the running task containers of a DB service: which node (hostname = local-swarm node
// container) and which container id, so a command can be exec'd in them.
import type Dockerode from 'dockerode';
import { hostnamesById, type RawTask } from '../swarm.ts';

export const DB_SERVICES = { primary: 'todo_mysql_master', replica: 'todo_mysql_slave' } as const;

export interface TaskContainer {
  service: string;
  taskId: string;
  slot?: number;
  /** stable display name: <service>.<slot> (slot survives rescheduling) */
  name: string;
  node: string;
  containerId: string;
  /** the task's IP on its first overlay network (how other tasks reach it), when Swarm reports one */
  address?: string;
}

/** network: the overlay whose address `address` gives (a target's db.network); default the first non-ingress one */
export async function runningTaskContainers(swarm: Dockerode, service: string, network?: string): Promise<TaskContainer[]> {
  const [tasks, nodes] = await Promise.all([
    swarm.listTasks({ filters: { service: [service], 'desired-state': ['running'] } }) as Promise<RawTask[]>,
    swarm.listNodes(),
  ]);
  const hostname = hostnamesById(nodes);
  return tasks
    .filter((t) => t.Status?.State === 'running' && t.Status.ContainerStatus?.ContainerID && t.NodeID)
    .map((t) => ({
      service,
      taskId: t.ID,
      slot: t.Slot,
      name: t.Slot !== undefined ? `${service}.${t.Slot}` : `${service}.${t.ID.slice(0, 12)}`,
      node: hostname.get(t.NodeID!) ?? t.NodeID!,
      containerId: t.Status!.ContainerStatus!.ContainerID!,
      ...taskAddress(t, network),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function taskAddress(t: RawTask, network?: string): { address?: string } {
  const all = (t.NetworksAttachments ?? []).filter((n) => n.Network?.Spec?.Name !== 'ingress');
  const on = network ? all.filter((n) => n.Network?.Spec?.Name === network) : [];
  const nets = on.length ? on : all;
  const a = nets.flatMap((n) => n.Addresses ?? [])[0]?.split('/')[0];
  return a ? { address: a } : {};
}
