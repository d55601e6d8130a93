// The dead-man bound of a fault: before inject, one supervisor per node the fault touches is
// started on a manager with the fault's node-side undo (Fault.nodeUndo); it fires at the bound
// unless the controller, having undone first, removes it. The entry records the services and the
// bound, so the ledger (and --recover) knows them.
import type { ChaosContext, Fault, UndoEntry } from '../faults/types.ts';
import type { PlannedStep } from '../plan.ts';

/** allowance for injecting (and arming) each later fault step of the method */
export const INJECT_ALLOWANCE_MS = 30_000;
/** slack beyond the planned end of the method before the supervisor fires */
export const BOUND_MARGIN_MS = 60_000;

export interface AgentNote {
  services: string[];
  boundMs: number;
  /** ISO time the supervisors fire */
  deadline: string;
}

/**
 * How long the fault of plan[index] can stay in place in a run that goes to plan: the controller
 * undoes after the whole method, so its own hold, every later wait and hold, an allowance per later
 * injection, plus a margin.
 */
export function faultBoundMs(plan: PlannedStep[], index: number, margin = BOUND_MARGIN_MS): number {
  let ms = margin;
  for (const p of plan) {
    if (p.index < index) continue;
    if (p.step.type === 'wait') ms += p.step.ms;
    else {
      ms += (p.step as { holdMs?: number }).holdMs ?? 0;
      if (p.index > index) ms += INJECT_ALLOWANCE_MS;
    }
  }
  return ms;
}

export function agentNote(entry: UndoEntry): AgentNote | undefined {
  const a = (entry as { agent?: AgentNote }).agent;
  return a && Array.isArray(a.services) ? a : undefined;
}

/** Starts the supervisors (when the context has an agent and the fault a node-side undo). */
export async function armFault(ctx: ChaosContext, fault: Fault, entry: UndoEntry, boundMs: number): Promise<UndoEntry> {
  if (!ctx.agent || !fault.nodeUndo) return entry;
  const undos = fault.nodeUndo(entry, await ctx.agent.image());
  const services: string[] = [];
  const deadline = new Date(Date.now() + boundMs).toISOString();
  for (const u of undos) services.push(await ctx.agent.arm(u.node, u.script, boundMs, `${entry.kind}:${entry.name}`));
  if (services.length) ctx.log(`dead-man bound for ${entry.name}: ${services.join(', ')} undo it at ${deadline} (${Math.round(boundMs / 1000)} s) unless this run does first`);
  return { ...entry, agent: { services, boundMs, deadline } satisfies AgentNote };
}

/** After a verified undo: the supervisors have nothing left to do. */
export async function disarmFault(ctx: ChaosContext, entry: UndoEntry): Promise<void> {
  const a = agentNote(entry);
  if (!a?.services.length || !ctx.agent) return;
  await ctx.agent.remove(a.services);
}
