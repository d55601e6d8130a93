// SLO file -> k6 `thresholds`. Pure: used by Node (validated SLO) and by the bundle's fallback.
import { AGGREGATIONS, METRICS, SCENARIO_ENDPOINTS, metricAppliesTo, type EndpointName, type ScenarioName } from './catalog.ts';
import type { SloFile, ThresholdExpr } from './slo-types.ts';

export type K6Thresholds = Record<string, ThresholdExpr[]>;

export interface ThresholdKey {
  metric: string;
  tags: Record<string, string>;
}

/** "http_req_duration{endpoint:api-list,method:GET}" -> { metric, tags }; null when malformed. */
export function parseThresholdKey(key: string): ThresholdKey | null {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\{([^{}]*)\})?$/.exec(key.trim());
  if (!m) return null;
  const tags: Record<string, string> = {};
  if (m[2] !== undefined) {
    for (const part of m[2].split(',')) {
      const i = part.indexOf(':');
      if (i <= 0) return null;
      const k = part.slice(0, i).trim();
      const v = part.slice(i + 1).trim();
      if (!k || !v) return null;
      tags[k] = v;
    }
  }
  return { metric: m[1], tags };
}

/** "p(95) < 300" -> { aggregation, op, value }; null when malformed. */
export function parseExpression(expr: string): { aggregation: string; op: string; value: number } | null {
  const m = /^\s*([a-z]+(?:\(\d{1,2}(?:\.\d+)?\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expr);
  if (!m) return null;
  return { aggregation: m[1], op: m[2], value: Number(m[3]) };
}

export function exprText(t: ThresholdExpr): string {
  return typeof t === 'string' ? t : t.threshold;
}

/** Checks an expression fits the metric's type; returns a reason or null when fine. */
export function expressionProblem(metric: string, expr: string): string | null {
  const parsed = parseExpression(expr);
  if (!parsed) return `expected "<aggregation> <op> <number>" like "p(95)<300", got "${expr}"`;
  const type = METRICS[metric];
  if (type && !AGGREGATIONS[type].test(parsed.aggregation)) {
    return `aggregation "${parsed.aggregation}" does not apply to ${type} metric ${metric}`;
  }
  return null;
}

/** latency key "p95" / "p99.9" / "avg" -> k6 aggregation "p(95)" / "p(99.9)" / "avg". */
export function latencyAggregation(key: string): string | null {
  if (/^(avg|med|min|max)$/.test(key)) return key;
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(key);
  return m ? `p(${m[1]})` : null;
}

export interface ThresholdContext {
  scenario: ScenarioName;
  /** Iterations the profile plans to start; turns maxDroppedRatio into a dropped_iterations count. */
  plannedIterations: number;
  /** breakpoint: every SLO threshold aborts the run when crossed. */
  abortOnFail?: boolean;
}

// Always-true thresholds make k6 keep per-endpoint sub-metrics in the summary even where the SLO
// sets no bound, so the summary table can show every endpoint a scenario touches.
const OBSERVE = { http_req_duration: 'max>=0', http_req_failed: 'rate>=0', checks: 'rate>=0' } as const;
export function isObserver(expr: string): boolean {
  return (Object.values(OBSERVE) as string[]).includes(expr.replace(/\s+/g, ''));
}

export function buildThresholds(slo: SloFile, ctx: ThresholdContext): K6Thresholds {
  const out: K6Thresholds = {};
  const wrap = (e: ThresholdExpr): ThresholdExpr =>
    ctx.abortOnFail && typeof e === 'string' ? { threshold: e, abortOnFail: true, delayAbortEval: '10s' } : e;
  const add = (key: string, e: ThresholdExpr) => (out[key] ??= []).push(wrap(e));

  const endpoints = SCENARIO_ENDPOINTS[ctx.scenario];
  for (const ep of endpoints) {
    const s = slo.endpoints[ep as EndpointName];
    const dur = `http_req_duration{endpoint:${ep}}`;
    const failed = `http_req_failed{endpoint:${ep}}`;
    const checks = `checks{endpoint:${ep}}`;
    for (const [k, ms] of Object.entries(s?.latency ?? {})) {
      const agg = latencyAggregation(k);
      if (agg && typeof ms === 'number') add(dur, `${agg}<${ms}`);
    }
    if (s?.errorRate !== undefined) add(failed, `rate<${s.errorRate}`);
    if (s?.checks !== undefined) add(checks, `rate>${s.checks}`);
    if (!out[dur]) out[dur] = [OBSERVE.http_req_duration];
    if (!out[failed]) out[failed] = [OBSERVE.http_req_failed];
    if (!out[checks]) out[checks] = [OBSERVE.checks];
  }

  for (const [key, exprs] of Object.entries(slo.thresholds ?? {})) {
    const parsed = parseThresholdKey(key);
    if (!parsed || !metricAppliesTo(parsed.metric, ctx.scenario)) continue;
    const ep = parsed.tags.endpoint;
    if (ep && !endpoints.includes(ep as EndpointName)) continue;
    for (const e of exprs) add(key, e);
  }

  if (slo.generator) {
    // a saturated generator drops iterations instead of slowing down (open model): fail on it
    const allowed = Math.floor(ctx.plannedIterations * slo.generator.maxDroppedRatio);
    out.dropped_iterations = [wrap(`count<=${allowed}`)];
  }
  return out;
}
