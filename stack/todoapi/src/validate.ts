// Input validation for the TODO API: pure functions, every failure a 400 naming the field, what
// was expected and what was got. Nothing here touches the database.
import { HttpError } from '../../shared/http.ts';
import { CONTENT_MAX, STATUSES, TITLE_MAX, type Status } from '../../shared/todo.ts';

export { CONTENT_MAX, STATUSES, TITLE_MAX, type Status };

export interface NewTodo {
  title: string;
  content: string;
  status: Status;
}
export interface TodoUpdate {
  id: number;
  title?: string;
  content?: string;
  status?: Status;
}
export interface ListQuery {
  status?: Status;
  limit: number;
}

const bad = (msg: string): HttpError => new HttpError(400, msg);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return v.length > 40 ? `string '${v.slice(0, 40)}…'` : `string '${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** length in characters (code points), the unit MariaDB's utf8mb4 VARCHAR counts */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw bad('body: expected a JSON object, got an empty body');
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw bad(`body: malformed JSON (${(err as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`body: expected a JSON object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw bad(`body: unexpected field '${k.slice(0, 40)}' (allowed: ${allowed.join(', ')})`);
  }
}

export function title(v: unknown): string {
  if (typeof v !== 'string') throw bad(`title: expected a string of 1..${TITLE_MAX} characters, got ${describe(v)}`);
  const n = charLength(v);
  if (n > TITLE_MAX) throw bad(`title: expected 1..${TITLE_MAX} characters, got ${n}`);
  if (v.trim() === '') throw bad(`title: expected 1..${TITLE_MAX} characters (not only whitespace), got ${n === 0 ? 'an empty string' : 'only whitespace'}`);
  return v;
}

export function content(v: unknown): string {
  if (typeof v !== 'string') throw bad(`content: expected a string of 0..${CONTENT_MAX} characters, got ${describe(v)}`);
  const n = charLength(v);
  if (n > CONTENT_MAX) throw bad(`content: expected 0..${CONTENT_MAX} characters, got ${n}`);
  return v;
}

export function status(v: unknown, field = 'status'): Status {
  if (typeof v !== 'string' || !(STATUSES as readonly string[]).includes(v)) {
    throw bad(`${field}: expected one of ${STATUSES.join('|')}, got ${describe(v)}`);
  }
  return v as Status;
}

export function id(v: unknown, field = 'id'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw bad(`${field}: expected a positive integer, got ${describe(v)}`);
  }
  return v;
}

/** an id from a path segment: digits only, positive, safe */
export function idParam(s: string): number {
  if (!/^[0-9]{1,16}$/.test(s)) throw bad(`id: expected a positive integer, got '${s.slice(0, 40)}'`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1) throw bad(`id: expected a positive integer, got '${s.slice(0, 40)}'`);
  return n;
}

export function newTodo(body: Record<string, unknown>): NewTodo {
  onlyKeys(body, ['title', 'content', 'status']);
  if (!('title' in body)) throw bad(`title: expected a string of 1..${TITLE_MAX} characters, got nothing`);
  return {
    title: title(body.title),
    content: body.content === undefined ? '' : content(body.content),
    status: body.status === undefined ? 'TODO' : status(body.status),
  };
}

export function todoUpdate(body: Record<string, unknown>): TodoUpdate {
  onlyKeys(body, ['id', 'title', 'content', 'status']);
  if (!('id' in body)) throw bad('id: expected a positive integer, got nothing');
  const u: TodoUpdate = { id: id(body.id) };
  if (body.title !== undefined) u.title = title(body.title);
  if (body.content !== undefined) u.content = content(body.content);
  if (body.status !== undefined) u.status = status(body.status);
  if (u.title === undefined && u.content === undefined && u.status === undefined) {
    throw bad('body: expected at least one of title, content, status besides id, got none');
  }
  return u;
}

/** Idempotency-Key of a create: a bare token or a quoted string (RFC 8941 sf-string, as the IETF
 *  draft writes it), 1..100 characters; absent means "no key". */
export const IDEMPOTENCY_KEY_MAX = 100;
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const expected = `expected 1..${IDEMPOTENCY_KEY_MAX} characters of A-Z a-z 0-9 . _ : + / = ~ -`;
  if (Array.isArray(header)) throw bad(`Idempotency-Key: ${expected} in one header, got ${header.length} headers`);
  const v = header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  if (!new RegExp(`^[A-Za-z0-9._:+/=~-]{1,${IDEMPOTENCY_KEY_MAX}}$`).test(v)) throw bad(`Idempotency-Key: ${expected}, got ${describe(header)}`);
  return v;
}

export function listQuery(params: URLSearchParams, defaultLimit: number, maxLimit: number): ListQuery {
  for (const k of new Set(params.keys())) {
    if (k !== 'status' && k !== 'limit') throw bad(`query: unexpected parameter '${k.slice(0, 40)}' (allowed: status, limit)`);
    if (params.getAll(k).length > 1) throw bad(`${k}: expected at most one value, got ${params.getAll(k).length}`);
  }
  const q: ListQuery = { limit: defaultLimit };
  const s = params.get('status');
  if (s !== null) q.status = status(s);
  const l = params.get('limit');
  if (l !== null) {
    if (!/^[0-9]{1,6}$/.test(l) || Number(l) < 1 || Number(l) > maxLimit) {
      throw bad(`limit: expected an integer in 1..${maxLimit}, got '${l.slice(0, 20)}'`);
    }
    q.limit = Number(l);
  }
  return q;
}
