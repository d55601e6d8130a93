// Faults on a whole node (kill, pause, hang the engine): the same params, picking and undo; only the
// action differs. Through the agent (the default, and the only path on a swarm reached by its API)
// a fault with an `agent` action runs as node-shell scripts held by a guard on the node itself
// (node-guard.ts); without one (kill-node) or with GAMEDAY_CHAOS_AGENT=0 it acts on the dind node
// container through the host engine, and the undo brings the container back from whatever state it
// is in (a killed node may have been paused before, and the other way round), then waits until Ready.
import type Dockerode from 'dockerode';
import type { z } from 'zod';
import { needHost, type ChaosContext, type Fault, type UndoEntry } from './types.ts';
import { hostState, nodePickSchema, pickNode, waitNodeReady } from './nodes.ts';
import { guardRemoveScript, guardName, injectViaGuard, undoViaGuard } from './node-guard.ts';

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
  /** the same fault through the agent, as node-shell scripts a guard on the node holds (pure) */
  agent?: {
    /** the plan line's `<how>` through the agent */
    how: string;
    act: (entry: NodeEntry) => string;
    /** undoes and verifies; idempotent (the guard, the controller and the supervisor all run it) */
    undo: (entry: NodeEntry) => string;
  };
}

const viaAgent = (a: HostNodeAction, ctx: ChaosContext) => Boolean(a.agent && ctx.agent);

export function hostNodeFault(a: HostNodeAction): Fault<Params, NodeEntry> {
  return {
    kind: a.kind,
    summary: a.summary,
    needsHost: true,
    // with an agent action only GAMEDAY_CHAOS_AGENT=0 uses the node container, where it exists
    needsNodeContainers: !a.agent,
    schema: nodePickSchema,
    describe: (p) =>
      `${a.verb} node ${p.node ?? `<busiest worker without ${p.avoidServices.join(', ') || 'restriction'}>`} (${a.how ?? `docker ${a.verb} on the host`}` +
      `${a.agent ? `; through the agent: ${a.agent.how}, held and undone by a guard on the node` : ''}); ${a.undoText}`,
    targets: (p) => ({ services: [], nodes: p.node ? [p.node] : [] }),
    nodeUndo: a.agent ? (entry) => [{ node: entry.node, script: `${guardRemoveScript(guardName(entry, entry.node))}\n${a.agent!.undo(entry)}` }] : undefined,
    async prepare(ctx, p, name) {
      if (!viaAgent(a, ctx)) needHost(ctx, a.kind);
      const node = await pickNode(ctx, p, a.kind);
      return { kind: a.kind, name, params: p, node: node.hostname, ...(await a.capture?.(ctx, node.hostname)) };
    },
    async inject(ctx, entry) {
      if (viaAgent(a, ctx)) {
        ctx.log(`${a.verb} node ${entry.node} (${a.agent!.how})`);
        return injectViaGuard(ctx, entry.node, entry, a.agent!.act(entry), a.agent!.undo(entry), `${a.verb} node ${entry.node}`);
      }
      const { host } = needHost(ctx, a.kind);
      ctx.log(`${a.verb} node ${entry.node}`);
      await a.act(host.getContainer(entry.node), ctx, entry.node, entry);
      return entry;
    },
    async undo(ctx, entry) {
      // a record injected through the agent carries its guard; one from the host path does not
      if (a.agent && ctx.agent && ((entry as { guard?: unknown }).guard || !ctx.host)) {
        await undoViaGuard(ctx, entry.node, entry, a.agent.undo(entry), `${a.verb} node ${entry.node}`);
        return;
      }
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
