// Open-loop availability probe through the ingress: every endpoint over a keep-alive connection
// pool and over fresh connections, each stream on its own fixed-rate schedule (interleaved).
import http from 'node:http';
import https from 'node:https';
import type { ProbeSample } from '../../scripts/lib/run-folder.ts';
import { realClock } from './clock.ts';
import { httpRequest, type HttpResult } from './http-request.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { inFlightBound, runOpenLoop, type IngressLoopOptions, type OpenLoopResult } from './open-loop.ts';
import { joinUrl } from './target.ts';

export interface ProbeEndpoint {
  name: string;
  path: string;
}

export const PROBE_ENDPOINTS: ProbeEndpoint[] = [
  { name: 'api-list', path: '/api/todo?status=TODO' },
  { name: 'web-index', path: '/' },
];

export type ConnMode = ProbeSample['conn'];
export const CONN_MODES: ConnMode[] = ['keepalive', 'fresh'];

export type ProbeSend = (endpoint: ProbeEndpoint, conn: ConnMode) => Promise<HttpResult>;

export interface ProbeOptions extends IngressLoopOptions {
  /** requests per second for each endpoint and connection mode */
  ratePerSec: number;
  onSample: (s: ProbeSample) => void;
  endpoints?: ProbeEndpoint[];
  /** replaces the HTTP layer (unit tests) */
  send?: ProbeSend;
}

export interface ProbeStreamResult extends OpenLoopResult {
  endpoint: string;
  conn: ConnMode;
}

function httpSender(base: URL, ratePerSec: number, timeoutMs: number): { send: ProbeSend; close: () => void } {
  const Agent = base.protocol === 'https:' ? https.Agent : http.Agent;
  const maxSockets = inFlightBound(ratePerSec, timeoutMs);
  const agents: Record<ConnMode, http.Agent> = {
    keepalive: new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 }),
    fresh: new Agent({ keepAlive: false, maxSockets }),
  };
  return {
    send: (endpoint, conn) =>
      httpRequest(joinUrl(base, endpoint.path), { timeoutMs, agent: agents[conn], headers: { accept: '*/*' } }),
    close: () => Object.values(agents).forEach((a) => a.destroy()),
  };
}

/** Runs all probe streams until the signal aborts or the duration cap is reached. */
export async function runProbe(opts: ProbeOptions): Promise<ProbeStreamResult[]> {
  const clock = opts.clock ?? realClock;
  const endpoints = opts.endpoints ?? PROBE_ENDPOINTS;
  const sender = opts.send ? { send: opts.send, close: () => undefined } : httpSender(opts.ingressUrl, opts.ratePerSec, opts.timeoutMs);
  const streams = endpoints.flatMap((e) => CONN_MODES.map((c) => ({ endpoint: e, conn: c })));
  const periodMs = 1000 / opts.ratePerSec;
  const maxInFlight = inFlightBound(opts.ratePerSec, opts.timeoutMs);
  try {
    return await Promise.all(
      streams.map(async ({ endpoint, conn }, i) => {
        const r = await runOpenLoop(
          {
            ratePerSec: opts.ratePerSec,
            maxInFlight,
            maxRequests: Math.ceil((opts.maxDurationMs / 1000) * opts.ratePerSec),
            maxDurationMs: opts.maxDurationMs,
            signal: opts.signal,
            offsetMs: (periodMs * i) / streams.length,
            clock,
          },
          async () => {
            const t = clock.now();
            const fault = opts.fault();
            const res = await sender.send(endpoint, conn);
            const sample: ProbeSample = { t, endpoint: endpoint.name, conn, ok: res.ok, status: res.status, ms: Math.round(res.ms) };
            if (res.error) sample.error = res.error;
            if (fault) sample.fault = fault;
            opts.onSample(sample);
          },
          (_seq, dueAt) => {
            // every slot is taken by a request that has not timed out yet: the client itself is stalled
            const fault = opts.fault();
            const sample: ProbeSample = { t: Math.round(dueAt), endpoint: endpoint.name, conn, ok: false, status: 0, error: 'other', ms: 0, dropped: true };
            if (fault) sample.fault = fault;
            opts.onSample(sample);
          },
        );
        return { ...r, endpoint: endpoint.name, conn };
      }),
    );
  } finally {
    sender.close();
  }
}

export interface ProbeHandle {
  done: Promise<ProbeStreamResult[]>;
  live(): { requests: number; errors: number; lastError?: string };
}

/** Starts the probe writing probe.jsonl in batches. */
export function startProbe(runDir: string, opts: Omit<ProbeOptions, 'onSample'> & { onSample?: (s: ProbeSample) => void }): ProbeHandle {
  const sink = new JsonlSink<ProbeSample>(runDir, 'probe.jsonl');
  const counters = { requests: 0, errors: 0, lastError: undefined as string | undefined };
  const done = runProbe({
    ...opts,
    onSample: (s) => {
      sink.push(s);
      counters.requests++;
      if (!s.ok) {
        counters.errors++;
        counters.lastError = `${s.endpoint}/${s.conn}: ${s.error}${s.status ? ` ${s.status}` : ''}`;
      }
      opts.onSample?.(s);
    },
  }).finally(() => sink.close());
  return { done, live: () => ({ ...counters }) };
}
