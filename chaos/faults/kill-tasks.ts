// Kill N (or a share of) running tasks of a service with SIGKILL, picked at random or on one node.
// Undo has nothing to put back: Swarm replaces the tasks; the runner measures how long that takes.
import { z } from 'zod';
import { runningTasks } from '../swarm.ts';
import { execOk, type Fault, type UndoEntry } from './types.ts';
import { pickTasks } from './pick.ts';

const schema = z
  .object({
    service: z.string().min(1),
    count: z.number().int().positive().optional(),
    share: z.number().gt(0).max(1).optional(),
    node: z.string().min(1).optional(),
    pick: z.enum(['random', 'first']).default('random'),
    signal: z.enum(['KILL', 'TERM']).default('KILL'),
  })
  .refine((p) => !(p.count !== undefined && p.share !== undefined), { message: 'give count or share, not both' });
type Params = z.infer<typeof schema>;

interface Entry extends UndoEntry {
  killed: { task: string; slot?: number; node: string; container: string }[];
}

export const killTasks: Fault<Params, Entry> = {
  kind: 'kill-tasks',
  summary: 'kill running tasks of a service (SIGKILL their containers); Swarm must replace them',
  needsHost: true,
  schema,
  describe: (p) =>
    `kill ${p.count ?? (p.share ? `${p.share * 100}% of the` : 1)} ${p.pick === 'first' ? '' : 'random '}task(s) of ${p.service}` +
    `${p.node ? ` on ${p.node}` : ''} with SIG${p.signal}; undo: none needed, Swarm reschedules (recovery is measured)`,
  targets: (p) => ({ services: [p.service], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    const tasks = await runningTasks(ctx.swarm, p.service);
    const picked = pickTasks(p.service, tasks, { ...p, maxShare: ctx.maxShare });
    return {
      kind: 'kill-tasks',
      name,
      params: p,
      killed: picked.map((t) => ({ task: t.id, slot: t.slot, node: t.node, container: t.containerId! })),
    };
  },
  async inject(ctx, entry) {
    for (const k of entry.killed) {
      ctx.log(`kill ${entry.params.service as string}.${k.slot ?? k.task.slice(0, 8)} on ${k.node}`);
      await execOk(ctx, k.node, ['docker', 'kill', '--signal', entry.params.signal as string, k.container], 'docker kill');
    }
    return entry;
  },
  async undo() {
    // nothing to restore: the orchestrator's own repair is what this fault tests
  },
};
