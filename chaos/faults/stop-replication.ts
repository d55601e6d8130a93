// Stop replication on one DB replica (STOP SLAVE): it keeps answering reads, ever staler. The lag
// sampler must report it lagging. Undo: START SLAVE (a replaced task starts replicating anyway).
import { z } from 'zod';
import type { Fault, UndoEntry } from './types.ts';
import { execOk, needNodeExec } from './types.ts';
import { pickTaskRefs, type TaskRef } from './task-netns.ts';
import { shQuote } from '../agent/protocol.ts';

const schema = z.object({
  service: z.string().min(1).default('todo_mysql_slave'),
  count: z.number().int().positive().default(1),
  /** SQL client inside the DB image; root connects through the unix socket */
  client: z.array(z.string()).default(['mariadb', '--protocol=socket', '--socket=/run/mysqld/mysqld.sock', '-uroot']),
});
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  tasks: TaskRef[];
}

async function sql(ctx: Parameters<Fault['inject']>[0], t: TaskRef, client: string[], statement: string): Promise<string> {
  return execOk(ctx, t.node, ['docker', 'exec', '-u', 'root', t.container, ...client, '-e', statement], `${statement} in ${t.service}.${t.slot}`);
}

/** Node shell (dead-man supervisor): START SLAVE on a replica task that still runs. */
export function startReplicationNodeScript(container: string, client: string[]): string {
  return [
    `if [ "$(docker inspect -f '{{.State.Running}}' ${container} 2>/dev/null)" != true ]; then echo "task gone: its replacement replicates"; exit 0; fi`,
    `docker exec -u root ${container} ${client.map(shQuote).join(' ')} -e 'START SLAVE' && echo 'START SLAVE done'`,
  ].join('\n');
}

export const stopReplication: Fault<Params, Entry> = {
  kind: 'stop-replication',
  summary: 'STOP SLAVE on DB replica task(s); undo: START SLAVE',
  needsHost: true,
  schema,
  describe: (p) => `STOP SLAVE on ${p.count} task(s) of ${p.service}; undo: START SLAVE`,
  targets: (p) => ({ services: [p.service], nodes: [] }),
  async prepare(ctx, p, name) {
    return { kind: 'stop-replication', name, params: p, tasks: await pickTaskRefs(ctx, p.service, p.count) };
  },
  async inject(ctx, entry) {
    for (const t of entry.tasks) {
      ctx.log(`STOP SLAVE on ${t.service}.${t.slot} (${t.node})`);
      await sql(ctx, t, entry.params.client as string[], 'STOP SLAVE');
    }
    return entry;
  },
  nodeUndo: (entry) => entry.tasks.map((t) => ({ node: t.node, script: startReplicationNodeScript(t.container, entry.params.client as string[]) })),
  async undo(ctx, entry) {
    const nodeExec = needNodeExec(ctx, 'stop-replication');
    for (const t of entry.tasks) {
      // through the agent one exec (a Swarm service) checks and restarts
      if (ctx.agent) {
        ctx.log(`${t.service}.${t.slot}: ${(await execOk(ctx, t.node, ['sh', '-c', startReplicationNodeScript(t.container, entry.params.client as string[])], 'START SLAVE', 60_000)).trim()}`);
        continue;
      }
      // the task may have been replaced: then its container is gone and the new one replicates
      const alive = await nodeExec(t.node, ['docker', 'inspect', '-f', '{{.State.Running}}', t.container], { timeoutMs: 15_000 });
      if (alive.exitCode !== 0 || alive.stdout.trim() !== 'true') continue;
      ctx.log(`START SLAVE on ${t.service}.${t.slot}`);
      await sql(ctx, t, entry.params.client as string[], 'START SLAVE');
    }
  },
};
