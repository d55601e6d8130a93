// The committed baseline format: what the comparison needs from a run and nothing more — per-endpoint
// aggregates, the per-bucket samples the decision rule tests on, thresholds, game-day tolerances and
// availability per phase. Small enough to commit (reports/baselines/NAME.json). Pure.
import { z } from 'zod';
import type { RunResult } from './model.ts';
import { round } from './stats.ts';

export const BASELINE_FORMAT = 'swarm-gameday-baseline';
export const BASELINE_VERSION = 1;

const n = z.number();
const nn = z.number().nullable();

export const BaselineSchema = z.object({
  format: z.literal(BASELINE_FORMAT),
  schemaVersion: z.literal(BASELINE_VERSION),
  name: z.string(),
  createdAt: z.string(),
  source: z.object({
    runId: z.string(),
    kind: z.string(),
    profile: z.string().nullable(),
    scenario: z.string().nullable(),
    experiment: z.string().nullable(),
    git: z.object({ revision: z.string(), dirty: z.boolean() }).nullable(),
    target: z.string().nullable(),
    startedAt: z.string(),
    complete: z.boolean(),
    verdict: z.string(),
  }),
  bucketMs: n,
  durationMs: nn,
  totals: z.object({ requests: nn, rps: nn, failedRate: nn }),
  endpoints: z.array(
    z.object({
      endpoint: z.string(),
      requests: n,
      failed: n,
      errorRate: n,
      rps: n,
      latency: z.object({ p50: nn, p90: nn, p95: nn, p99: nn, max: nn }),
      /** per-bucket samples (edge buckets trimmed); latency arrays hold only buckets with requests */
      buckets: z.object({ n: z.array(n), p50: z.array(n), p95: z.array(n), p99: z.array(n) }),
    }),
  ),
  thresholds: z.array(z.object({ metric: z.string(), expression: z.string(), ok: z.boolean(), actual: nn })),
  verdicts: z.array(z.object({ experiment: z.string(), tolerance: z.string(), ok: z.boolean(), expected: z.string(), actual: z.string() })),
  availability: z.array(z.object({ experiment: z.string(), phase: z.string(), availability: nn, longestOutageMs: n })),
});
export type Baseline = z.infer<typeof BaselineSchema>;

/** Reduces a RunResult to a baseline. Partial first/last buckets are dropped (ramp-in, flush). */
export function toBaseline(r: RunResult, name: string, now = new Date()): Baseline {
  const ts = r.timeseries;
  const endpoints = (r.k6?.endpoints ?? []).map((e) => {
    const series = ts?.endpoints.find((x) => x.endpoint === e.endpoint)?.buckets ?? [];
    const inner = series.length > 2 ? series.slice(1, -1) : series;
    const withReq = inner.filter((b) => b.n > 0);
    const vals = (k: 'p50' | 'p95' | 'p99') => withReq.map((b) => b[k]).filter((v): v is number => v !== null).map((v) => round(v, 3)!);
    return {
      endpoint: e.endpoint,
      requests: e.requests,
      failed: e.failed,
      errorRate: e.errorRate,
      rps: e.rps,
      latency: { p50: e.latency.p50, p90: e.latency.p90, p95: e.latency.p95, p99: e.latency.p99, max: e.latency.max },
      buckets: { n: inner.map((b) => b.n), p50: vals('p50'), p95: vals('p95'), p99: vals('p99') },
    };
  });
  return {
    format: BASELINE_FORMAT,
    schemaVersion: BASELINE_VERSION,
    name,
    createdAt: now.toISOString(),
    source: {
      runId: r.run.id,
      kind: r.run.kind,
      profile: r.run.profile,
      scenario: r.run.scenario,
      experiment: r.run.experiment,
      git: r.run.git,
      target: r.run.target?.ingressUrl ?? null,
      startedAt: r.run.startedAt,
      complete: r.run.complete,
      verdict: r.verdict.status,
    },
    bucketMs: ts?.bucketMs ?? 1000,
    durationMs: r.k6?.durationMs ?? r.run.durationMs,
    totals: { requests: r.k6?.totals.requests ?? null, rps: r.k6?.totals.rps ?? null, failedRate: r.k6?.totals.failedRate ?? null },
    endpoints,
    thresholds: (r.k6?.thresholds ?? []).filter((t) => !t.observer).map((t) => ({ metric: t.metric, expression: t.expression, ok: t.ok, actual: t.actual })),
    verdicts: (r.chaos?.verdicts ?? []).map((v) => ({ ...v })),
    availability: (r.chaos?.probe?.perPhase ?? [])
      .filter((p) => p.endpoint === '*')
      .map((p) => ({ experiment: p.experiment, phase: p.phase, availability: p.availability, longestOutageMs: p.longestOutageMs })),
  };
}
