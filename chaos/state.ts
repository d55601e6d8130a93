// Where chaos keeps its run-time state: per user and per swarm, not per checkout, so two clones
// (or two users' shells in one clone) acting on one swarm share one ledger and one lock:
//   $GAMEDAY_STATE_DIR, else $XDG_STATE_HOME/swarm-gameday, else ~/.local/state/swarm-gameday
//     <swarm cluster id>/ledger.json   faults injected and not yet undone
//     <swarm cluster id>/chaos.lock    the run on this machine that holds the swarm
// GAMEDAY_LEDGER names a ledger file outright (tests); the lock then sits beside it.
// Older versions kept both in reports/.ledger/ of the checkout: see migrateLegacyLedger (ledger.ts).
import path from 'node:path';
import { ConfigError } from '../scripts/lib/errors.ts';
import { userStateRoot } from '../scripts/lib/stats-password.ts';

const repoRoot = path.resolve(new URL('..', import.meta.url).pathname);

export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return userStateRoot(env);
}

/** A cluster id as a directory name: Swarm's ids are [a-z0-9]{25}; anything else is refused. */
export function swarmStateDir(swarmId: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(swarmId)) throw new ConfigError(`swarm cluster id: expected letters and digits, got ${JSON.stringify(swarmId)}`);
  return path.join(stateRoot(env), swarmId);
}

/** The ledger of one swarm (GAMEDAY_LEDGER overrides). */
export function ledgerPathFor(swarmId: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.GAMEDAY_LEDGER ? path.resolve(env.GAMEDAY_LEDGER) : path.join(swarmStateDir(swarmId, env), 'ledger.json');
}

/** Where versions before issue 14 kept the ledger: inside the checkout. */
export function legacyLedgerPath(): string {
  return path.join(repoRoot, 'reports', '.ledger', 'ledger.json');
}
