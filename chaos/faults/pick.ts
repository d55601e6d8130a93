// Target picking shared by faults: deterministic when asked (by node / first), random otherwise,
// always inside the blast radius.
import { SafetyError } from '../../scripts/lib/errors.ts';
import type { TaskView } from '../swarm.ts';

export function shuffle<T>(items: T[], random: () => number = Math.random): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** How many of `running` tasks one fault may kill: floor(maxShare * running), never all. */
export function blastRadius(running: number, maxShare: number): number {
  return Math.min(running - 1, Math.floor(maxShare * running + 1e-9));
}

export interface PickOptions {
  count?: number;
  share?: number;
  node?: string;
  pick?: 'random' | 'first';
  maxShare: number;
  /** a service with one task may lose it (the DB primary): the outage is the point */
  allowAll?: boolean;
}

export function pickTasks(service: string, tasks: TaskView[], o: PickOptions, random: () => number = Math.random): TaskView[] {
  if (!tasks.length) throw new SafetyError(`service ${service} has no running task to act on`);
  const wanted = o.count ?? (o.share !== undefined ? Math.max(1, Math.round(o.share * tasks.length)) : 1);
  const limit = o.allowAll ? tasks.length : blastRadius(tasks.length, o.maxShare);
  if (wanted > limit) {
    throw new SafetyError(
      `blast radius: ${wanted} of ${tasks.length} running task(s) of ${service} requested, at most ${limit} allowed ` +
        `(max share ${o.maxShare}${o.allowAll ? '' : ', never all of them'})`,
    );
  }
  let pool = tasks;
  if (o.node) {
    pool = tasks.filter((t) => t.node === o.node);
    if (pool.length < wanted) {
      throw new SafetyError(`service ${service} has ${pool.length} running task(s) on node ${o.node}, ${wanted} requested`);
    }
  }
  const ordered = o.pick === 'first' ? pool : shuffle(pool, random);
  return ordered.slice(0, wanted);
}
