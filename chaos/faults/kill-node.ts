// Kill a worker node: SIGKILL its container on the host. Swarm marks it down after missed
// heartbeats and reschedules its tasks. Undo: start the container again and wait until Ready.
import { z } from 'zod';
import { needHost, type Fault, type UndoEntry } from './types.ts';
import { hostState, nodePickSchema, pickNode, waitNodeReady } from './nodes.ts';

const schema = nodePickSchema;
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  node: string;
}

export const killNode: Fault<Params, Entry> = {
  kind: 'kill-node',
  summary: 'kill a worker node container on the host (power loss); undo: start it and wait until Ready',
  needsHost: true,
  schema,
  describe: (p) =>
    `kill node ${p.node ?? `<random worker without ${p.avoidServices.join(', ') || 'restriction'}>`} (docker kill on the host); ` +
    'undo: docker start, wait until the node is Ready',
  targets: (p) => ({ services: [], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    needHost(ctx, 'kill-node');
    const node = await pickNode(ctx, p, 'kill-node');
    return { kind: 'kill-node', name, params: p, node: node.hostname };
  },
  async inject(ctx, entry) {
    const { host } = needHost(ctx, 'kill-node');
    ctx.log(`kill node ${entry.node}`);
    await host.getContainer(entry.node).kill({ signal: 'SIGKILL' });
    return entry;
  },
  async undo(ctx, entry) {
    const { host } = needHost(ctx, 'kill-node');
    const state = await hostState(host, entry.node);
    if (state === 'paused') await host.getContainer(entry.node).unpause();
    if (state === 'stopped') {
      ctx.log(`start node ${entry.node}`);
      await host.getContainer(entry.node).start();
    }
    await waitNodeReady(ctx.swarm, entry.node);
  },
};
