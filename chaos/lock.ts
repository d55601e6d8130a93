// One chaos run at a time per swarm (chaos, gameday, --recover): a lock file beside the swarm's
// ledger in the user's state dir (chaos/state.ts), taken before anything is touched and released
// on every exit path; the lock on the swarm itself (swarm-lock.ts) covers other machines. Two runs would undo each other's faults and
// each measure the other's damage. A lock whose process is gone (SIGKILL, power loss) is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SafetyError } from '../scripts/lib/errors.ts';
import { ensureStateDir, pidAlive } from './ledger.ts';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  /** tells this acquisition from any other by the same pid (pids are reused) */
  token: string;
}

export interface RunLock {
  readonly file: string;
  readonly info: LockInfo;
  /** idempotent; removes the file only while it is still ours */
  release(): void;
}

export function defaultLockPath(ledgerFile: string): string {
  return path.join(path.dirname(ledgerFile), 'chaos.lock');
}

export function readLock(file: string): LockInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number') return { pid: v.pid, host: String(v.host ?? ''), command: String(v.command ?? '?'), startedAt: String(v.startedAt ?? '?'), token: String(v.token ?? '') };
  } catch {
    /* unreadable: treated below */
  }
  // written by hand or truncated: nobody can be shown to own it, so it is stale
  return { pid: -1, host: os.hostname(), command: '(unreadable lock file)', startedAt: '?', token: '' };
}

/** A lock is stale when its process is gone; only knowable for a lock taken on this host. */
export function isStale(l: LockInfo, alive: (pid: number) => boolean = pidAlive): boolean {
  return l.host === os.hostname() && (l.pid <= 0 || !alive(l.pid));
}

export function describeLock(l: LockInfo): string {
  return `pid ${l.pid} on ${l.host}, "${l.command}", started ${l.startedAt}`;
}

export interface AcquireOptions {
  file: string;
  command: string;
  log?: (line: string) => void;
  /** tests: which pids count as alive */
  alive?: (pid: number) => boolean;
}

/**
 * Takes the lock or throws SafetyError naming the run that holds it. The file appears complete
 * (hard link of a fully written temp file), so a concurrent reader never sees half a lock.
 */
export function acquireLock(o: AcquireOptions): RunLock {
  const file = o.file;
  const alive = o.alive ?? pidAlive;
  ensureStateDir(path.dirname(file));
  const info: LockInfo = { pid: process.pid, host: os.hostname(), command: o.command, startedAt: new Date().toISOString(), token: randomUUID() };
  const tmp = `${file}.${process.pid}.${info.token.slice(0, 8)}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(tmp, file);
        return holdLock(file, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = readLock(file);
      if (!held) continue; // released meanwhile
      if (!isStale(held, alive)) {
        throw new SafetyError(
          `another chaos run holds the lock ${file}: ${describeLock(held)}; ` +
            (held.host === os.hostname()
              ? `wait for it to finish or stop it (kill ${held.pid}); a lock whose process is gone is taken over by the next run`
              : 'it was taken on another host, so whether it still runs cannot be checked from here: remove the file once that run is gone'),
        );
      }
      if (takeOver(file, held)) o.log?.(`warning: took over a stale chaos lock (${describeLock(held)}: process gone); faults it left in the ledger are undone before anything else`);
    }
    throw new SafetyError(`could not take the chaos lock ${file}: other runs keep taking it`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Moves the stale lock aside and checks it was the one judged stale, not a fresh lock of a racing run. */
function takeOver(file: string, stale: LockInfo): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // another run moved it first
    throw err;
  }
  const moved = readLock(aside);
  if (moved && (moved.pid !== stale.pid || moved.token !== stale.token)) {
    // a racing run took the lock between our read and the rename: give it back
    try {
      fs.linkSync(aside, file);
    } catch {
      /* it lost it meanwhile; the next attempt sorts it out */
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return true;
}

function holdLock(file: string, info: LockInfo): RunLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const now = readLock(file);
    if (now && now.token === info.token) fs.rmSync(file, { force: true });
  };
  // process.exit() (a second Ctrl-C) skips finally blocks but still runs 'exit' listeners
  process.on('exit', release);
  return { file, info, release };
}

/** Runs fn holding the lock; released however fn ends. */
export async function withLock<T>(o: AcquireOptions, fn: () => Promise<T>): Promise<T> {
  const lock = acquireLock(o);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
