// The user's state dir (never the checkout) and the one way files are written there: private
// (folder 0700, file 0600) and atomic (a reader never sees half a password or key).
//   $GAMEDAY_STATE_DIR, else $XDG_STATE_HOME/swarm-gameday, else ~/.local/state/swarm-gameday
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function userStateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GAMEDAY_STATE_DIR) return path.resolve(env.GAMEDAY_STATE_DIR);
  const base = env.XDG_STATE_HOME ? path.resolve(env.XDG_STATE_HOME) : path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'swarm-gameday');
}

/** What the embedded local swarm keeps for the user: passwords, certificates, ssh keys. */
export function localSwarmStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userStateRoot(env), 'local-swarm');
}

export function writePrivateFile(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
