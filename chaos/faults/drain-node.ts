// Drain a node (availability=drain): Swarm moves its tasks away gracefully, as for maintenance.
// Undo: availability=active (tasks do not move back by themselves; that is Swarm's behaviour).
import { z } from 'zod';
import { findNode, updateNode } from '../swarm.ts';
import type { Fault, UndoEntry } from './types.ts';
import { nodePickSchema, pickNode } from './nodes.ts';

const schema = nodePickSchema.extend({
  preferAvoidServices: z.array(z.string()).default(['todo_mysql_slave']),
});
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  node: string;
  previous: string;
}

export const drainNode: Fault<Params, Entry> = {
  kind: 'drain-node',
  summary: 'drain a node (tasks move away gracefully); undo: set it active again',
  needsHost: false,
  schema,
  describe: (p) =>
    `drain node ${p.node ?? `<busiest worker without ${p.avoidServices.join(', ') || 'restriction'}${p.preferAvoidServices.length ? `, preferably without ${p.preferAvoidServices.join(', ')}` : ''}>`} (availability=drain); undo: availability=active`,
  targets: (p) => ({ services: [], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    const node = await pickNode(ctx, p, 'drain-node');
    return { kind: 'drain-node', name, params: p, node: node.hostname, previous: node.availability };
  },
  async inject(ctx, entry) {
    ctx.log(`drain node ${entry.node}`);
    await updateNode(ctx.swarm, entry.node, { Availability: 'drain' });
    return entry;
  },
  async undo(ctx, entry) {
    const node = await findNode(ctx.swarm, entry.node);
    const back = entry.previous === 'drain' ? 'active' : entry.previous;
    if (node.availability !== back) {
      ctx.log(`set node ${entry.node} ${back}`);
      await updateNode(ctx.swarm, entry.node, { Availability: back });
    }
  },
};
