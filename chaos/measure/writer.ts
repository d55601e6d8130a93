// Write ledger: creates records at a fixed open-loop rate through the target's create endpoint
// (the TODO app's POST /api/todo by default; a target file's `writes`), each with a unique token in
// its token field, and records every attempt (acknowledged = 2xx with an id) in writes.jsonl.
// Acknowledged ids also feed the read-your-writes lag tracker (rw-lag.jsonl). The token is also the
// create's Idempotency-Key, so the ingress and nginx may re-send it to another task when one goes
// silent; a create that then ran twice fails the "no write stored twice" verdict (a duplicated token).
import http from 'node:http';
import https from 'node:https';
import type { RwLagSample, WriteRecord } from '../../scripts/lib/run-folder.ts';
import { realClock } from './clock.ts';
import { httpRequest, type HttpResult } from './http-request.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { inFlightBound, runOpenLoop, type IngressLoopOptions } from './open-loop.ts';
import { RwLagTracker } from './rw-lag.ts';
import { TODO_TARGET, type AppTarget } from '../targets/schema.ts';
import { joinUrl } from './target.ts';
import { newRunTag, writeTitle, writeToken } from './write-token.ts';

/** The app's write API as the ledger uses it (a target file's `writes.create` and `writes.list`). */
export interface WriteApi {
  method: 'POST' | 'PUT';
  createPath: string;
  /** the JSON field the token goes in */
  tokenField: string;
  /** the numeric id field of a create's answer and of the list's items */
  idField: string;
  /** a list answering a JSON array of objects with idField (read-your-writes lag) */
  listPath: string;
}

/** A target's `writes` as the ledger takes them. */
export function writeApiOf(writes: AppTarget['writes']): WriteApi {
  const { method, path, tokenField, idField } = writes.create;
  return { method, createPath: path, tokenField, idField, listPath: writes.list.path };
}

/** The TODO app's: POST /api/todo {title}, answered {id}; the open list. */
export const TODO_WRITE_API: WriteApi = writeApiOf(TODO_TARGET.writes);

export interface WriterOptions extends IngressLoopOptions {
  api?: WriteApi;
  rwLag?: { pollEveryMs: number; maxWaitMs: number } | false;
  tag?: string;
  /** replaces the HTTP layer (unit tests): POST body and its Idempotency-Key -> result with body */
  post?: (body: string, idemKey: string) => Promise<HttpResult>;
  fetchList?: () => Promise<HttpResult>;
}

export interface WriterStats {
  tag: string;
  attempted: number;
  acknowledged: number;
  failed: number;
  dropped: number;
  rwLagSamples: number;
  rwLagUnresolved: number;
}

/** The id in a create answer, if the answer is 2xx JSON with a numeric id (in idField). */
export function ackedId(res: HttpResult, idField = 'id'): number | undefined {
  if (!res.ok || !res.body) return undefined;
  try {
    const id = (JSON.parse(res.body) as Record<string, unknown> | null)?.[idField];
    return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface WriterHandle {
  tag: string;
  done: Promise<WriterStats>;
  live(): WriterStats;
}

export function startWriter(runDir: string, opts: WriterOptions): WriterHandle {
  const clock = opts.clock ?? realClock;
  const tag = opts.tag ?? newRunTag();
  const writes = new JsonlSink<WriteRecord>(runDir, 'writes.jsonl');
  const rwSink = new JsonlSink<RwLagSample>(runDir, 'rw-lag.jsonl');
  const stats: WriterStats = { tag, attempted: 0, acknowledged: 0, failed: 0, dropped: 0, rwLagSamples: 0, rwLagUnresolved: 0 };
  const Agent = opts.ingressUrl.protocol === 'https:' ? https.Agent : http.Agent;
  const agent = new Agent({ keepAlive: true, maxSockets: inFlightBound(opts.ratePerSec, opts.timeoutMs) });
  const api = opts.api ?? TODO_WRITE_API;
  const createUrl = joinUrl(opts.ingressUrl, api.createPath);
  const post =
    opts.post ??
    ((body: string, idemKey: string) =>
      httpRequest(createUrl, {
        method: api.method,
        body,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idemKey },
        timeoutMs: opts.timeoutMs,
        agent,
        keepBody: true,
        maxBodyBytes: 64 * 1024,
      }));

  // the tracker stops with the writer, not before, so late acknowledgements still get tracked
  const rwAbort = new AbortController();
  const tracker = opts.rwLag
    ? new RwLagTracker({
        listUrl: joinUrl(opts.ingressUrl, api.listPath),
        idField: api.idField,
        pollEveryMs: opts.rwLag.pollEveryMs,
        maxWaitMs: opts.rwLag.maxWaitMs,
        timeoutMs: opts.timeoutMs,
        signal: rwAbort.signal,
        clock,
        fetchList: opts.fetchList,
        onSample: (s) => {
          rwSink.push(s);
          stats.rwLagSamples++;
        },
      })
    : undefined;

  const done = (async () => {
    try {
      await runOpenLoop(
        {
          ratePerSec: opts.ratePerSec,
          maxInFlight: inFlightBound(opts.ratePerSec, opts.timeoutMs),
          maxRequests: Math.ceil((opts.maxDurationMs / 1000) * opts.ratePerSec),
          maxDurationMs: opts.maxDurationMs,
          signal: opts.signal,
          clock,
        },
        async (seq) => {
          const token = writeToken(tag, seq);
          const fault = opts.fault();
          const t = clock.now();
          stats.attempted++;
          const res = await post(JSON.stringify({ [api.tokenField]: writeTitle(token) }), token);
          const id = ackedId(res, api.idField);
          const rec: WriteRecord = { t, token, acknowledged: id !== undefined, status: res.status, ms: Math.round(res.ms) };
          if (id !== undefined) rec.id = id;
          if (res.error) rec.error = res.error;
          else if (id === undefined) rec.error = 'other'; // 2xx without an id: not an acknowledgement
          if (fault) rec.fault = fault;
          writes.push(rec);
          if (id !== undefined) {
            stats.acknowledged++;
            tracker?.track(token, id, clock.now(), fault);
          } else stats.failed++;
        },
        () => {
          stats.dropped++;
        },
      );
      // let pending read-your-writes checks finish (each is bounded by maxWaitMs)
      if (tracker && opts.rwLag) await tracker.drained(opts.rwLag.maxWaitMs + opts.timeoutMs);
    } finally {
      rwAbort.abort();
      await tracker?.done;
      stats.rwLagUnresolved = tracker?.unresolved ?? 0;
      agent.destroy();
      writes.close();
      rwSink.close();
    }
    return stats;
  })();
  return { tag, done, live: () => ({ ...stats }) };
}
