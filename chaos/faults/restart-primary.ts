// Crash the DB primary (SIGKILL its task container). Writes fail until Swarm restarts it on its
// node (with its volume) and the API reconnects; the probe's write endpoint measures how long.
import { z } from 'zod';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { runningTasks } from '../swarm.ts';
import { execOk, type Fault, type UndoEntry } from './types.ts';

const schema = z.object({
  service: z.string().min(1).default('todo_mysql_master'),
  signal: z.enum(['KILL', 'TERM']).default('KILL'),
});
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  task: string;
  node: string;
  container: string;
}

export const restartPrimary: Fault<Params, Entry> = {
  kind: 'restart-primary',
  summary: 'crash the DB primary task; writes fail until Swarm restarts it (the outage is measured)',
  needsHost: true,
  schema,
  describe: (p) => `kill the DB primary task of ${p.service} with SIG${p.signal}; undo: none needed, Swarm restarts it (write outage is measured)`,
  targets: (p) => ({ services: [p.service], nodes: [] }),
  async prepare(_ctx, p, name) {
    const tasks = await runningTasks(_ctx.swarm, p.service);
    if (tasks.length !== 1) throw new EnvironmentError(`restart-primary: expected exactly one running task of ${p.service}, found ${tasks.length}`);
    const t = tasks[0];
    return { kind: 'restart-primary', name, params: p, task: t.id, node: t.node, container: t.containerId! };
  },
  async inject(ctx, entry) {
    ctx.log(`kill the primary ${entry.params.service as string} on ${entry.node}`);
    await execOk(ctx, entry.node, ['docker', 'kill', '--signal', entry.params.signal as string, entry.container], 'docker kill');
    return entry;
  },
  async undo() {
    // Swarm restarts the task; recovery is awaited and measured by the runner
  },
};
