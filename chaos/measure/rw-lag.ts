// Read-your-writes lag as a client sees it: after an acknowledged create, how long until the id
// shows in the target's list (the TODO app's GET /api/todo?status=TODO, served from a replica).
// One shared poller reads the list while anything is pending, so the cost does not grow with the
// write rate.
import http from 'node:http';
import type { RwLagSample } from '../../scripts/lib/run-folder.ts';
import { type Clock, realClock } from './clock.ts';
import { httpRequest, type HttpResult } from './http-request.ts';

export interface RwLagOptions {
  listUrl: URL;
  /** the numeric id field of the list's items (default id) */
  idField?: string;
  pollEveryMs: number;
  maxWaitMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  onSample: (s: RwLagSample) => void;
  clock?: Clock;
  /** replaces the HTTP layer (unit tests) */
  fetchList?: () => Promise<HttpResult>;
}

interface Pending {
  token: string;
  id: number;
  ackAt: number;
  polls: number;
  fault?: string;
}

/** Ids in a list answer (idField of each item); undefined when the body is not a JSON array. */
export function idsInList(body: string | undefined, idField = 'id'): Set<number> | undefined {
  if (!body) return undefined;
  try {
    const data: unknown = JSON.parse(body);
    if (!Array.isArray(data)) return undefined;
    const ids = new Set<number>();
    for (const item of data) {
      const id = (item as Record<string, unknown> | null)?.[idField];
      if (typeof id === 'number') ids.add(id);
    }
    return ids;
  } catch {
    return undefined;
  }
}

export class RwLagTracker {
  private pending = new Map<number, Pending>();
  private wake: (() => void) | undefined;
  private readonly clock: Clock;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly done: Promise<void>;
  unresolved = 0;

  constructor(private readonly opts: RwLagOptions) {
    this.clock = opts.clock ?? realClock;
    this.done = this.loop().finally(() => this.agent.destroy());
  }

  track(token: string, id: number, ackAt: number, fault?: string): void {
    if (this.opts.signal.aborted) return;
    this.pending.set(id, { token, id, ackAt, polls: 0, fault });
    this.wake?.();
  }

  /** Resolves when nothing is pending any more, or after at most maxMs. */
  async drained(maxMs: number): Promise<void> {
    const until = this.clock.now() + maxMs;
    while (this.pending.size && this.clock.now() < until) await this.clock.sleep(50);
  }

  private async fetchList(): Promise<HttpResult> {
    if (this.opts.fetchList) return this.opts.fetchList();
    return httpRequest(this.opts.listUrl, { timeoutMs: this.opts.timeoutMs, agent: this.agent, keepBody: true });
  }

  private emit(p: Pending, visibleMs: number | null): void {
    this.pending.delete(p.id);
    const s: RwLagSample = { t: p.ackAt, token: p.token, id: p.id, visibleMs, polls: p.polls };
    if (p.fault) s.fault = p.fault;
    this.opts.onSample(s);
  }

  private async loop(): Promise<void> {
    const { signal } = this.opts;
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    while (!signal.aborted) {
      if (!this.pending.size) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const started = this.clock.now();
      const res = await this.fetchList();
      const seenAt = this.clock.now();
      const ids = res.ok ? idsInList(res.body, this.opts.idField) : undefined;
      for (const p of [...this.pending.values()]) {
        if (p.ackAt > started) continue; // acknowledged after this read began: it cannot count
        if (ids?.has(p.id)) this.emit(p, Math.max(0, seenAt - p.ackAt));
        else {
          p.polls++;
          if (seenAt - p.ackAt > this.opts.maxWaitMs) this.emit(p, null);
        }
      }
      await this.clock.sleep(Math.max(0, this.opts.pollEveryMs - (this.clock.now() - started)), signal);
    }
    // stopped with writes still pending inside their wait: not measured (not counted as invisible)
    this.unresolved = this.pending.size;
  }
}
