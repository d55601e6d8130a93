// What the final report charts from Prometheus (issue 13), and the pure conversion of Prometheus'
// query_range answers into prometheus.json. Each query is one chart; its series are named by one
// label (e.g. HAProxy's `proxy`), so a chart reads "api" and "web", not label sets. HAProxy's own
// stats listener (proxy "stats") is left out.
import { JOBS } from './scrape-config.ts';

export interface LiveQuery {
  id: string;
  title: string;
  unit: string;
  /** which scrape job it needs: the query is skipped when that job was not configured */
  job: (typeof JOBS)[keyof typeof JOBS];
  expr: string;
  /** the label that names each series; none: one series called `name` */
  seriesLabel?: string;
  name?: string;
}

// rate() windows of 5 s hold 5 scrapes at the 1 s interval: short enough to show a 2 s outage
export const LIVE_QUERIES: LiveQuery[] = [
  {
    id: 'prom-ingress-rps',
    title: 'HAProxy (Prometheus): requests/s per backend',
    unit: 'req/s',
    job: JOBS.haproxy,
    expr: `sum by (proxy) (rate(haproxy_backend_http_requests_total{job="${JOBS.haproxy}",proxy!="stats"}[5s]))`,
    seriesLabel: 'proxy',
  },
  {
    id: 'prom-ingress-5xx',
    title: 'HAProxy (Prometheus): 5xx responses/s and retries/s per backend',
    unit: '1/s',
    job: JOBS.haproxy,
    expr:
      `label_replace(sum by (proxy) (rate(haproxy_backend_http_responses_total{job="${JOBS.haproxy}",proxy!="stats",code="5xx"}[5s])), "what", "$1 5xx", "proxy", "(.*)")` +
      ` or label_replace(sum by (proxy) (rate(haproxy_backend_retry_warnings_total{job="${JOBS.haproxy}",proxy!="stats"}[5s])), "what", "$1 retries", "proxy", "(.*)")`,
    seriesLabel: 'what',
  },
  {
    id: 'prom-backend-servers',
    title: 'HAProxy (Prometheus): servers up per backend',
    unit: 'servers',
    job: JOBS.haproxy,
    expr: `sum by (proxy) (haproxy_backend_active_servers{job="${JOBS.haproxy}",proxy!="stats"})`,
    seriesLabel: 'proxy',
  },
  {
    id: 'prom-backend-time',
    title: 'HAProxy (Prometheus): average response time per backend (last 1024 requests)',
    unit: 'ms',
    job: JOBS.haproxy,
    expr: `1000 * max by (proxy) (haproxy_backend_response_time_average_seconds{job="${JOBS.haproxy}",proxy!="stats"})`,
    seriesLabel: 'proxy',
  },
  {
    id: 'prom-engine-rps',
    title: 'Load engine (Prometheus): requests/s and failed requests/s',
    unit: 'req/s',
    job: JOBS.engine,
    expr:
      `label_replace(sum(rate(gameday_http_reqs_total{job="${JOBS.engine}"}[5s])), "what", "requests", "", "")` +
      ` or label_replace(sum(rate(gameday_http_req_failed_total{job="${JOBS.engine}"}[5s])), "what", "failed", "", "")`,
    seriesLabel: 'what',
  },
  {
    id: 'prom-engine-latency',
    title: 'Load engine (Prometheus): latency p50 and p95 (histogram buckets, 5 s windows)',
    unit: 'ms',
    job: JOBS.engine,
    expr:
      `label_replace(1000 * histogram_quantile(0.5, sum by (le) (rate(gameday_http_req_duration_seconds_bucket{job="${JOBS.engine}"}[5s]))), "what", "p50", "", "")` +
      ` or label_replace(1000 * histogram_quantile(0.95, sum by (le) (rate(gameday_http_req_duration_seconds_bucket{job="${JOBS.engine}"}[5s]))), "what", "p95", "", "")`,
    seriesLabel: 'what',
  },
];

/** Prometheus refuses more than 11,000 points per series; keep under 10,000. */
export const MAX_POINTS = 10_000;

/** Step (s) of a query_range over [startMs, endMs]: the scrape interval unless that is too many points. */
export function queryStepS(startMs: number, endMs: number, intervalS: number): number {
  const spanS = Math.max(0, (endMs - startMs) / 1000);
  return Math.max(intervalS, Math.ceil(spanS / MAX_POINTS));
}

export interface LiveSeries {
  name: string;
  /** [epoch ms, value]; null where Prometheus had NaN/Inf (e.g. a quantile of no requests) */
  points: [number, number | null][];
}

export interface LiveChart {
  id: string;
  title: string;
  unit: string;
  expr: string;
  series: LiveSeries[];
}

/** The `data` of a query_range answer (resultType matrix). */
export interface PromMatrix {
  resultType: string;
  result: { metric: Record<string, string>; values: [number, string][] }[];
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

export function chartFromMatrix(q: LiveQuery, data: PromMatrix): LiveChart {
  if (data.resultType !== 'matrix') throw new Error(`${q.id}: expected a matrix from query_range, got resultType ${JSON.stringify(data.resultType)}`);
  const series = data.result.map((r, i) => ({
    name: (q.seriesLabel ? r.metric[q.seriesLabel] : q.name) ?? q.name ?? `series ${i + 1}`,
    points: r.values.map(([t, v]): [number, number | null] => {
      const n = Number(v);
      return [Math.round(t * 1000), Number.isFinite(n) ? round(n) : null];
    }),
  }));
  series.sort((a, b) => a.name.localeCompare(b.name));
  return { id: q.id, title: q.title, unit: q.unit, expr: q.expr, series };
}

/** What prometheus.json in a run folder holds. */
export interface LiveMetricsFile {
  source: 'prometheus';
  version: string;
  scrapeIntervalS: number;
  start: number;
  end: number;
  stepS: number;
  /** each scrape target: the share of its scrapes that worked over the window, and its health at the end */
  targets: { job: string; url: string; upShare: number; health: string; lastError: string }[];
  charts: LiveChart[];
  /** queries that failed, with why; the charts that worked are still there */
  errors: string[];
  /** the TSDB kept for later PromQL, relative to the run folder */
  dataDir: string;
}
