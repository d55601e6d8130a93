// The on-disk ledger of injected faults. An entry is written (and fsync'd) BEFORE a fault changes
// anything, marked "injected" after, and removed once undone, so whatever a killed run left behind
// is on disk for the next run (every run starts by recovering) or `npm run chaos -- --recover`.
import fs from 'node:fs';
import path from 'node:path';
import { SafetyError } from '../scripts/lib/errors.ts';
import type { UndoEntry } from './faults/types.ts';

const repoRoot = path.resolve(new URL('..', import.meta.url).pathname);

/** GAMEDAY_LEDGER moves it (tests use a temp file). */
export function defaultLedgerPath(): string {
  return process.env.GAMEDAY_LEDGER ?? path.join(repoRoot, 'reports', '.ledger', 'ledger.json');
}

export interface LedgerRecord {
  id: string;
  runId: string;
  pid: number;
  dockerHost: string;
  status: 'injecting' | 'injected';
  at: string;
  entry: UndoEntry;
}

interface LedgerFile {
  version: 1;
  records: LedgerRecord[];
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The ledger's folder (also the chaos lock's): created on first use, never committed. */
export function ensureStateDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  // run-time state, never committed
  fs.writeFileSync(path.join(dir, '.gitignore'), '*\n');
}

export class Ledger {
  private seq = 0;
  constructor(readonly file: string = defaultLedgerPath()) {}

  read(): LedgerRecord[] {
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as LedgerFile;
      return Array.isArray(data.records) ? data.records : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private write(records: LedgerRecord[]): void {
    const dir = path.dirname(this.file);
    ensureStateDir(dir);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify({ version: 1, records } satisfies LedgerFile, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    // the rename itself must survive a crash too
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }

  add(runId: string, dockerHost: string, entry: UndoEntry): LedgerRecord {
    const rec: LedgerRecord = {
      id: `${process.pid}-${Date.now()}-${++this.seq}`,
      runId,
      pid: process.pid,
      dockerHost,
      status: 'injecting',
      at: new Date().toISOString(),
      entry,
    };
    this.write([...this.read(), rec]);
    return rec;
  }

  update(id: string, patch: Partial<Pick<LedgerRecord, 'status' | 'entry'>>): void {
    this.write(this.read().map((r) => (r.id === id ? { ...r, ...patch } : r)));
  }

  remove(id: string): void {
    this.write(this.read().filter((r) => r.id !== id));
  }

  /** Records another LIVE process holds: a concurrent chaos run. */
  foreignLive(): LedgerRecord[] {
    return this.read().filter((r) => r.pid !== process.pid && pidAlive(r.pid));
  }

  /** Records left by dead processes, newest first (undo order). */
  orphans(): LedgerRecord[] {
    return this.read()
      .filter((r) => r.pid !== process.pid && !pidAlive(r.pid))
      .reverse();
  }
}

export interface RecoverResult {
  record: LedgerRecord;
  ok: boolean;
  error?: string;
}

/**
 * Undoes every fault a dead run left (newest first). A live foreign run is a SafetyError: its
 * faults are its own to undo. Failed undos stay in the ledger for the next attempt.
 */
export async function recoverLedger(
  ledger: Ledger,
  undo: (rec: LedgerRecord) => Promise<void>,
  log: (line: string) => void,
): Promise<RecoverResult[]> {
  const live = ledger.foreignLive();
  if (live.length) {
    throw new SafetyError(
      `another chaos run (pid ${[...new Set(live.map((r) => r.pid))].join(', ')}) has faults in place (${live.map((r) => r.entry.name).join(', ')}); ` +
        `wait for it or stop it first (ledger ${ledger.file})`,
    );
  }
  const results: RecoverResult[] = [];
  for (const rec of ledger.orphans()) {
    log(`recover: undo ${rec.entry.kind} "${rec.entry.name}" left ${rec.status} by run ${rec.runId} (pid ${rec.pid})`);
    try {
      await undo(rec);
      ledger.remove(rec.id);
      results.push({ record: rec, ok: true });
    } catch (err) {
      results.push({ record: rec, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}
