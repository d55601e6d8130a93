// The TODO API client for k6: every request carries an `endpoint` tag (the unit of the SLOs) and a
// stable `name` tag (so query strings do not explode the URL cardinality), and every response is
// checked with the same tag so checks break down per endpoint too.
import { check } from 'k6';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import type { EndpointName } from './catalog.ts';

export const STATUSES = ['TODO', 'PROGRESS', 'DONE'] as const;
export type TodoStatus = (typeof STATUSES)[number];

export interface TodoItem {
  id: number;
  title: string;
  content: string;
  status: TodoStatus;
  created?: string;
  updated?: string;
}

type Res = RefinedResponse<ResponseType | undefined>;

function parseJson(res: Res): unknown {
  if (typeof res.body !== 'string' || !res.body) return undefined;
  try {
    return JSON.parse(res.body);
  } catch {
    return undefined;
  }
}

export function isTodoItem(v: unknown): v is TodoItem {
  const o = v as TodoItem | null;
  return !!o && typeof o === 'object' && typeof o.id === 'number' && typeof o.title === 'string';
}

/** What a check of a call looks at: the status and what the answer parsed to. */
interface Seen<T> {
  status: number;
  value: T;
}
type Checks<T> = Record<string, (v: Seen<T>) => boolean>;

// Check sets and tags are the same for every call to an endpoint, so they are built once: goja
// pays for every object and closure a call creates (the bundled scenario's own JS was ~16 µs of
// its ~77 µs per iteration in a CPU profile of npm run bench:load).
const memo = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  let v = memo.get(key) as T | undefined;
  if (v === undefined) memo.set(key, (v = make()));
  return v;
}
const endpointTags = (endpoint: EndpointName) => once(`tags ${endpoint}`, () => ({ endpoint }));
const listChecks = (endpoint: EndpointName): Checks<TodoItem[] | null> =>
  once(`list ${endpoint}`, () => ({
    [`${endpoint}: status 200`]: (v: Seen<TodoItem[] | null>) => v.status === 200,
    [`${endpoint}: JSON array`]: (v: Seen<TodoItem[] | null>) => v.value !== null,
  }));
const CREATE_CHECKS: Checks<TodoItem | null> = {
  'api-create: status 201': (v) => v.status === 201,
  'api-create: item with id': (v) => v.value !== null,
};
const updateChecks = (status: TodoStatus): Checks<TodoItem | null> =>
  once(`update ${status}`, () => ({
    'api-update: status 200': (v: Seen<TodoItem | null>) => v.status === 200,
    [`api-update: status is ${status}`]: (v: Seen<TodoItem | null>) => v.value?.status === status,
  }));

export class TodoClient {
  private readonly api: string;
  constructor(
    target: string,
    private readonly timeoutS = 10,
  ) {
    this.api = `${target.replace(/\/+$/, '')}/api`;
  }

  private params(endpoint: EndpointName, name: string, json = false, extraHeaders: Record<string, string> = {}) {
    const headers = { ...(json ? { 'Content-Type': 'application/json' } : {}), ...extraHeaders };
    return {
      tags: { endpoint, name },
      timeout: `${this.timeoutS}s`,
      ...(Object.keys(headers).length ? { headers } : {}),
    };
  }

  /** the params of a request without headers of its own: the same object for every call */
  private fixedParams(endpoint: EndpointName, name: string, json = false) {
    return once(`params ${this.timeoutS} ${endpoint} ${json} ${name}`, () => this.params(endpoint, name, json));
  }

  /** GET /todo?status=…; items is null when the answer is not a JSON array. */
  list(status: TodoStatus, endpoint: EndpointName = 'api-list'): { res: Res; items: TodoItem[] | null } {
    const res = http.get(`${this.api}/todo?status=${status}`, this.fixedParams(endpoint, `GET /api/todo?status=${status}`));
    const body = parseJson(res);
    const items = Array.isArray(body) ? (body as TodoItem[]) : null;
    check({ status: res.status, value: items }, listChecks(endpoint), endpointTags(endpoint));
    return { res, items };
  }

  /** idemKey: sent as Idempotency-Key, so the ingress and nginx may re-send the create to another
   *  task when one goes silent (the API answers a repeat with the first item) */
  create(title: string, content: string, idemKey?: string): { res: Res; item: TodoItem | null } {
    const key: Record<string, string> = idemKey === undefined ? {} : { 'Idempotency-Key': idemKey };
    const res = http.post(`${this.api}/todo`, JSON.stringify({ title, content }), this.params('api-create', 'POST /api/todo', true, key));
    const body = parseJson(res);
    const item = isTodoItem(body) ? body : null;
    check({ status: res.status, value: item }, CREATE_CHECKS, endpointTags('api-create'));
    return { res, item };
  }

  update(item: TodoItem, status: TodoStatus): { res: Res; item: TodoItem | null } {
    const payload = { id: item.id, title: item.title, content: item.content, status };
    const res = http.put(`${this.api}/todo`, JSON.stringify(payload), this.fixedParams('api-update', 'PUT /api/todo', true));
    const body = parseJson(res);
    const updated = isTodoItem(body) ? body : null;
    check({ status: res.status, value: updated }, updateChecks(status), endpointTags('api-update'));
    return { res, item: updated };
  }

  healthz(): Res {
    const res = http.get(`${this.api}/healthz`, this.fixedParams('api-healthz', 'GET /api/healthz'));
    check(res, { 'api-healthz: status 200': (r) => r.status === 200 }, endpointTags('api-healthz'));
    return res;
  }
}
