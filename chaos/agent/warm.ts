// The agent image onto every node before anything is measured. Nodes pull an image the first time
// a task needs it; the agent image is large (~800 MB), and on a fresh swarm the first run's lag
// streams, steady-state reads and faults made every node pull it at once while the probe and the
// load already ran: on the embedded swarm (2026-12-07) that held the host at 0 % idle and blacked
// out the web for ~50 s before any fault, so the first experiment failed in "before". A global job
// that runs `true` makes each node pull it first, and says which node could not. A note in the
// swarm's state directory (image and node ids) skips it while neither has changed.
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { createServiceWithAuth } from '../../scripts/lib/registry-auth.ts';
import { newAgentId, removeServices } from './exec.ts';
import { agentServiceName, agentServiceSpec } from './spec.ts';

/** Global job spec (pure): one task per node, the agent image, `true`, no socket, no network. */
export function warmSpec(id: string, image: string): Record<string, unknown> {
  const base = agentServiceSpec({ id, image, role: 'warm', env: {}, command: ['true'] });
  const tt = base.TaskTemplate as Record<string, any>;
  return {
    ...base,
    TaskTemplate: { ...tt, ContainerSpec: { ...tt.ContainerSpec, Mounts: [] }, Placement: { Constraints: [] } },
    Mode: { GlobalJob: {} },
  };
}

export interface WarmTask {
  node: string;
  state: string;
  err?: string;
}

/** Where the warm-up stands (pure): done once every expected node has a task in a final state. */
export function warmProgress(tasks: WarmTask[], nodes: string[]): { done: boolean; pulled: string[]; failed: WarmTask[]; waiting: string[] } {
  const FINAL = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
  // the newest task per node decides (a node may have an older, superseded one)
  const byNode = new Map<string, WarmTask>();
  for (const t of tasks) byNode.set(t.node, t);
  const pulled = nodes.filter((n) => byNode.get(n)?.state === 'complete');
  const failed = nodes.map((n) => byNode.get(n)).filter((t): t is WarmTask => !!t && FINAL.has(t.state) && t.state !== 'complete');
  const waiting = nodes.filter((n) => !FINAL.has(byNode.get(n)?.state ?? ''));
  return { done: waiting.length === 0, pulled, failed, waiting };
}

/**
 * Runs the warm-up job and waits until each ready, active node has run it (or timeoutMs passed);
 * never throws for the job itself: a node that cannot pull is a warning here (the step that needs
 * the agent there fails later with its own error), and the service is always removed.
 */
export async function warmAgentImage(swarm: Dockerode, image: string, o: { log: (l: string) => void; timeoutMs?: number; pollMs?: number; signal?: AbortSignal; noteFile?: string }): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 300_000;
  const pollMs = o.pollMs ?? 1000;
  const id = newAgentId('warm');
  const name = agentServiceName(id);
  const started = Date.now();
  const nodeNames = new Map<string, string>();
  const nodes: string[] = [];
  let ids: string[] = [];
  try {
    for (const n of (await swarm.listNodes()) as any[]) {
      nodeNames.set(String(n.ID), String(n.Description?.Hostname ?? n.ID));
      if (n.Status?.State === 'ready' && n.Spec?.Availability === 'active') {
        nodes.push(String(n.Description?.Hostname ?? n.ID));
        ids.push(String(n.ID));
      }
    }
    ids = ids.sort();
    if (o.noteFile && warmedBefore(o.noteFile, image, ids)) return;
    await createServiceWithAuth(swarm, warmSpec(id, image));
  } catch (err) {
    o.log(`warning: the agent image was not pulled onto the nodes ahead (${err instanceof Error ? err.message : String(err)}); each node pulls it when it first needs it`);
    await removeServices(swarm, [name]).catch(() => undefined);
    return;
  }
  o.log(`agent image: pulling onto ${nodes.length} node(s) before anything is measured`);
  try {
    for (;;) {
      const raw = (await swarm.listTasks({ filters: { service: [name] } })) as any[];
      const tasks: WarmTask[] = raw
        .sort((a, b) => String(a.CreatedAt).localeCompare(String(b.CreatedAt)))
        .map((t) => ({ node: nodeNames.get(String(t.NodeID)) ?? String(t.NodeID), state: String(t.Status?.State ?? ''), err: t.Status?.Err ? String(t.Status.Err) : undefined }));
      const p = warmProgress(tasks, nodes);
      if (p.done) {
        for (const f of p.failed) o.log(`warning: agent image not pulled on ${f.node} (task ${f.state}${f.err ? `: ${f.err}` : ''}); agent steps on that node will fail`);
        o.log(`agent image: on ${p.pulled.length} of ${nodes.length} node(s) (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        if (o.noteFile && p.pulled.length === nodes.length) writeNote(o.noteFile, image, ids);
        return;
      }
      if (Date.now() - started > timeoutMs || o.signal?.aborted) {
        o.log(`warning: agent image still pulling on ${p.waiting.join(', ')} after ${Math.round((Date.now() - started) / 1000)} s; going on`);
        return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await removeServices(swarm, [name]).catch(() => undefined);
  }
}

interface WarmNote {
  image: string;
  nodes: string[];
  at: string;
}

/** the note says this image reached exactly these nodes (ids sorted) */
export function warmedBefore(file: string, image: string, nodeIds: string[]): boolean {
  try {
    const n = JSON.parse(fs.readFileSync(file, 'utf8')) as WarmNote;
    return n.image === image && JSON.stringify(n.nodes) === JSON.stringify(nodeIds);
  } catch {
    return false;
  }
}

function writeNote(file: string, image: string, nodeIds: string[]): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ image, nodes: nodeIds, at: new Date().toISOString() } satisfies WarmNote) + '\n');
  } catch {
    // only a shortcut for the next run
  }
}
