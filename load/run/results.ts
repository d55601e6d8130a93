// Reading k6's JSON summary (handleSummary data): per-endpoint rows and threshold outcomes. Pure.
import { ENDPOINT_NAMES } from '../lib/catalog.ts';
import { isObserver, parseThresholdKey } from '../lib/thresholds.ts';

export interface K6SummaryMetric {
  type: 'trend' | 'rate' | 'counter' | 'gauge';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}
export interface K6Summary {
  metrics: Record<string, K6SummaryMetric>;
  state?: { testRunDurationMs?: number };
  root_group?: unknown;
}

export interface EndpointRow {
  endpoint: string;
  requests: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** share of failed requests (http_req_failed), 0..1 */
  errorRate: number | null;
  /** share of passing checks, 0..1 */
  checks: number | null;
}

export interface ThresholdOutcome {
  metric: string;
  expression: string;
  ok: boolean;
}

export function endpointRows(summary: K6Summary): EndpointRow[] {
  const rows: EndpointRow[] = [];
  const seen = new Set<string>();
  for (const name of Object.keys(summary.metrics)) {
    const k = parseThresholdKey(name);
    if (k?.tags.endpoint && Object.keys(k.tags).length === 1) seen.add(k.tags.endpoint);
  }
  const order = [...ENDPOINT_NAMES.filter((e) => seen.has(e)), ...[...seen].filter((e) => !(ENDPOINT_NAMES as string[]).includes(e))];
  for (const ep of order) {
    const dur = summary.metrics[`http_req_duration{endpoint:${ep}}`]?.values;
    const failed = summary.metrics[`http_req_failed{endpoint:${ep}}`]?.values;
    const checks = summary.metrics[`checks{endpoint:${ep}}`]?.values;
    const requests = dur?.count ?? (failed ? (failed.passes ?? 0) + (failed.fails ?? 0) : 0);
    if (!requests) continue;
    rows.push({
      endpoint: ep,
      requests,
      p50: dur?.['p(50)'] ?? dur?.med ?? null,
      p95: dur?.['p(95)'] ?? null,
      p99: dur?.['p(99)'] ?? null,
      errorRate: failed ? (failed.rate ?? null) : null,
      checks: checks && (checks.passes ?? 0) + (checks.fails ?? 0) > 0 ? (checks.rate ?? null) : null,
    });
  }
  return rows;
}

/** Every SLO threshold with its outcome (the always-true observers are left out). */
export function thresholdOutcomes(summary: K6Summary): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = [];
  for (const [metric, m] of Object.entries(summary.metrics)) {
    for (const [expression, r] of Object.entries(m.thresholds ?? {})) {
      if (!isObserver(expression)) out.push({ metric, expression, ok: r.ok });
    }
  }
  return out.sort((a, b) => a.metric.localeCompare(b.metric) || a.expression.localeCompare(b.expression));
}

/** The observed value a threshold expression is about, for "p(95)<300 (was 412.3)" messages. */
export function observedValue(summary: K6Summary, metric: string, expression: string): number | undefined {
  const agg = /^\s*([a-z]+(?:\([\d.]+\))?)/.exec(expression)?.[1];
  return agg ? summary.metrics[metric]?.values?.[agg] : undefined;
}

export function describeFailure(summary: K6Summary, t: ThresholdOutcome): string {
  const v = observedValue(summary, t.metric, t.expression);
  const shown = v === undefined ? '' : ` (observed ${Number.isInteger(v) ? v : v.toFixed(v < 1 ? 4 : 1)})`;
  return `threshold ${t.metric}: ${t.expression} failed${shown}`;
}
