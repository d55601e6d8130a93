// When an integration test reruns a chaos run, once: only when the run measured the machine, not
// the fault. On this shared 2-core CI machine two cases are known: the baseline broke before any
// fault acted (the steady state did not hold before the method, or an outage began in the "before"
// phase), or only timing tolerances failed while the CPU was not the app's: the hypervisor took a
// sizeable share (steal of 20-70 % seen), or the host was saturated (the swarm, two copies of the
// app, the load and the controller on 2 cores: 0-1 % idle for 1-2 min after a fault's undo was
// seen, with no steal). Each rerun says why; a failure that is the app's fails the rerun too. A
// run that lost a write, did not complete, left a fault in place or missed its steady state after
// is never rerun.
import path from 'node:path';
import { readJson, type ChaosJournal, type Verdict } from '../../scripts/lib/run-folder.ts';
import { formatShare, type CpuShare } from './cpu.ts';
import { repoRoot, type RunResult } from './run.ts';

/** the steal share of the CPU over a run from which its timing tolerances say more of the host than of the app */
export const STARVED_STEAL_PCT = 10;
/** the idle share at or below which the host was saturated */
export const SATURATED_IDLE_PCT = 10;
/** tolerances that measure time, and so the machine's speed as well as the app */
const TIMING = /^(availability|longest outage|p95 latency|replica heartbeat lag p95|back at desired replicas within|write outage)/;

export function runDir(r: RunResult): string | undefined {
  const m = /run folder ([^\s;]+)/.exec(r.stdout);
  return m ? path.resolve(repoRoot, m[1]!) : undefined;
}

/** Why one experiment's baseline was broken before any fault acted, or undefined. */
export function brokenBefore(journal: Pick<ChaosJournal, 'status' | 'error'> | undefined, verdicts: Verdict[]): string | undefined {
  if (journal?.status === 'aborted' && /steady state did not hold before|already degraded/.test(journal.error ?? '')) return journal.error;
  const before = verdicts.find((v) => !v.ok && /\b(in|from) before\b/.test(v.actual));
  return before ? `${before.tolerance}: ${before.actual}` : undefined;
}

/** Why one experiment failed on the machine rather than the app: only timing tolerances failed, under steal or on a saturated host. */
export function starved(verdicts: Verdict[], cpu: CpuShare | undefined): string | undefined {
  if (!cpu || (cpu.stealPct < STARVED_STEAL_PCT && cpu.idlePct > SATURATED_IDLE_PCT)) return undefined;
  const failed = verdicts.filter((v) => !v.ok);
  if (!failed.length || !failed.every((v) => TIMING.test(v.tolerance))) return undefined;
  return `${formatShare(cpu)}; failed only: ${failed.map((v) => `${v.tolerance} (${v.actual})`).join('; ')}`;
}

/** Why one experiment should be run once more, or undefined. */
export function experimentRerunReason(journal: Pick<ChaosJournal, 'status' | 'error'> | undefined, verdicts: Verdict[], cpu: CpuShare | undefined): string | undefined {
  const broken = brokenBefore(journal, verdicts);
  if (broken) return `the baseline broke before any fault acted (${broken})`;
  const s = starved(verdicts, cpu);
  return s ? `the machine was starved (${s})` : undefined;
}

function folder(r: RunResult): { journal?: ChaosJournal; verdicts: Verdict[] } | undefined {
  const dir = runDir(r);
  if (!dir) return undefined;
  let journal: ChaosJournal | undefined;
  let verdicts: Verdict[] = [];
  try {
    journal = readJson<ChaosJournal>(dir, 'journal.json');
  } catch {
    /* not written: no journal to judge by */
  }
  try {
    verdicts = readJson<Verdict[]>(dir, 'verdicts.json');
  } catch {
    /* an aborted run may have none */
  }
  return journal || verdicts.length ? { journal, verdicts } : undefined;
}

/** Why the run's baseline was broken before any fault acted, or undefined. */
export function baselineBroken(r: RunResult): string | undefined {
  const f = folder(r);
  return f && brokenBefore(f.journal, f.verdicts);
}

/** Why the run failed on the machine rather than the app (see starved), or undefined. */
export function starvedRun(r: RunResult): string | undefined {
  if (r.code !== 1) return undefined;
  const f = folder(r);
  return f && starved(f.verdicts, r.cpu);
}

/** Why a failed run should be run once more, or undefined. */
export function rerunReason(r: RunResult): string | undefined {
  if (r.code === 0) return undefined;
  const f = folder(r);
  return f && experimentRerunReason(f.journal, f.verdicts, r.code === 1 ? r.cpu : undefined);
}

/** Runs a chaos command; once more if the first run measured the machine, not the fault (logged). */
export async function withOneRerun(what: string, run: () => Promise<RunResult>, settle: () => Promise<void>): Promise<RunResult> {
  const first = await run();
  const why = rerunReason(first);
  // what the machine did is part of any failure's story (CI keeps the output of failed runs)
  if (first.code !== 0) console.log(`${what}: exit ${first.code}; ${formatShare(first.cpu)} over the run`);
  if (!why) return first;
  console.log(`${what}: ${why}; once more`);
  await settle();
  return run();
}
