// What `npm run chaos`, `npm run gameday` and `--recover` do once their input is resolved: find
// out which swarm they talk to (its cluster ID), take the lock of that swarm on this machine (a
// file in the user's state dir, beside the swarm's ledger) and the lock on the swarm itself (a
// label on its manager, for other machines), bring over an old per-checkout ledger, arm Ctrl-C,
// run. One place, so every command runs the same way.
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { swarmDocker } from '../scripts/lib/docker.ts';
import { info, warn } from '../scripts/lib/log.ts';
import { Ledger, describeOtherSwarms, migrateLegacyLedger, type LedgerRecord } from './ledger.ts';
import { defaultLockPath, withLock } from './lock.ts';
import type { Experiment } from './model.ts';
import { interruptController, type CommonOptions } from './options.ts';
import { checkAllowed, checkSwarm, type SwarmIdentity } from './safety.ts';
import { runSession } from './session.ts';
import { legacyLedgerPath, ledgerPathFor, stateRoot } from './state.ts';
import { acquireSwarmLock } from './swarm-lock.ts';
import { ensureTarget } from './target.ts';
import { checkLiveMetrics } from './live-metrics/scrape-config.ts';

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

export interface LockedSwarm {
  swarm: Dockerode;
  identity: SwarmIdentity;
  ledger: Ledger;
}

/**
 * Runs fn holding both locks of the swarm the options point at. Before any lock: the embedded
 * default is brought up when it is the target (not for --recover: `ensure: false`), the target
 * must be a swarm manager marked allowed. Stale locks are taken over with a warning.
 */
export async function withSwarmLocked<T>(
  script: 'chaos' | 'gameday',
  common: CommonOptions,
  fn: (s: LockedSwarm) => Promise<T>,
  o: { ensure?: boolean } = {},
): Promise<T> {
  if (o.ensure !== false) await ensureTarget(common.target, info);
  const swarm = swarmDocker(common.target.dockerHost);
  const identity = await checkSwarm(swarm, common.target.dockerHost, common.target.dockerHostSource);
  await checkAllowed(swarm);
  const ledgerFile = ledgerPathFor(identity.clusterId);
  const ledger = new Ledger(ledgerFile, { warn });
  const command = commandLine(script);
  return withLock({ file: defaultLockPath(ledgerFile), command, log: warn }, async () => {
    const onSwarm = await acquireSwarmLock(swarm, { command, log: warn });
    try {
      if (!process.env.GAMEDAY_LEDGER) migrateLegacyLedger(legacyLedgerPath(), ledger, { swarmId: identity.clusterId, dockerHost: common.target.dockerHost }, warn);
      return await fn({ swarm, identity, ledger });
    } finally {
      await onSwarm.release();
    }
  });
}

/** Lock, Ctrl-C handling, session: returns the exit code. */
export function runLockedSession(common: CommonOptions, spec: SessionSpec): Promise<number> {
  if (common.prometheus) checkLiveMetrics({ load: common.load, statsUrl: common.target.statsUrl });
  return withSwarmLocked(spec.kind, common, async ({ ledger }) => {
    const ac = interruptController((l) => warn(l));
    const result = await runSession({
      kind: spec.kind,
      label: spec.label,
      planFile: spec.planFile,
      experiments: spec.experiments,
      target: common.target,
      app: common.app,
      targetReady: true,
      ledger,
      outDir: common.outDir,
      probeRate: common.probeRate,
      writeRate: common.writeRate,
      load: common.load,
      maxShare: common.maxShare,
      allowManager: common.allowManager,
      prometheus: common.prometheus,
      signal: ac.signal,
      config: { ...spec.config, options: common },
    });
    return result.exitCode;
  });
}

/**
 * Records other swarms' runs left: in this ledger (GAMEDAY_LEDGER, a migrated file) and in the
 * other swarms' folders of the state dir. --recover names them with the --docker-host that
 * recovers each; it never undoes them on this swarm.
 */
export function otherSwarmsRecords(swarmId: string, ledger: Ledger, root: string = stateRoot()): string[] {
  const recs: LedgerRecord[] = ledger.read().filter((r) => r.swarmId !== undefined && r.swarmId !== swarmId);
  let dirs: string[] = [];
  try {
    dirs = fs.readdirSync(root).filter((d) => d !== swarmId);
  } catch {
    /* no state dir yet */
  }
  for (const d of dirs) {
    const file = path.join(root, d, 'ledger.json');
    if (path.resolve(file) === path.resolve(ledger.file) || !fs.existsSync(file)) continue;
    recs.push(...new Ledger(file, { warn }).read().map((r) => ({ ...r, swarmId: r.swarmId ?? d })));
  }
  return describeOtherSwarms(recs);
}
