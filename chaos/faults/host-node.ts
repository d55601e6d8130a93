// Faults on a node's container on the host (kill, pause): the same params, picking and undo; only
// the docker action differs. The undo brings the container back from whatever state it is in
// (a killed node may have been paused before, and the other way round), then waits until Ready.
import type Dockerode from 'dockerode';
import type { z } from 'zod';
import { needHost, type ChaosContext, type Fault, type UndoEntry } from './types.ts';
import { hostState, nodePickSchema, pickNode, waitNodeReady } from './nodes.ts';

type Params = z.infer<typeof nodePickSchema>;
export interface NodeEntry extends UndoEntry {
  node: string;
}

export interface HostNodeAction {
  kind: string;
  summary: string;
  /** "kill" / "pause": the plan line says `<verb> node X (<how>)` */
  verb: string;
  /** how it is done (default: `docker <verb> on the host`) */
  how?: string;
  /** the undo half of the plan line */
  undoText: string;
  /** read-only, at prepare: what undo needs besides the node (kept in the entry, so in the ledger) */
  capture?: (ctx: ChaosContext, node: string) => Promise<Record<string, unknown>>;
  /** may record in entry what it did (the ledger gets the entry after inject) */
  act: (container: Dockerode.Container, ctx: ChaosContext, node: string, entry: NodeEntry) => Promise<unknown>;
  /** runs after the node is back (Ready), e.g. to thaw what act froze inside it; idempotent */
  afterBack?: (ctx: ChaosContext, node: string, entry: NodeEntry) => Promise<void>;
}

export function hostNodeFault(a: HostNodeAction): Fault<Params, NodeEntry> {
  return {
    kind: a.kind,
    summary: a.summary,
    needsHost: true,
    needsNodeContainers: true,
    schema: nodePickSchema,
    describe: (p) => `${a.verb} node ${p.node ?? `<busiest worker without ${p.avoidServices.join(', ') || 'restriction'}>`} (${a.how ?? `docker ${a.verb} on the host`}); ${a.undoText}`,
    targets: (p) => ({ services: [], nodes: p.node ? [p.node] : [] }),
    async prepare(ctx, p, name) {
      needHost(ctx, a.kind);
      const node = await pickNode(ctx, p, a.kind);
      return { kind: a.kind, name, params: p, node: node.hostname, ...(await a.capture?.(ctx, node.hostname)) };
    },
    async inject(ctx, entry) {
      const { host } = needHost(ctx, a.kind);
      ctx.log(`${a.verb} node ${entry.node}`);
      await a.act(host.getContainer(entry.node), ctx, entry.node, entry);
      return entry;
    },
    async undo(ctx, entry) {
      await bringNodeBack(ctx, needHost(ctx, a.kind).host, entry.node);
      await a.afterBack?.(ctx, entry.node, entry);
    },
  };
}

/** Unpauses or starts a node container as needed, then waits until Swarm sees the node Ready. */
export async function bringNodeBack(ctx: ChaosContext, host: Dockerode, node: string): Promise<void> {
  const state = await hostState(host, node);
  if (state === 'paused') {
    ctx.log(`unpause node ${node}`);
    await host.getContainer(node).unpause();
  } else if (state === 'stopped') {
    ctx.log(`start node ${node}`);
    await host.getContainer(node).start();
  }
  await waitNodeReady(ctx.swarm, node);
}
