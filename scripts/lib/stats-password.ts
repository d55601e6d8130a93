// The HAProxy stats password of the embedded local swarm: generated when stack:up creates the
// swarm's secret (one per local swarm), kept for the user in the state dir, never in the repo:
//   GAMEDAY_STATS_PASSWORD (if set) > <state dir>/local-swarm/stats-password > the fixed password
//   of swarms created before issue 14 ("gameday-stats", whose secret cannot be read back).
// The state dir is the one chaos uses: $GAMEDAY_STATE_DIR, else $XDG_STATE_HOME/swarm-gameday,
// else ~/.local/state/swarm-gameday.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { localSwarmStateDir, userStateRoot, writePrivateFile } from './state-dir.ts';

/** What swarms created by older versions were given; only read, never written anymore. */
export const LEGACY_STATS_PASSWORD = 'gameday-stats';

export { userStateRoot };

export function statsPasswordFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSwarmStateDir(env), 'stats-password');
}

/** The password the local swarm's HAProxy expects. */
export function readStatsPassword(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GAMEDAY_STATS_PASSWORD) return env.GAMEDAY_STATS_PASSWORD;
  try {
    const v = fs.readFileSync(statsPasswordFile(env), 'utf8').trim();
    if (v) return v;
  } catch {
    /* no file: a swarm of an older version */
  }
  return LEGACY_STATS_PASSWORD;
}

/** For a new secret: GAMEDAY_STATS_PASSWORD, else a fresh random one; written (0600) to the state
 *  dir either way, so later commands without the variable still know it. */
export function newStatsPassword(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.GAMEDAY_STATS_PASSWORD || crypto.randomBytes(18).toString('base64url');
  writePrivateFile(statsPasswordFile(env), `${value}\n`);
  return value;
}
