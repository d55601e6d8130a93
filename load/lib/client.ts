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

// What a call to an endpoint needs besides its answer (URL, params, check set, check tags) is the
// same every time, so each is built once per client and looked up by plain property access: goja
// pays for every object, closure and string a call creates (a memo keyed by a template string, fed a
// new closure per call, cost 8-9 of the bundled scenario's ~70 µs CPU per iteration).
interface Prepared<T> {
  url: string;
  params: ReturnType<TodoClient['params']>;
  checks: Checks<T>;
  tags: { endpoint: EndpointName };
}
// Frozen all the way down: gameday-engine then reads a params object, check set or tag set once
// per VU instead of walking its keys on every call (other engines just see frozen objects).
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

const CREATE_CHECKS: Checks<TodoItem | null> = deepFreeze({
  'api-create: status 201': (v) => v.status === 201,
  'api-create: item with id': (v) => v.value !== null,
});
const CREATE_TAGS = deepFreeze({ endpoint: 'api-create' as const });

export class TodoClient {
  private readonly api: string;
  private readonly lists: Partial<Record<EndpointName, Partial<Record<TodoStatus, Prepared<TodoItem[] | null>>>>> = {};
  private readonly updates: Partial<Record<TodoStatus, Prepared<TodoItem | null>>> = {};
  private healthzCall?: Prepared<null>;
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

  private listCall(status: TodoStatus, endpoint: EndpointName): Prepared<TodoItem[] | null> {
    const byStatus = this.lists[endpoint] ?? (this.lists[endpoint] = {});
    return (byStatus[status] ??= deepFreeze({
      url: `${this.api}/todo?status=${status}`,
      params: this.params(endpoint, `GET /api/todo?status=${status}`),
      checks: {
        [`${endpoint}: status 200`]: (v) => v.status === 200,
        [`${endpoint}: JSON array`]: (v) => v.value !== null,
      },
      tags: { endpoint },
    }));
  }

  /** GET /todo?status=…; items is null when the answer is not a JSON array. */
  list(status: TodoStatus, endpoint: EndpointName = 'api-list'): { res: Res; items: TodoItem[] | null } {
    const call = this.listCall(status, endpoint);
    const res = http.get(call.url, call.params);
    const body = parseJson(res);
    const items = Array.isArray(body) ? (body as TodoItem[]) : null;
    check({ status: res.status, value: items }, call.checks, call.tags);
    return { res, items };
  }

  /** idemKey: sent as Idempotency-Key, so the ingress and nginx may re-send the create to another
   *  task when one goes silent (the API answers a repeat with the first item) */
  create(title: string, content: string, idemKey?: string): { res: Res; item: TodoItem | null } {
    const key: Record<string, string> = idemKey === undefined ? {} : { 'Idempotency-Key': idemKey };
    const res = http.post(`${this.api}/todo`, JSON.stringify({ title, content }), this.params('api-create', 'POST /api/todo', true, key));
    const body = parseJson(res);
    const item = isTodoItem(body) ? body : null;
    check({ status: res.status, value: item }, CREATE_CHECKS, CREATE_TAGS);
    return { res, item };
  }

  update(item: TodoItem, status: TodoStatus): { res: Res; item: TodoItem | null } {
    const call = (this.updates[status] ??= deepFreeze({
      url: `${this.api}/todo`,
      params: this.params('api-update', 'PUT /api/todo', true),
      checks: {
        'api-update: status 200': (v) => v.status === 200,
        [`api-update: status is ${status}`]: (v) => v.value?.status === status,
      },
      tags: { endpoint: 'api-update' },
    }));
    const payload = { id: item.id, title: item.title, content: item.content, status };
    const res = http.put(call.url, JSON.stringify(payload), call.params);
    const body = parseJson(res);
    const updated = isTodoItem(body) ? body : null;
    check({ status: res.status, value: updated }, call.checks, call.tags);
    return { res, item: updated };
  }

  healthz(): Res {
    const call = (this.healthzCall ??= deepFreeze({
      url: `${this.api}/healthz`,
      params: this.params('api-healthz', 'GET /api/healthz'),
      checks: { 'api-healthz: status 200': (v) => v.status === 200 },
      tags: { endpoint: 'api-healthz' },
    }));
    const res = http.get(call.url, call.params);
    check({ status: res.status, value: null }, call.checks, call.tags);
    return res;
  }
}
