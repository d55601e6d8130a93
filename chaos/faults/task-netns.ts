// Running commands inside one task container's network namespace, from its node (nsenter), so
// the task's image needs neither tc nor iptables.
import { ConfigError, EnvironmentError } from '../../scripts/lib/errors.ts';
import { runningTasks, type TaskView } from '../swarm.ts';
import { hostState } from './nodes.ts';
import { pickTasks } from './pick.ts';
import { needNodeExec, type ChaosContext } from './types.ts';

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

const NO_SUCH = /no such (object|container)/i;

/**
 * The task container's pid on its node, or 'gone' when it verifiably no longer has a netns: the
 * node's engine says there is no such container, or that it is stopped (pid 0), or the node
 * container itself is stopped or missing. Anything else (a hung engine that does not answer, a
 * paused node) is an error: nobody can tell whether the rules are still in place.
 */
export async function taskPid(ctx: ChaosContext, ref: TaskRef): Promise<number | 'gone'> {
  const nodeExec = needNodeExec(ctx, 'netns');
  const r = await nodeExec(ref.node, ['docker', 'inspect', '-f', '{{.State.Pid}}', ref.container], { timeoutMs: 30_000 });
  if (r.exitCode === 0) {
    const pid = Number(r.stdout.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : 'gone';
  }
  if (NO_SUCH.test(`${r.stderr}\n${r.stdout}`)) return 'gone';
  // without the host engine (agent) the node's own state is not known here: an error, as a hung engine
  const node = ctx.host ? await hostState(ctx.host, ref.node).catch(() => 'unknown' as const) : ('unknown' as const);
  if (node === 'stopped' || node === 'missing') return 'gone';
  const why = r.exitCode === -1 ? 'no answer within 30 s: its engine may hang' : (r.stderr || r.stdout).trim().slice(0, 300);
  throw new EnvironmentError(`docker inspect of ${ref.service}.${ref.slot ?? ref.task} on node ${ref.node} (node ${node}) failed (exit ${r.exitCode}): ${why}`);
}

/**
 * Runs a shell script in the task's netns. With mustExist false (undo), a task that is verifiably
 * gone took its netns (and every rule in it) along: undefined, nothing to undo. Every failure
 * throws, so an undo is only ever reported done (and its ledger entry removed) when it was.
 */
export async function inNetns(ctx: ChaosContext, ref: TaskRef, script: string, mustExist = true): Promise<string | undefined> {
  const nodeExec = needNodeExec(ctx, 'netns');
  const pid = await taskPid(ctx, ref);
  if (pid === 'gone') {
    if (mustExist) throw new EnvironmentError(`container ${ref.container.slice(0, 12)} of ${ref.service}.${ref.slot ?? ref.task} on ${ref.node} is not running`);
    ctx.log(`${ref.service}.${ref.slot ?? ref.task} on ${ref.node} is gone: its network namespace went with it`);
    return undefined;
  }
  const r = await nodeExec(ref.node, ['nsenter', '-t', String(pid), '-n', 'sh', '-c', script], { timeoutMs: 20_000 });
  if (r.exitCode !== 0) {
    throw new ConfigError(`in the netns of ${ref.service}.${ref.slot ?? ref.task} on ${ref.node}: exit ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  }
  return r.stdout;
}

/**
 * Node-shell lines that set $pid to the task container's pid, 0 when it is verifiably gone (no such
 * container, or stopped); any other inspect failure exits 5 with the engine's words.
 */
export function taskPidShell(container: string): string {
  return [
    `if out=$(docker inspect -f '{{.State.Pid}}' ${container} 2>&1); then pid=$out`,
    `elif echo "$out" | grep -qi 'no such'; then pid=0`,
    `else echo "docker inspect ${container.slice(0, 12)}: $out" >&2; exit 5; fi`,
  ].join('\n');
}
