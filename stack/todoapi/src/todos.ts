// The todo table: parameterized SQL only (values are always placeholders).
import { createHash } from 'node:crypto';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Db } from './db.ts';
import type { Status, Todo } from '../../shared/todo.ts';
import type { ListQuery, NewTodo, TodoUpdate } from './validate.ts';

export type { Todo };

const COLUMNS = 'id, title, content, status, created, updated';

/** 'YYYY-MM-DD HH:MM:SS' (UTC, dateStrings) -> ISO 8601 */
export function isoUtc(s: unknown): string {
  const v = String(s);
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(v) ? `${v.replace(' ', 'T')}Z` : v;
}

export function toTodo(r: RowDataPacket): Todo {
  return {
    id: Number(r.id),
    title: String(r.title),
    content: String(r.content),
    status: r.status as Status,
    created: isoUtc(r.created),
    updated: isoUtc(r.updated),
  };
}

/** What a create returns: the row, whether an earlier create with the same Idempotency-Key made
 *  it, and (then) whether that create had the same body. */
export interface Created {
  item: Todo;
  replayed: boolean;
  sameBody: boolean;
}

/** sha256 of the create's body as validated: what a replay must match */
export function createFingerprint(t: NewTodo): string {
  return createHash('sha256').update(JSON.stringify([t.title, t.content, t.status])).digest('hex');
}

/** MariaDB's duplicate-key error (a second create with the same idem_key) */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { errno?: unknown; code?: unknown } | null;
  return e?.errno === 1062 || e?.code === 'ER_DUP_ENTRY';
}

export class Todos {
  constructor(
    private readonly db: Db,
    private readonly queryTimeoutMs: number,
  ) {}

  private async rows(c: PoolConnection, sql: string, values: unknown[]): Promise<RowDataPacket[]> {
    const [rows] = await c.query<RowDataPacket[]>({ sql, timeout: this.queryTimeoutMs }, values);
    return rows;
  }

  list(q: ListQuery): Promise<Todo[]> {
    return this.db.read(async (c) => {
      const rows = q.status
        ? await this.rows(c, `SELECT ${COLUMNS} FROM todo WHERE status = ? ORDER BY id DESC LIMIT ?`, [q.status, q.limit])
        : await this.rows(c, `SELECT ${COLUMNS} FROM todo ORDER BY id DESC LIMIT ?`, [q.limit]);
      return rows.map(toTodo);
    });
  }

  get(id: number): Promise<Todo | undefined> {
    return this.db.read(async (c) => {
      const rows = await this.rows(c, `SELECT ${COLUMNS} FROM todo WHERE id = ?`, [id]);
      return rows[0] ? toTodo(rows[0]) : undefined;
    });
  }

  /** Inserts a todo. With an idempotency key, a second create with that key (a retry by nginx,
   *  HAProxy or the client, or the original arriving late) inserts nothing and returns the first
   *  row: the unique index decides, so concurrent duplicates cannot both insert. */
  create(t: NewTodo, idemKey?: string): Promise<Created> {
    const fp = idemKey === undefined ? null : createFingerprint(t);
    return this.db.write(async (c) => {
      try {
        // MariaDB's INSERT ... RETURNING: one round trip, the row exactly as stored
        const rows = await this.rows(
          c,
          `INSERT INTO todo (title, content, status, idem_key, idem_fp) VALUES (?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
          [t.title, t.content, t.status, idemKey ?? null, fp],
        );
        return { item: toTodo(rows[0]!), replayed: false, sameBody: true };
      } catch (err) {
        if (idemKey === undefined || !isDuplicateKey(err)) throw err;
        const rows = await this.rows(c, `SELECT ${COLUMNS}, idem_fp FROM todo WHERE idem_key = ?`, [idemKey]);
        if (!rows[0]) throw err;
        return { item: toTodo(rows[0]), replayed: true, sameBody: rows[0].idem_fp === fp };
      }
    });
  }

  update(u: TodoUpdate): Promise<Todo | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (u.title !== undefined) (sets.push('title = ?'), values.push(u.title));
    if (u.content !== undefined) (sets.push('content = ?'), values.push(u.content));
    if (u.status !== undefined) (sets.push('status = ?'), values.push(u.status));
    // bump `updated` even when the values did not change (ON UPDATE only fires on a real change)
    sets.push('updated = CURRENT_TIMESTAMP');
    return this.db.write(async (c) => {
      await c.query({ sql: `UPDATE todo SET ${sets.join(', ')} WHERE id = ?`, timeout: this.queryTimeoutMs }, [...values, u.id]);
      // read back on the same primary connection: read-your-writes for the caller
      const rows = await this.rows(c, `SELECT ${COLUMNS} FROM todo WHERE id = ?`, [u.id]);
      return rows[0] ? toTodo(rows[0]) : undefined;
    });
  }
}
