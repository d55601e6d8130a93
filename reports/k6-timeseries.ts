// Aggregates k6's `--out json` time series (NDJSON, one Metric or Point object per line) into time
// buckets: request count, failures by kind, latency percentiles, VUs, dropped iterations, custom
// trends. The aggregator is pure (feed it lines); readTimeseriesFile streams a (gzipped) file into
// it, so a long soak run's series is never held in memory as text.
//
// Point line as k6 v1.8 writes it:
//   {"metric":"http_req_duration","type":"Point","data":{"time":"2026-..Z","value":1.37,"tags":{"endpoint":"api-list","status":"200",..}}}
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Bucket, ErrorBucket, TimeSeries } from './model.ts';
import { QuantileSketch, round } from './stats.ts';

export interface TrackedTrend {
  key: string; // e.g. the threshold's metric name "http_req_duration{endpoint:api-list}"
  metric: string;
  tags: Record<string, string>;
}

export interface TimeseriesOptions {
  bucketMs?: number; // starting width; 1000 unless the caller knows the run is long
  maxBuckets?: number; // past this many buckets, widen them (adaptive)
  track?: TrackedTrend[]; // trends to keep a whole-run sketch of (thresholds k6 gave no value for)
}

export interface EndpointTotal {
  endpoint: string;
  sketch: QuantileSketch;
  failed: number;
  firstT: number;
  lastT: number;
}

export interface TimeseriesAggregate {
  series: TimeSeries;
  endpointTotals: EndpointTotal[];
  overallSketch: QuantileSketch;
  tracked: Map<string, QuantileSketch>;
  lines: number;
  badLines: number;
}

// k6's own trends: everything else of type trend is a custom metric (e.g. read-your-writes lag)
const BUILTIN_TRENDS = new Set([
  'http_req_duration',
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
  'iteration_duration',
  'group_duration',
  'ws_connecting',
  'ws_session_duration',
  'ws_ping',
  'grpc_req_duration',
]);
const MAX_CUSTOM = 12;

interface Acc {
  sketch: QuantileSketch;
  failed: number;
}

function acc(map: Map<number, Acc>, key: number): Acc {
  let a = map.get(key);
  if (!a) map.set(key, (a = { sketch: new QuantileSketch(), failed: 0 }));
  return a;
}

/** Failure kind of one failed request from its tags (k6 sets status "0" and error_code on network errors). */
export function errorKind(tags: Record<string, string>): string {
  const status = Number(tags.status ?? 0);
  const code = Number(tags.error_code ?? 0);
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status === 0) {
    if (code === 1050) return 'timeout';
    if (code >= 1100 && code < 1300) return 'connect';
    return 'network';
  }
  return `status ${status}`;
}

export class TimeseriesAggregator {
  lines = 0;
  badLines = 0;
  private readonly bucketMs: number;
  private readonly maxBuckets: number;
  private readonly types = new Map<string, string>();
  private readonly overall = new Map<number, Acc>();
  private readonly endpoints = new Map<string, Map<number, Acc>>();
  private readonly totals = new Map<string, EndpointTotal>();
  private readonly overallSketch = new QuantileSketch();
  private readonly errors = new Map<number, Record<string, number>>();
  private readonly vus = new Map<number, number>();
  private readonly dropped = new Map<number, number>();
  private readonly custom = new Map<string, Map<number, Acc>>();
  private readonly byFault = new Map<string, Acc>();
  private readonly tracked = new Map<string, QuantileSketch>();
  private readonly trackDefs: TrackedTrend[];
  private readonly trackedMetrics: Set<string>;
  private minT = Infinity;
  private maxT = -Infinity;

  constructor(opts: TimeseriesOptions = {}) {
    this.bucketMs = Math.max(1, Math.round(opts.bucketMs ?? 1000));
    this.maxBuckets = opts.maxBuckets ?? 900;
    this.trackDefs = opts.track ?? [];
    this.trackedMetrics = new Set(this.trackDefs.map((t) => t.metric));
    for (const t of this.trackDefs) this.tracked.set(t.key, new QuantileSketch());
  }

  private wants(metric: string): boolean {
    if (metric === 'http_req_duration' || metric === 'http_req_failed' || metric === 'vus' || metric === 'dropped_iterations') return true;
    if (this.trackedMetrics.has(metric)) return true;
    return this.types.get(metric) === 'trend' && !BUILTIN_TRENDS.has(metric);
  }

  line(text: string): void {
    if (!text) return;
    this.lines++;
    // cheap pre-filter: most lines are metrics we do not chart (http_req_blocked, data_sent, ...)
    const at = text.indexOf('"metric":"');
    if (at < 0) {
      this.badLines++;
      return;
    }
    const name = text.slice(at + 10, text.indexOf('"', at + 10));
    const isMetricLine = text.includes('"type":"Metric"');
    if (!isMetricLine && !this.wants(name)) return;
    let obj: { type?: string; metric?: string; data?: { type?: string; time?: string; value?: number; tags?: Record<string, string> | null } };
    try {
      obj = JSON.parse(text);
    } catch {
      this.badLines++; // a half-written last line of an interrupted run
      return;
    }
    if (obj.type === 'Metric') {
      if (obj.metric && obj.data?.type) this.types.set(obj.metric, obj.data.type);
      return;
    }
    if (obj.type !== 'Point' || !obj.data || typeof obj.data.value !== 'number' || !obj.data.time) return;
    const t = Date.parse(obj.data.time);
    if (!Number.isFinite(t)) {
      this.badLines++;
      return;
    }
    this.point(name, t, obj.data.value, obj.data.tags ?? {});
  }

  private point(metric: string, t: number, value: number, tags: Record<string, string>): void {
    const key = Math.floor(t / this.bucketMs) * this.bucketMs;
    if (this.trackedMetrics.has(metric))
      for (const def of this.trackDefs)
        if (def.metric === metric && Object.entries(def.tags).every(([k, v]) => tags[k] === v)) this.tracked.get(def.key)!.add(value);

    switch (metric) {
      case 'http_req_duration': {
        this.seen(t);
        const endpoint = tags.endpoint ?? 'untagged';
        acc(this.overall, key).sketch.add(value);
        acc(this.endpointMap(endpoint), key).sketch.add(value);
        const total = this.total(endpoint, t);
        total.sketch.add(value);
        this.overallSketch.add(value);
        this.faultAcc(tags).sketch.add(value);
        return;
      }
      case 'http_req_failed': {
        if (value !== 1) return;
        const endpoint = tags.endpoint ?? 'untagged';
        acc(this.overall, key).failed++;
        acc(this.endpointMap(endpoint), key).failed++;
        this.total(endpoint, t).failed++;
        this.faultAcc(tags).failed++;
        const kinds = this.errors.get(key) ?? {};
        const kind = errorKind(tags);
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        this.errors.set(key, kinds);
        return;
      }
      case 'vus':
        this.vus.set(key, Math.max(this.vus.get(key) ?? 0, value));
        return;
      case 'dropped_iterations':
        this.seen(t);
        this.dropped.set(key, (this.dropped.get(key) ?? 0) + value);
        return;
      default:
        if (this.types.get(metric) === 'trend' && !BUILTIN_TRENDS.has(metric)) {
          let m = this.custom.get(metric);
          if (!m) {
            if (this.custom.size >= MAX_CUSTOM) return;
            this.custom.set(metric, (m = new Map()));
          }
          acc(m, key).sketch.add(value);
        }
    }
  }

  private seen(t: number): void {
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
  }

  private endpointMap(endpoint: string): Map<number, Acc> {
    let m = this.endpoints.get(endpoint);
    if (!m) this.endpoints.set(endpoint, (m = new Map()));
    return m;
  }

  private total(endpoint: string, t: number): EndpointTotal {
    let tot = this.totals.get(endpoint);
    if (!tot) this.totals.set(endpoint, (tot = { endpoint, sketch: new QuantileSketch(), failed: 0, firstT: t, lastT: t }));
    if (t < tot.firstT) tot.firstT = t;
    if (t > tot.lastT) tot.lastT = t;
    return tot;
  }

  private faultAcc(tags: Record<string, string>): Acc {
    const f = tags.fault && tags.fault !== '' ? tags.fault : 'none';
    let a = this.byFault.get(f);
    if (!a) this.byFault.set(f, (a = { sketch: new QuantileSketch(), failed: 0 }));
    return a;
  }

  finish(): TimeseriesAggregate {
    const empty = !Number.isFinite(this.minT);
    let width = this.bucketMs;
    const span = empty ? 0 : Math.floor(this.maxT / width) - Math.floor(this.minT / width) + 1;
    if (span > this.maxBuckets) width = niceWidth(Math.ceil(span / this.maxBuckets) * width);
    const rekey = (k: number) => Math.floor(k / width) * width;
    const start = empty ? 0 : rekey(this.minT);
    const end = empty ? 0 : rekey(this.maxT) + width;

    const coarse = (m: Map<number, Acc>): Map<number, Acc> => {
      if (width === this.bucketMs) return m;
      const out = new Map<number, Acc>();
      for (const [k, a] of m) {
        const b = acc(out, rekey(k));
        b.sketch.merge(a.sketch);
        b.failed += a.failed;
      }
      return out;
    };
    const sumMap = (m: Map<number, number>, combine: (a: number, b: number) => number): [number, number][] => {
      const out = new Map<number, number>();
      for (const [k, v] of m) {
        const nk = rekey(k);
        out.set(nk, out.has(nk) ? combine(out.get(nk)!, v) : v);
      }
      return [...out.entries()].sort((a, b) => a[0] - b[0]);
    };
    const buckets = (m: Map<number, Acc>, fill: boolean): Bucket[] => {
      const c = coarse(m);
      const keys = fill && !empty ? range(start, end, width) : [...c.keys()].sort((a, b) => a - b);
      return keys.map((t) => {
        const a = c.get(t);
        const s = a?.sketch;
        return {
          t,
          n: s?.count ?? 0,
          failed: a?.failed ?? 0,
          p50: round(s?.quantile(0.5)),
          p95: round(s?.quantile(0.95)),
          p99: round(s?.quantile(0.99)),
          max: s && s.count ? round(s.max) : null,
        };
      });
    };

    const errors: ErrorBucket[] = [];
    const errMap = new Map<number, Record<string, number>>();
    for (const [k, kinds] of this.errors) {
      const nk = rekey(k);
      const into = errMap.get(nk) ?? {};
      for (const [kind, c] of Object.entries(kinds)) into[kind] = (into[kind] ?? 0) + c;
      errMap.set(nk, into);
    }
    for (const k of [...errMap.keys()].sort((a, b) => a - b)) errors.push({ t: k, kinds: errMap.get(k)! });

    const series: TimeSeries = {
      bucketMs: width,
      start,
      end,
      overall: buckets(this.overall, true),
      endpoints: [...this.endpoints.keys()].sort().map((endpoint) => ({ endpoint, buckets: buckets(this.endpoints.get(endpoint)!, true) })),
      errors,
      vus: sumMap(this.vus, Math.max),
      dropped: sumMap(this.dropped, (a, b) => a + b),
      custom: [...this.custom.entries()].map(([metric, m]) => ({
        metric,
        buckets: buckets(m, false).map((b) => ({ t: b.t, n: b.n, p50: b.p50, p95: b.p95, max: b.max })),
      })),
      byFault: [...this.byFault.entries()]
        .sort((a, b) => (a[0] === 'none' ? -1 : b[0] === 'none' ? 1 : a[0].localeCompare(b[0])))
        .map(([fault, a]) => ({
          fault,
          requests: a.sketch.count,
          failed: a.failed,
          p50: round(a.sketch.quantile(0.5)),
          p95: round(a.sketch.quantile(0.95)),
          p99: round(a.sketch.quantile(0.99)),
        })),
    };
    return {
      series,
      endpointTotals: [...this.totals.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
      overallSketch: this.overallSketch,
      tracked: this.tracked,
      lines: this.lines,
      badLines: this.badLines,
    };
  }
}

function range(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let t = start; t < end; t += step) out.push(t);
  return out;
}

/** Rounds a bucket width up to one a reader can think in (1, 2, 5, 10, 15, 30 s, 1, 2, 5 min, ...). */
export function niceWidth(ms: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);
  return steps.find((s) => s >= ms) ?? Math.ceil(ms / 3_600_000) * 3_600_000;
}

/**
 * Streams a k6 JSON output file (gzipped when it ends in .gz) through the aggregator. A truncated
 * file (the run was killed) is read as far as it goes; the problem is returned, not thrown.
 */
export async function readTimeseriesFile(file: string, opts: TimeseriesOptions = {}): Promise<{ aggregate: TimeseriesAggregate; problem: string | null }> {
  const agg = new TimeseriesAggregator(opts);
  const problem = await new Promise<string | null>((resolve) => {
    const src = fs.createReadStream(file);
    const input = file.endsWith('.gz')
      ? src.pipe(zlib.createGunzip()) // on a truncated file: emits what it could decode, then "unexpected end of file"
      : src;
    input.setEncoding('utf8');
    let rest = '';
    let settled = false;
    const done = (p: string | null) => {
      if (settled) return;
      settled = true;
      if (rest) agg.line(rest);
      rest = '';
      resolve(p);
    };
    input.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) agg.line(p);
    });
    input.on('end', () => done(null));
    input.on('error', (e: Error) => done(`${file}: ${e.message}`));
    src.on('error', (e) => done(`${file}: ${e.message}`));
  });
  return { aggregate: agg.finish(), problem };
}
