// After healing: read this run's ledger rows from the primary and from every replica (SQL over the
// app's network with the target's credentials, or as root inside the DB task containers), wait a
// bounded time for replicas to hold everything the primary has, then judge with diffWrites and
// write writes-check.json.
import type Dockerode from 'dockerode';
import type { LostWriteResult, WriteRecord } from '../../scripts/lib/run-folder.ts';
import { readJsonl, writeJson } from '../../scripts/lib/run-folder.ts';
import { DB_SERVICES, runningTaskContainers, type TaskContainer } from './db-tasks.ts';
import { queryTask } from './db-sql.ts';
import type { NodeExec } from '../faults/types.ts';
import { diffWrites, ledgerTags, type ServerRows } from './write-diff.ts';
import { TODO_TARGET } from '../targets/schema.ts';

export interface LostWriteContext {
  runDir: string;
  swarm: Dockerode;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** how long replicas may take to catch up with the primary (default 60 s) */
  catchUpTimeoutMs?: number;
  services?: { primary: string; replica: string };
  /** where the ledger's rows are (a target file's writes.table; default the TODO app's todo(id, title)) */
  table?: LedgerTable;
  /** the database holding it (a target file's db.database; default the TODO app's) */
  database?: string;
  /** how SQL reaches a task's node (default: the embedded swarm's node exec; the agent's elsewhere) */
  exec?: NodeExec;
  /** how a task is read: SQL over the app's network with the target's secrets (chaos/agent/sql.ts),
   *  or a fake in unit tests; absent: SQL as root inside the task's container through `exec` */
  query?: (task: TaskContainer, sql: string) => Promise<string[][]>;
  /** the overlay network whose task addresses `query` connects to (the target's db.network) */
  network?: string;
  listTasks?: (service: string) => Promise<TaskContainer[]>;
}

export interface LedgerTable {
  name: string;
  idColumn: string;
  tokenColumn: string;
}

export const TODO_LEDGER_TABLE: LedgerTable = TODO_TARGET.writes.table;

const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function ledgerSql(tags: string[], table: LedgerTable = TODO_LEDGER_TABLE): string {
  // plain SQL names only (the target file's schema validates them; checked again as this builds SQL)
  for (const [k, v] of Object.entries(table)) if (!SQL_NAME.test(v)) throw new Error(`lost-write check: table.${k}: expected an SQL name, got ${JSON.stringify(v)}`);
  const id = table.idColumn;
  const token = table.tokenColumn;
  // tags are 8 hex chars (validated by TOKEN_RE), so they are safe inside the literal
  const cond = tags.map((t) => `${token} LIKE '%gdw-${t}-%'`).join(' OR ');
  return `SELECT ${id}, ${token} FROM ${table.name} WHERE ${cond} ORDER BY ${id}`;
}

function rowsOf(out: string[][]): { id: number; title: string }[] {
  return out.filter((r) => r.length >= 2 && /^\d+$/.test(r[0]!)).map((r) => ({ id: Number(r[0]), title: r[1]! }));
}

export async function checkLostWrites(ctx: LostWriteContext): Promise<LostWriteResult> {
  const writes = readJsonl<WriteRecord>(ctx.runDir, 'writes.jsonl');
  const tags = ledgerTags(writes).filter((t) => /^[0-9a-f]{8}$/.test(t));
  const services = ctx.services ?? DB_SERVICES;
  const list = ctx.listTasks ?? ((s: string) => runningTaskContainers(ctx.swarm, s, ctx.network));
  const query = ctx.query ?? ((t: TaskContainer, sql: string) => queryTask(t, sql, 30_000, ctx.exec, ctx.database));
  const read = async (t: TaskContainer): Promise<ServerRows> => ({ server: t.name, rows: tags.length ? rowsOf(await query(t, ledgerSql(tags, ctx.table))) : [] });

  const primaries = await list(services.primary);
  if (!primaries.length) throw new Error(`lost-write check: no running task of ${services.primary}`);
  const replicas = await list(services.replica);
  if (!replicas.length) ctx.log(`lost-write check: no running task of ${services.replica}; checking the primary only`);

  const primaryRows = await Promise.all(primaries.map(read));
  const want = new Set(primaryRows.flatMap((p) => p.rows.map((r) => r.id)));
  const deadline = Date.now() + (ctx.catchUpTimeoutMs ?? 60_000);
  let replicaRows: ServerRows[] = [];
  let caughtUp = false;
  let lastError: unknown;
  for (;;) {
    // a replica that cannot be read yet (restarting after a fault) gets retried until the deadline
    const settled = await Promise.allSettled(replicas.map(read));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    lastError = failed?.reason;
    if (!failed) {
      replicaRows = settled.map((s) => (s as PromiseFulfilledResult<ServerRows>).value);
      caughtUp = replicaRows.every((r) => {
        const have = new Set(r.rows.map((x) => x.id));
        return [...want].every((id) => have.has(id));
      });
    }
    if (caughtUp || Date.now() >= deadline || ctx.signal?.aborted) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (lastError) throw new Error('lost-write check: cannot read a replica', { cause: lastError });
  if (!caughtUp) ctx.log('lost-write check: a replica still lacks rows of the primary after the wait; judging as is');
  const result: LostWriteResult = { ...diffWrites(writes, [...primaryRows, ...replicaRows]), caughtUp };
  writeJson(ctx.runDir, 'writes-check.json', result);
  return result;
}
