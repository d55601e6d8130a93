// The on-disk ledger of injected faults, one per swarm (chaos/state.ts). An entry is written (and
// fsync'd) BEFORE a fault changes anything, marked "injected" after, and removed once undone, so
// whatever a killed run left behind is on disk for the next run (every run starts by recovering)
// or `npm run chaos -- --recover`.
// The file is JSON (version 2) with one record per line, written whole to a temp file, fsync'd and
// renamed, so it is never half written by us. Should it be damaged anyway (disk, an editor), the
// records that can still be read are kept, a copy of the damaged file is kept aside
// (ledger.json.corrupt-<time>) and the user is told what to check; a damaged ledger never blocks
// every later run.
import fs from 'node:fs';
import path from 'node:path';
import { SafetyError } from '../scripts/lib/errors.ts';
import type { UndoEntry } from './faults/types.ts';

export interface LedgerRecord {
  id: string;
  runId: string;
  pid: number;
  dockerHost: string;
  /** the Swarm cluster ID the fault was injected on (absent in records of versions before issue 14) */
  swarmId?: string;
  status: 'injecting' | 'injected';
  at: string;
  entry: UndoEntry;
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

/** A state folder (ledger and lock): created on first use, never committed. */
export function ensureStateDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // run-time state, never committed (matters for GAMEDAY_LEDGER inside a checkout)
  fs.writeFileSync(path.join(dir, '.gitignore'), '*\n');
}

const isRecord = (v: unknown): v is LedgerRecord => {
  const r = v as Partial<LedgerRecord> | null;
  return Boolean(r && typeof r === 'object' && typeof r.id === 'string' && typeof r.pid === 'number' && r.entry && typeof r.entry.kind === 'string');
};

/**
 * The records a damaged ledger still holds: every complete {...} element of its "records" array
 * that parses (also after a cut-off end). Works for this version's one-record-per-line layout and
 * for the pretty-printed files of older versions.
 */
export function salvageRecords(text: string): LedgerRecord[] {
  const at = text.indexOf('"records"');
  if (at < 0) return [];
  const out: LedgerRecord[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = text.indexOf('[', at) + 1; i > 0 && i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          const v = JSON.parse(text.slice(start, i + 1));
          if (isRecord(v)) out.push(v);
        } catch {
          /* a damaged record: skipped */
        }
        start = -1;
      }
      if (depth < 0) break;
    } else if (c === ']' && depth === 0) break;
  }
  return out;
}

export interface LedgerOptions {
  /** told when a damaged file was set aside (default: stderr) */
  warn?: (line: string) => void;
  now?: () => Date;
}

export class Ledger {
  private seq = 0;
  constructor(
    readonly file: string,
    private readonly o: LedgerOptions = {},
  ) {}

  read(): LedgerRecord[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const data = JSON.parse(text) as { records?: unknown };
      if (data && typeof data === 'object' && Array.isArray(data.records) && data.records.every(isRecord)) return data.records;
    } catch {
      /* damaged: below */
    }
    return this.recoverDamaged(text);
  }

  /** Keeps a copy aside, rewrites the file with what can be read, and says so. */
  private recoverDamaged(text: string): LedgerRecord[] {
    const records = salvageRecords(text);
    const stamp = (this.o.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const aside = `${this.file}.corrupt-${stamp}`;
    fs.copyFileSync(this.file, aside);
    this.write(records);
    const warn = this.o.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
    warn(
      `warning: the chaos ledger ${this.file} was damaged (not valid JSON); ${records.length} record(s) could be read and are kept. ` +
        `The damaged file is kept as ${aside}: look in it for faults that are not among the kept records ` +
        `(kind and target are in each "entry") and undo those by hand if they are still in place, then delete the copy.`,
    );
    return records;
  }

  private write(records: LedgerRecord[]): void {
    const dir = path.dirname(this.file);
    ensureStateDir(dir);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      // one record per line: a damaged file loses only the lines that are damaged
      const body = records.map((r) => JSON.stringify(r)).join(',\n');
      fs.writeSync(fd, `{"version":2,"records":[${records.length ? `\n${body}\n` : ''}]}\n`);
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

  add(runId: string, dockerHost: string, entry: UndoEntry, swarmId?: string): LedgerRecord {
    const rec: LedgerRecord = {
      id: `${process.pid}-${Date.now()}-${++this.seq}`,
      runId,
      pid: process.pid,
      dockerHost,
      ...(swarmId ? { swarmId } : {}),
      status: 'injecting',
      at: new Date().toISOString(),
      entry,
    };
    this.write([...this.read(), rec]);
    return rec;
  }

  /** Adds records as they are (migration from an older ledger). */
  import(records: LedgerRecord[]): void {
    const have = new Set(this.read().map((r) => r.id));
    this.write([...this.read(), ...records.filter((r) => !have.has(r.id))]);
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

/**
 * Versions before issue 14 kept one ledger per checkout (reports/.ledger/ledger.json), with no
 * swarm id. Its records whose dockerHost is the one this run is connected to move into this
 * swarm's ledger (tagged with its id); the others stay where they are and are named, with the
 * --docker-host that recovers them. The old file goes once it is empty.
 */
export function migrateLegacyLedger(
  legacyFile: string,
  into: Ledger,
  at: { swarmId: string; dockerHost: string },
  log: (line: string) => void,
): { moved: LedgerRecord[]; left: LedgerRecord[] } {
  if (!fs.existsSync(legacyFile) || path.resolve(legacyFile) === path.resolve(into.file)) return { moved: [], left: [] };
  const legacy = new Ledger(legacyFile, { warn: log });
  const all = legacy.read();
  const moved = all.filter((r) => r.dockerHost === at.dockerHost && (!r.swarmId || r.swarmId === at.swarmId));
  const left = all.filter((r) => !moved.includes(r));
  if (moved.length) {
    into.import(moved.map((r) => ({ ...r, swarmId: at.swarmId })));
    log(`moved ${moved.length} record(s) of ${at.dockerHost} from the old ledger in the checkout (${legacyFile}) to ${into.file}`);
  }
  if (left.length) {
    for (const id of moved.map((r) => r.id)) legacy.remove(id);
    log(
      `the old ledger ${legacyFile} still holds ${left.length} record(s) of other docker hosts: ` +
        [...new Set(left.map((r) => r.dockerHost))].map((h) => `${h} (recover with: npm run chaos -- --recover --docker-host ${h})`).join(', '),
    );
  } else {
    fs.rmSync(legacyFile, { force: true });
    const lock = path.join(path.dirname(legacyFile), 'chaos.lock');
    if (fs.existsSync(lock)) log(`an old lock file is left at ${lock}: a run of an older version may still be going; remove it once none is`);
  }
  return { moved, left };
}

export interface RecoverResult {
  record: LedgerRecord;
  ok: boolean;
  error?: string;
}

export interface RecoverOptions {
  /** the swarm this run is connected to: only its records are undone */
  swarmId?: string;
}

/** Records another swarm's run left in this ledger: never undone here. */
export function recordsOfOtherSwarms(records: LedgerRecord[], swarmId: string | undefined): LedgerRecord[] {
  return swarmId ? records.filter((r) => r.swarmId !== undefined && r.swarmId !== swarmId) : [];
}

/** How to recover records of other swarms: one line per docker host. */
export function describeOtherSwarms(records: LedgerRecord[]): string[] {
  const byHost = new Map<string, LedgerRecord[]>();
  for (const r of records) byHost.set(r.dockerHost, [...(byHost.get(r.dockerHost) ?? []), r]);
  return [...byHost].map(
    ([host, rs]) =>
      `${rs.length} record(s) of swarm ${rs[0]!.swarmId} (${rs.map((r) => `${r.entry.kind} "${r.entry.name}"`).join(', ')}): ` +
      `not this swarm, left alone; recover them with: npm run chaos -- --recover --docker-host ${host}`,
  );
}

/**
 * Undoes every fault a dead run left on THIS swarm (newest first). A live foreign run is a
 * SafetyError: its faults are its own to undo. Records of another swarm are left alone (and
 * named by the caller). Failed undos stay in the ledger for the next attempt.
 */
export async function recoverLedger(
  ledger: Ledger,
  undo: (rec: LedgerRecord) => Promise<void>,
  log: (line: string) => void,
  o: RecoverOptions = {},
): Promise<RecoverResult[]> {
  const other = new Set(recordsOfOtherSwarms(ledger.read(), o.swarmId).map((r) => r.id));
  const live = ledger.foreignLive().filter((r) => !other.has(r.id));
  if (live.length) {
    throw new SafetyError(
      `another chaos run (pid ${[...new Set(live.map((r) => r.pid))].join(', ')}) has faults in place (${live.map((r) => r.entry.name).join(', ')}); ` +
        `wait for it or stop it first (ledger ${ledger.file})`,
    );
  }
  const results: RecoverResult[] = [];
  for (const rec of ledger.orphans()) {
    if (other.has(rec.id)) continue;
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
