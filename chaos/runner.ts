// The lifecycle of one experiment on an already running measurement session:
//   safety -> steady state before -> "before" phase -> method (faults + waits, each fault in the
//   ledger before it is injected) -> rollbacks (ALWAYS, reverse order, also after errors and
//   interrupts) -> recovery (services back at desired replicas, steady state holds) -> "after"
//   phase -> steady state after -> journal with a closed status and the deviated flag.
// Everything with side effects comes in through deps, so the order is unit-testable with fakes.
import { InterruptedError, SafetyError } from '../scripts/lib/errors.ts';
import type { ChaosJournal, FaultWindow, Phase } from '../scripts/lib/run-folder.ts';
import type { ServiceSample, Watcher } from './convergence.ts';
import { recoveryTimes } from './convergence.ts';
import type { ChaosContext, UndoEntry } from './faults/types.ts';
import type { Ledger } from './ledger.ts';
import type { Experiment } from './model.ts';
import type { PlannedStep } from './plan.ts';
import { experimentServices } from './plan.ts';
import type { SteadyStateCheck } from './steady-state.ts';
import { waitSteadyState } from './steady-state.ts';
import { sleep } from './swarm.ts';
import { armFault, disarmFault, faultBoundMs } from './agent/deadman.ts';

/** What the runner needs from the measurement session (chaos/measure). */
export interface FaultTagger {
  setFault(name: string | undefined): void;
}

export interface ExperimentDeps {
  ctx: ChaosContext;
  ledger: Ledger;
  runId: string;
  measurements: FaultTagger;
  steadyState: SteadyStateCheck;
  /** throws SafetyError to refuse (called before anything is touched) */
  safety: (exp: Experiment, plan: PlannedStep[]) => Promise<void>;
  watch: (services: string[]) => Watcher;
  /** fires on every phase change (progress line) */
  onPhase?: (phase: string) => void;
  /** Ctrl-C / SIGTERM: stops the method; rollbacks still run */
  signal: AbortSignal;
  now?: () => number;
  /** polling interval of recovery waits (tests shorten it) */
  pollMs?: number;
}

export interface ExperimentResult {
  journal: ChaosJournal;
  /** notes recorded by the faults while injecting */
  faultNotes: Record<string, unknown>[];
  /** the experiment was refused (SafetyError) before anything was touched */
  refused?: SafetyError;
  serviceSamples: ServiceSample[];
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function runExperiment(exp: Experiment, plan: PlannedStep[], deps: ExperimentDeps): Promise<ExperimentResult> {
  const now = deps.now ?? Date.now;
  const log = deps.ctx.log;
  const startedAt = new Date(now()).toISOString();
  const phases: Phase[] = [];
  const faults: FaultWindow[] = [];
  const rollbacks: ChaosJournal['rollbacks'] = [];
  const journal: ChaosJournal = {
    experiment: exp.id,
    status: 'completed',
    deviated: false,
    startedAt,
    finishedAt: startedAt,
    steadyStateBefore: { ok: false, details: [] },
    faults,
    phases,
    rollbacks,
    plan: plan.map((p) => p.line),
  };
  const result: ExperimentResult = { journal, faultNotes: [], serviceSamples: [] };
  const close = (): ExperimentResult => {
    journal.finishedAt = new Date(now()).toISOString();
    return result;
  };

  let phase: { name: string; start: number } | undefined;
  const enter = (name: string) => {
    const t = now();
    if (phase) phases.push({ name: phase.name, start: phase.start, end: t });
    phase = { name, start: t };
    deps.onPhase?.(name);
  };
  const endPhase = () => {
    if (phase) phases.push({ name: phase.name, start: phase.start, end: now() });
    phase = undefined;
  };

  // 1. safety: a refusal touches nothing
  try {
    deps.onPhase?.('safety');
    await deps.safety(exp, plan);
  } catch (err) {
    journal.status = 'aborted';
    journal.error = errText(err);
    if (err instanceof SafetyError) result.refused = err;
    else throw err;
    return close();
  }

  // 2. steady state before: if it does not hold there is nothing to learn
  deps.onPhase?.('steady-state-before');
  try {
    journal.steadyStateBefore = await deps.steadyState(exp.steadyState);
  } catch (err) {
    journal.steadyStateBefore = { ok: false, details: [`steady-state check failed: ${errText(err)}`] };
  }
  if (!journal.steadyStateBefore.ok) {
    journal.status = 'aborted';
    journal.error = `steady state did not hold before: ${journal.steadyStateBefore.details.join('; ')}`;
    return close();
  }

  const services = experimentServices(exp, plan);
  const watcher = deps.watch(services);
  const applied: { rec: string; entry: UndoEntry; step: PlannedStep; window: FaultWindow }[] = [];
  let firstInjection: number | undefined;
  let interrupted = deps.signal.aborted;

  // 3. before phase + method
  try {
    enter('before');
    await sleep(exp.timing.beforeMs, deps.signal);
    for (const step of plan) {
      if (deps.signal.aborted) throw new InterruptedError();
      if (step.step.type === 'wait') {
        await sleep(step.step.ms, deps.signal);
        continue;
      }
      const fault = step.fault!;
      enter(`fault:${step.name}`);
      deps.measurements.setFault(step.name);
      let entry = await fault.prepare(deps.ctx, step.params, step.name);
      const rec = deps.ledger.add(deps.runId, deps.ctx.dockerHost, entry, deps.ctx.swarmId);
      const window: FaultWindow = {
        name: step.name,
        kind: fault.kind,
        start: now(),
        target: describeTarget(entry),
        description: step.line,
      };
      faults.push(window);
      firstInjection ??= window.start;
      applied.push({ rec: rec.id, entry, step, window });
      // the dead-man bound goes up before the change: undo is idempotent, a kill in between is covered
      if (deps.ctx.agent && fault.nodeUndo) {
        entry = await armFault(deps.ctx, fault, entry, faultBoundMs(plan, step.index));
        applied[applied.length - 1]!.entry = entry;
        deps.ledger.update(rec.id, { entry });
      }
      log(`inject ${step.line}`);
      entry = await fault.inject(deps.ctx, entry);
      applied[applied.length - 1]!.entry = entry;
      deps.ledger.update(rec.id, { status: 'injected', entry });
      if (entry.notes) {
        window.notes = entry.notes;
        result.faultNotes.push(entry.notes);
      }
      if (step.step.holdMs) await sleep(step.step.holdMs, deps.signal);
    }
  } catch (err) {
    if (err instanceof InterruptedError || deps.signal.aborted) {
      interrupted = true;
      journal.status = 'interrupted';
      journal.error = 'interrupted (signal): rolled back';
    } else {
      journal.status = err instanceof SafetyError && applied.length === 0 ? 'aborted' : 'failed';
      journal.error = errText(err);
      if (err instanceof SafetyError && applied.length === 0) result.refused = err;
    }
    log(`method stopped: ${journal.error}`);
  }

  // 4. rollbacks: always, newest first; a failed undo stays in the ledger for --recover
  enter('recovery');
  for (const a of [...applied].reverse()) {
    try {
      log(`undo ${a.step.name}`);
      await a.step.fault!.undo(deps.ctx, a.entry);
      await disarmFault(deps.ctx, a.entry).catch((err) => log(`could not remove the dead-man supervisor of ${a.step.name}: ${errText(err)} (it undoes again at its bound, harmlessly)`));
      deps.ledger.remove(a.rec);
      rollbacks.push({ fault: a.step.name, ok: true });
    } catch (err) {
      rollbacks.push({ fault: a.step.name, ok: false, error: errText(err) });
      log(`undo ${a.step.name} FAILED: ${errText(err)} (left in the ledger for --recover)`);
    }
    a.window.end = now();
  }
  deps.measurements.setFault(undefined);
  if (rollbacks.some((r) => !r.ok) && journal.status === 'completed') {
    journal.status = 'failed';
    journal.error = 'a rollback failed';
  }

  // 5. recovery: until the steady state holds again (bounded); an interrupted run checks once
  const rec = await waitSteadyState(deps.steadyState, exp.steadyState, interrupted ? 0 : exp.timing.recoveryTimeoutMs, undefined, deps.pollMs);
  journal.steadyStateRecoveredMs = rec.ok && firstInjection !== undefined ? now() - firstInjection : rec.ok ? 0 : null;

  // 6. after phase, then the final hypothesis check
  if (!interrupted && rec.ok && exp.timing.afterMs > 0) {
    enter('after');
    try {
      await sleep(exp.timing.afterMs, deps.signal);
    } catch {
      interrupted = true;
      journal.status = 'interrupted';
      journal.error = 'interrupted (signal) during the after phase';
    }
  }
  endPhase();
  let final: { ok: boolean; details: string[] } = rec;
  if (rec.ok && !interrupted) final = await confirmSteadyState(exp, deps, now);
  journal.steadyStateAfter = { ok: final.ok, details: final.details };
  journal.deviated = !journal.steadyStateAfter.ok;

  result.serviceSamples = await watcher.stop();
  journal.recovery = firstInjection === undefined ? [] : recoveryTimes(result.serviceSamples, services, firstInjection);
  return close();
}

function describeTarget(entry: UndoEntry): string | undefined {
  const e = entry as Record<string, any>;
  if (typeof e.node === 'string') return e.node;
  if (Array.isArray(e.killed)) return e.killed.map((k: any) => `${entry.params.service}.${k.slot ?? k.task}@${k.node}`).join(', ');
  if (Array.isArray(e.tasks)) return e.tasks.map((k: any) => `${k.service}.${k.slot ?? k.task}@${k.node}`).join(', ');
  if (typeof e.service === 'string') return e.service;
  return undefined;
}

/**
 * The final hypothesis check, after recovery held and the after phase ran: it holds if one check
 * within timing.confirmMs passes. Failed checks before it are kept in the details, so a run that
 * needed a second look says so.
 */
async function confirmSteadyState(exp: Experiment, deps: ExperimentDeps, now: () => number): Promise<{ ok: boolean; details: string[] }> {
  const t0 = now();
  const misses: string[] = [];
  for (;;) {
    let r: { ok: boolean; details: string[] };
    try {
      r = await deps.steadyState(exp.steadyState);
    } catch (err) {
      r = { ok: false, details: [`steady-state check failed: ${errText(err)}`] };
    }
    if (r.ok) return misses.length ? { ok: true, details: [...r.details, `held on check ${misses.length + 1} (before: ${misses.join(' | ')})`] } : r;
    misses.push(r.details.join('; '));
    if (now() - t0 >= exp.timing.confirmMs || deps.signal.aborted) return misses.length > 1 ? { ok: false, details: [...r.details, `failed ${misses.length} checks in ${now() - t0} ms`] } : r;
    try {
      await sleep(Math.min(deps.pollMs ?? 1000, 2000), deps.signal);
    } catch {
      return r;
    }
  }
}
