// Reads what the swarm is doing: our services, their running/desired tasks, and where tasks run.
import type Docker from 'dockerode';
import { STACKS } from './stacks.ts';

export interface ServiceState {
  name: string;
  desired: number;
  running: number;
  image: string;
  updateState?: string;
}

export interface TaskInfo {
  id: string;
  service: string;
  slot?: number;
  node: string; // hostname
  state: string;
  desiredState: string;
  containerId?: string;
  error?: string;
  /** image + env of the spec the task was created from, to tell old tasks from current ones */
  specKey: string;
}

/** What identifies a task template version for us: a task whose key differs is from an older spec. */
function specKey(containerSpec: any): string {
  return JSON.stringify([String(containerSpec?.Image ?? '').split('@')[0], [...(containerSpec?.Env ?? [])].sort()]);
}

export async function nodeHostnames(docker: Docker): Promise<Map<string, string>> {
  const nodes = await docker.listNodes();
  return new Map(nodes.map((n) => [n.ID as string, (n.Description?.Hostname ?? n.ID) as string]));
}

export async function listOurServices(docker: Docker): Promise<Docker.Service[]> {
  const all = await docker.listServices();
  return all.filter((s) => STACKS.some((st) => s.Spec?.Labels?.['com.docker.stack.namespace'] === st.name));
}

export async function listTasks(docker: Docker, service?: string): Promise<TaskInfo[]> {
  const hosts = await nodeHostnames(docker);
  const services = await docker.listServices();
  const names = new Map(services.map((s) => [s.ID, s.Spec?.Name ?? s.ID]));
  const filters = service ? { service: [service] } : {};
  const tasks = (await docker.listTasks({ filters })) as any[];
  return tasks.map((t) => ({
    id: t.ID,
    service: names.get(t.ServiceID) ?? t.ServiceID,
    slot: t.Slot,
    node: hosts.get(t.NodeID) ?? t.NodeID ?? '',
    state: t.Status?.State ?? 'unknown',
    desiredState: t.DesiredState,
    containerId: t.Status?.ContainerStatus?.ContainerID,
    error: t.Status?.Err,
    specKey: specKey(t.Spec?.ContainerSpec),
  }));
}

export async function serviceStates(docker: Docker): Promise<ServiceState[]> {
  const services = await listOurServices(docker);
  const tasks = await listTasks(docker);
  const nodes = await docker.listNodes();
  return services
    .map((s) => {
      const name = s.Spec!.Name!;
      const mode = s.Spec!.Mode as any;
      const desired = mode?.Replicated ? Number(mode.Replicated.Replicas ?? 0) : nodes.filter((n) => n.Status?.State === 'ready').length;
      // right after a deploy Swarm may not have started the rolling update yet: tasks of the old
      // spec do not count, or "converged" would be claimed too early
      const current = specKey((s.Spec as any).TaskTemplate?.ContainerSpec);
      const running = tasks.filter((t) => t.service === name && t.desiredState === 'running' && t.state === 'running' && t.specKey === current).length;
      const image = String((s.Spec as any).TaskTemplate?.ContainerSpec?.Image ?? '').split('@')[0];
      return { name, desired, running, image, updateState: (s as any).UpdateStatus?.State };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function converged(states: ServiceState[]): boolean {
  const expected = STACKS.flatMap((s) => s.services.map((svc) => `${s.name}_${svc}`));
  return (
    expected.every((e) => states.some((s) => s.name === e)) &&
    states.every((s) => s.running === s.desired && s.updateState !== 'updating' && s.updateState !== 'rollback_started')
  );
}
