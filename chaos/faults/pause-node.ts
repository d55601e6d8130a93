// Freeze a node (docker pause on the host: every process stops, sockets stay open). Unlike a kill,
// peers see silence rather than resets. Undo: unpause and wait until Ready.
import { z } from 'zod';
import { needHost, type Fault, type UndoEntry } from './types.ts';
import { hostState, nodePickSchema, pickNode, waitNodeReady } from './nodes.ts';

const schema = nodePickSchema;
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  node: string;
}

export const pauseNode: Fault<Params, Entry> = {
  kind: 'pause-node',
  summary: 'freeze a worker node container (docker pause); undo: unpause and wait until Ready',
  needsHost: true,
  schema,
  describe: (p) =>
    `pause node ${p.node ?? `<random worker without ${p.avoidServices.join(', ') || 'restriction'}>`} (docker pause on the host); undo: docker unpause`,
  targets: (p) => ({ services: [], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    needHost(ctx, 'pause-node');
    const node = await pickNode(ctx, p, 'pause-node');
    return { kind: 'pause-node', name, params: p, node: node.hostname };
  },
  async inject(ctx, entry) {
    const { host } = needHost(ctx, 'pause-node');
    ctx.log(`pause node ${entry.node}`);
    await host.getContainer(entry.node).pause();
    return entry;
  },
  async undo(ctx, entry) {
    const { host } = needHost(ctx, 'pause-node');
    const state = await hostState(host, entry.node);
    if (state === 'paused') {
      ctx.log(`unpause node ${entry.node}`);
      await host.getContainer(entry.node).unpause();
    } else if (state === 'stopped') {
      await host.getContainer(entry.node).start();
    }
    await waitNodeReady(ctx.swarm, entry.node);
  },
};
