// Task placement over the run: every second, every task of every service (which node, which
// state); only changes are written to placement.jsonl, so the file is a timeline of moves.
import type Dockerode from 'dockerode';
import { hostnamesById, type RawTask } from '../swarm.ts';
import { realClock } from './clock.ts';
import type { PlacementSample } from '../../scripts/lib/run-folder.ts';
import { JsonlSink } from './jsonl-sink.ts';

export interface PlacementOptions {
  swarm: Dockerode;
  signal: AbortSignal;
  maxDurationMs: number;
  intervalMs?: number; // default 1000
  /** only services whose name starts with one of these (default: all) */
  servicePrefixes?: string[];
  log: (line: string) => void;
}

/** Current placement of every task, as samples stamped t. */
export async function placementSnapshot(swarm: Dockerode, t: number, prefixes?: string[]): Promise<PlacementSample[]> {
  const [tasks, services, nodes] = await Promise.all([
    swarm.listTasks() as Promise<RawTask[]>,
    swarm.listServices(),
    swarm.listNodes(),
  ]);
  const serviceName = new Map(services.map((s) => [s.ID, s.Spec?.Name ?? s.ID]));
  const hostname = hostnamesById(nodes);
  return tasks
    .map((task) => {
      const s: PlacementSample = {
        t,
        service: serviceName.get(task.ServiceID) ?? task.ServiceID,
        task: task.ID,
        node: task.NodeID ? (hostname.get(task.NodeID) ?? task.NodeID) : '',
        state: task.Status?.State ?? 'unknown',
        desired: task.DesiredState ?? 'unknown',
      };
      if (task.Slot !== undefined) s.slot = task.Slot;
      return s;
    })
    .filter((s) => !prefixes || prefixes.some((p) => s.service.startsWith(p)));
}

/** Pure: the samples that differ from what was last recorded for their task (updates `last`). */
export function placementChanges(last: Map<string, string>, current: PlacementSample[]): PlacementSample[] {
  const changed: PlacementSample[] = [];
  for (const s of current) {
    const key = `${s.node}|${s.state}|${s.desired}`;
    if (last.get(s.task) === key) continue;
    last.set(s.task, key);
    changed.push(s);
  }
  return changed;
}

export function startPlacementSampler(runDir: string, opts: PlacementOptions): { done: Promise<{ changes: number }> } {
  const sink = new JsonlSink<PlacementSample>(runDir, 'placement.jsonl');
  const last = new Map<string, string>();
  const deadline = Date.now() + opts.maxDurationMs;
  let changes = 0;
  let lastError = '';
  const done = (async () => {
    while (!opts.signal.aborted && Date.now() < deadline) {
      const started = Date.now();
      try {
        const rows = placementChanges(last, await placementSnapshot(opts.swarm, started, opts.servicePrefixes));
        rows.forEach((r) => sink.push(r));
        changes += rows.length;
        lastError = '';
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (msg !== lastError) opts.log(`placement: cannot read tasks: ${msg}`);
        lastError = msg;
      }
      const wait = Math.max(0, (opts.intervalMs ?? 1000) - (Date.now() - started));
      await realClock.sleep(wait, opts.signal);
    }
    sink.close();
    return { changes };
  })();
  return { done };
}
