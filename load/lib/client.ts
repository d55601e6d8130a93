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

  /** GET /todo?status=…; items is null when the answer is not a JSON array. */
  list(status: TodoStatus, endpoint: EndpointName = 'api-list'): { res: Res; items: TodoItem[] | null } {
    const res = http.get(`${this.api}/todo?status=${status}`, this.params(endpoint, `GET /api/todo?status=${status}`));
    const body = parseJson(res);
    const items = Array.isArray(body) ? (body as TodoItem[]) : null;
    check(
      res,
      {
        [`${endpoint}: status 200`]: (r) => r.status === 200,
        [`${endpoint}: JSON array`]: () => items !== null,
      },
      { endpoint },
    );
    return { res, items };
  }

  /** idemKey: sent as Idempotency-Key, so the ingress and nginx may re-send the create to another
   *  task when one goes silent (the API answers a repeat with the first item) */
  create(title: string, content: string, idemKey?: string): { res: Res; item: TodoItem | null } {
    const key: Record<string, string> = idemKey === undefined ? {} : { 'Idempotency-Key': idemKey };
    const res = http.post(`${this.api}/todo`, JSON.stringify({ title, content }), this.params('api-create', 'POST /api/todo', true, key));
    const body = parseJson(res);
    const item = isTodoItem(body) ? body : null;
    check(
      res,
      {
        'api-create: status 201': (r) => r.status === 201,
        'api-create: item with id': () => item !== null,
      },
      { endpoint: 'api-create' },
    );
    return { res, item };
  }

  update(item: TodoItem, status: TodoStatus): { res: Res; item: TodoItem | null } {
    const payload = { id: item.id, title: item.title, content: item.content, status };
    const res = http.put(`${this.api}/todo`, JSON.stringify(payload), this.params('api-update', 'PUT /api/todo', true));
    const body = parseJson(res);
    const updated = isTodoItem(body) ? body : null;
    check(
      res,
      {
        'api-update: status 200': (r) => r.status === 200,
        [`api-update: status is ${status}`]: () => updated?.status === status,
      },
      { endpoint: 'api-update' },
    );
    return { res, item: updated };
  }

  healthz(): Res {
    const res = http.get(`${this.api}/healthz`, this.params('api-healthz', 'GET /api/healthz'));
    check(res, { 'api-healthz: status 200': (r) => r.status === 200 }, { endpoint: 'api-healthz' });
    return res;
  }
}
