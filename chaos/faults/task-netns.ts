// Running commands inside one task container's network namespace, from its node (nsenter), so
// the task's image needs neither tc nor iptables.
import { ConfigError } from '../../scripts/lib/errors.ts';
import { runningTasks, type TaskView } from '../swarm.ts';
import { pickTasks } from './pick.ts';
import { containerPid, needHost, type ChaosContext } from './types.ts';

export interface TaskRef {
  service: string;
  task: string;
  slot?: number;
  node: string;
  container: string;
}

export async function pickTaskRefs(ctx: ChaosContext, service: string, count: number, node?: string): Promise<TaskRef[]> {
  const tasks: TaskView[] = await runningTasks(ctx.swarm, service);
  const picked = pickTasks(service, tasks, { count, node, pick: 'random', maxShare: ctx.maxShare });
  return picked.map((t) => ({ service, task: t.id, slot: t.slot, node: t.node, container: t.containerId! }));
}

/** Runs a shell script in the task's netns; undefined when the container is gone (nothing to undo). */
export async function inNetns(ctx: ChaosContext, ref: TaskRef, script: string, mustExist = true): Promise<string | undefined> {
  const { nodeExec } = needHost(ctx, 'netns');
  let pid: number;
  try {
    pid = await containerPid(ctx, ref.node, ref.container);
  } catch (err) {
    if (mustExist) throw err;
    return undefined;
  }
  const r = await nodeExec(ref.node, ['nsenter', '-t', String(pid), '-n', 'sh', '-c', script], { timeoutMs: 20_000 });
  if (r.exitCode !== 0) {
    throw new ConfigError(`in the netns of ${ref.service}.${ref.slot ?? ref.task} on ${ref.node}: exit ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  }
  return r.stdout;
}
