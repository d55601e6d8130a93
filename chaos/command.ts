// What `npm run chaos` and `npm run gameday` do once their input is resolved: take the run lock,
// arm Ctrl-C, run the session. One place, so both commands run sessions the same way.
import { warn } from '../scripts/lib/log.ts';
import { defaultLockPath, withLock } from './lock.ts';
import type { Experiment } from './model.ts';
import { interruptController, type CommonOptions } from './options.ts';
import { runSession } from './session.ts';

export interface SessionSpec {
  kind: 'chaos' | 'gameday';
  label: string;
  planFile?: string;
  experiments: Experiment[];
  /** what run.json records besides the resolved options */
  config: Record<string, unknown>;
}

/** How the lock names this run: the command as the user would type it again. */
export function commandLine(script: 'chaos' | 'gameday', argv: string[] = process.argv.slice(2)): string {
  const args = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)));
  return `npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

/** Runs fn holding the chaos lock (beside the ledger); a stale lock is taken over with a warning. */
export function withRunLock<T>(script: 'chaos' | 'gameday', fn: () => Promise<T>): Promise<T> {
  return withLock({ file: defaultLockPath(), command: commandLine(script), log: warn }, fn);
}

/** Lock, Ctrl-C handling, session: returns the exit code. */
export function runLockedSession(common: CommonOptions, spec: SessionSpec): Promise<number> {
  return withRunLock(spec.kind, async () => {
    const ac = interruptController((l) => warn(l));
    const result = await runSession({
      kind: spec.kind,
      label: spec.label,
      planFile: spec.planFile,
      experiments: spec.experiments,
      target: common.target,
      outDir: common.outDir,
      probeRate: common.probeRate,
      writeRate: common.writeRate,
      load: common.load,
      maxShare: common.maxShare,
      allowManager: common.allowManager,
      signal: ac.signal,
      config: { ...spec.config, options: common },
    });
    return result.exitCode;
  });
}
