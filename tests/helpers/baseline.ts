// A chaos run whose baseline broke before any fault acted measured the machine, not the fault:
// the steady state did not hold before the method, or an outage began in the "before" phase. On
// this shared 2-core CI machine (hypervisor steal of 20-70 % seen) that happens; such a run is
// rerun once, saying so. A run that failed after its fault was injected is never rerun.
import path from 'node:path';
import { readJson, type ChaosJournal, type Verdict } from '../../scripts/lib/run-folder.ts';
import { repoRoot, type RunResult } from './run.ts';

/** Why the run's baseline was broken before any fault acted, or undefined. */
export function baselineBroken(r: RunResult): string | undefined {
  const m = /run folder ([^\s;]+)/.exec(r.stdout);
  if (!m) return undefined;
  const dir = path.resolve(repoRoot, m[1]!);
  try {
    const journal = readJson<ChaosJournal>(dir, 'journal.json');
    if (journal.status === 'aborted' && /steady state did not hold before|already degraded/.test(journal.error ?? '')) return journal.error;
    const vs = readJson<Verdict[]>(dir, 'verdicts.json');
    const before = vs.find((v) => !v.ok && /\b(in|from) before\b/.test(v.actual));
    return before ? `${before.tolerance}: ${before.actual}` : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a chaos command; once more if the first run's baseline broke before its fault (logged). */
export async function withOneRerunOnBrokenBaseline(what: string, run: () => Promise<RunResult>, settle: () => Promise<void>): Promise<RunResult> {
  const first = await run();
  const why = baselineBroken(first);
  if (!why) return first;
  console.log(`${what}: the baseline broke before any fault acted (${why}); once more`);
  await settle();
  return run();
}
