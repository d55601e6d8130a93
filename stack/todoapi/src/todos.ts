// The todo table: parameterized SQL only (values are always placeholders).
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

  create(t: NewTodo): Promise<Todo> {
    // MariaDB's INSERT ... RETURNING: one round trip, the row exactly as stored
    return this.db.write(async (c) => {
      const rows = await this.rows(c, `INSERT INTO todo (title, content, status) VALUES (?, ?, ?) RETURNING ${COLUMNS}`, [
        t.title,
        t.content,
        t.status,
      ]);
      return toTodo(rows[0]!);
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
