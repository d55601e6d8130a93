// Types of the SLO file (load/slo.ts). Kept apart so the SLO file imports nothing that runs.
import type { EndpointName } from './catalog.ts';

/** Upper bounds in milliseconds on http_req_duration statistics: p50, p90, p95, p99, p99.9, avg, med, max. */
export type LatencyBounds = Partial<Record<'avg' | 'med' | 'min' | 'max' | `p${number}`, number>>;

export interface EndpointSlo {
  latency?: LatencyBounds;
  /** Largest acceptable share of failed requests (http_req_failed), 0..1. */
  errorRate?: number;
  /** Smallest acceptable share of passing checks, 0..1. */
  checks?: number;
}

/** A k6 threshold expression, e.g. "p(95)<300", or k6's object form. */
export type ThresholdExpr = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

export interface SloFile {
  /** Per endpoint tag (see ENDPOINTS in lib/catalog.ts). */
  endpoints: Partial<Record<EndpointName, EndpointSlo>>;
  /**
   * Raw k6 thresholds: key "metric" or "metric{tag:value,...}"; metric names, tag keys and
   * endpoint values are checked against lib/catalog.ts before the run.
   */
  thresholds?: Record<string, ThresholdExpr[]>;
  /** The load generator itself: share of planned iterations k6 may drop before the run fails. */
  generator?: { maxDroppedRatio: number };
}

export function defineSlo<T extends SloFile>(slo: T): T {
  return slo;
}
