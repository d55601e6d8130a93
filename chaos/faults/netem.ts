// Add latency / loss to a task's network (tc netem on every non-loopback interface of its netns).
// Undo deletes the qdisc; a task that was replaced meanwhile took its netns (and the qdisc) along.
import { z } from 'zod';
import type { Fault, UndoEntry } from './types.ts';
import { inNetns, pickTaskRefs, type TaskRef } from './task-netns.ts';

const schema = z.object({
  service: z.string().min(1),
  count: z.number().int().positive().default(1),
  node: z.string().min(1).optional(),
  delayMs: z.number().int().nonnegative().default(200),
  jitterMs: z.number().int().nonnegative().default(0),
  lossPct: z.number().min(0).max(100).default(0),
});
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  tasks: TaskRef[];
}

const IFACES = `ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'`;

export const netem: Fault<Params, Entry> = {
  kind: 'netem',
  summary: "add latency/loss to a task's network with tc netem in its namespace; undo deletes the qdisc",
  needsHost: true,
  schema,
  describe: (p) =>
    `tc netem on ${p.count} task(s) of ${p.service}: delay ${p.delayMs} ms${p.jitterMs ? ` ±${p.jitterMs} ms` : ''}` +
    `${p.lossPct ? `, loss ${p.lossPct}%` : ''}; undo: tc qdisc del`,
  targets: (p) => ({ services: [p.service], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    return { kind: 'netem', name, params: p, tasks: await pickTaskRefs(ctx, p.service, p.count, p.node) };
  },
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    const netemArgs = `delay ${p.delayMs}ms${p.jitterMs ? ` ${p.jitterMs}ms` : ''}${p.lossPct ? ` loss ${p.lossPct}%` : ''}`;
    for (const t of entry.tasks) {
      ctx.log(`netem ${netemArgs} on ${t.service}.${t.slot} (${t.node})`);
      await inNetns(ctx, t, `set -e; for i in $(${IFACES}); do tc qdisc replace dev "$i" root netem ${netemArgs}; done`);
    }
    return entry;
  },
  async undo(ctx, entry) {
    for (const t of entry.tasks) {
      await inNetns(ctx, t, `for i in $(${IFACES}); do tc qdisc del dev "$i" root 2>/dev/null || true; done`, false);
    }
  },
};
