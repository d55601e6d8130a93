// The I/O layer: reads a run folder (scripts/lib/run-folder.ts) into one RunResult. A missing file
// means "not measured in this run" and leaves its section null; a file that cannot be read (a run
// killed mid-write) becomes a warning, so an interrupted run still gets a report.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../scripts/lib/errors.ts';
import {
  INCOMPLETE_MARKER,
  type ChaosJournal,
  type HaproxyCounters,
  type LagSample,
  type LostWriteResult,
  type PlacementSample,
  type ProbeSample,
  type RunMeta,
  type RwLagSample,
  type Verdict,
} from '../scripts/lib/run-folder.ts';
import {
  analyzeHaproxy,
  analyzeLag,
  analyzePlacement,
  analyzeProbe,
  analyzeRwLag,
  experimentSummaries,
  faultWindows,
  normalizeJournals,
  type PhaseWindow,
} from './chaos-analysis.ts';
import { latencyFromValues, parseK6Summary, parseMetricName, type ParsedSummary } from './k6-summary.ts';
import { niceWidth, readTimeseriesFile, type TimeseriesAggregate, type TrackedTrend } from './k6-timeseries.ts';
import { LiveMetricsSection, RESULT_SCHEMA_VERSION, type ChaosSection, type EndpointStats, type K6Section, type LatencyStats, type RunResult } from './model.ts';
import { round } from './stats.ts';

export const INPUT_FILES = [
  'run.json',
  'k6-summary.json',
  'k6-timeseries.json.gz',
  'k6-timeseries.json',
  'k6.log',
  'journal.json',
  'gameday.json',
  'probe.jsonl',
  'lag.jsonl',
  'writes.jsonl',
  'rw-lag.jsonl',
  'writes-check.json',
  'prometheus.json',
  'placement.jsonl',
  'haproxy.json',
  'verdicts.json',
] as const;

const MAX_BUCKETS = 900;

export interface LoadOptions {
  now?: Date; // for deterministic generatedAt in tests
}

export async function loadRun(dir: string, opts: LoadOptions = {}): Promise<RunResult> {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory())
    throw new ConfigError(`run folder: expected a directory written by npm run load/chaos, got ${JSON.stringify(dir)} (does not exist or is not a directory)`);
  const has = (f: string) => fs.existsSync(path.join(abs, f));
  const files = INPUT_FILES.filter(has);
  if (!has('run.json') && !has('k6-summary.json'))
    throw new ConfigError(`run folder ${dir}: expected run.json (or at least k6-summary.json), got neither; is this a run folder?`);
  const warnings: string[] = [];

  const readJsonFile = <T>(file: string): T | null => {
    if (!has(file)) return null;
    try {
      return JSON.parse(fs.readFileSync(path.join(abs, file), 'utf8')) as T;
    } catch (err) {
      warnings.push(`${file}: unreadable (${(err as Error).message}); section left out`);
      return null;
    }
  };
  const readLines = <T>(file: string): T[] | null => {
    if (!has(file)) return null;
    const rows: T[] = [];
    let bad = 0;
    for (const line of fs.readFileSync(path.join(abs, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line) as T);
      } catch {
        bad++;
      }
    }
    if (bad) warnings.push(`${file}: ${bad} unreadable line(s) skipped`);
    return rows;
  };

  const meta = readJsonFile<RunMeta>('run.json');
  if (!meta && has('run.json')) throw new ConfigError(`run folder ${dir}: run.json is not valid JSON; expected the RunMeta of scripts/lib/run-folder.ts`);
  const complete = !has(INCOMPLETE_MARKER) && (meta ? meta.status !== 'running' : true);

  // ---- k6 summary and time series
  let summary: ParsedSummary | null = null;
  const rawSummary = readJsonFile<unknown>('k6-summary.json');
  if (rawSummary !== null) {
    try {
      summary = parseK6Summary(rawSummary);
    } catch (err) {
      warnings.push(`k6-summary.json: ${(err as Error).message}`);
    }
  }
  const runSpanMs = meta?.finishedAt ? Date.parse(meta.finishedAt) - Date.parse(meta.startedAt) : null;
  const expectedMs = summary?.durationMs ?? (Number.isFinite(runSpanMs) ? runSpanMs : null);
  const bucketMs = expectedMs ? Math.max(1000, niceWidth(expectedMs / MAX_BUCKETS)) : 1000;

  let ts: TimeseriesAggregate | null = null;
  const tsFile = has('k6-timeseries.json.gz') ? 'k6-timeseries.json.gz' : has('k6-timeseries.json') ? 'k6-timeseries.json' : null;
  if (tsFile) {
    const { aggregate, problem } = await readTimeseriesFile(path.join(abs, tsFile), { bucketMs, maxBuckets: MAX_BUCKETS, track: trackedFor(summary) });
    if (problem) warnings.push(`${tsFile}: read up to an error (${problem.replace(`${abs}/`, '')}); the time series may end early`);
    if (aggregate.badLines) warnings.push(`${tsFile}: ${aggregate.badLines} unreadable line(s) skipped`);
    ts = aggregate.series.overall.length || aggregate.lines ? aggregate : null;
  }
  const k6 = summary || ts ? buildK6Section(summary, ts) : null;

  // ---- chaos records
  // a game day writes one journal per experiment to gameday.json (journal.json then aggregates them
  // with "<experiment>/" phase prefixes): prefer the per-experiment view
  const gameday = has('gameday.json') ? normalizeJournals(readJsonFile<unknown>('gameday.json')) : [];
  const journals = gameday.length ? gameday : has('journal.json') ? normalizeJournals(readJsonFile<unknown>('journal.json')) : [];
  const rwLag = readLines<RwLagSample>('rw-lag.jsonl');
  const probe = readLines<ProbeSample>('probe.jsonl');
  const lag = readLines<LagSample>('lag.jsonl');
  const placement = readLines<PlacementSample>('placement.jsonl');
  const haproxyRaw = readJsonFile<HaproxyCounters[] | { snapshots: HaproxyCounters[] }>('haproxy.json');
  const haproxy = haproxyRaw ? (Array.isArray(haproxyRaw) ? haproxyRaw : (haproxyRaw.snapshots ?? [])) : null;
  const verdictsRaw = readJsonFile<Verdict[] | { verdicts: Verdict[] }>('verdicts.json');
  const verdicts = verdictsRaw ? (Array.isArray(verdictsRaw) ? verdictsRaw : (verdictsRaw.verdicts ?? [])) : [];
  const writes = readJsonFile<LostWriteResult>('writes-check.json');
  if (!writes && has('writes.jsonl')) warnings.push('writes.jsonl is present but writes-check.json is not: the lost-write check did not run');

  let chaos: ChaosSection | null = null;
  if (journals.length || probe || lag || placement || haproxy || verdictsRaw || writes || rwLag) {
    const phases: PhaseWindow[] = journals.flatMap((j) =>
      (j.phases ?? []).map((p) => ({ experiment: j.experiment, phase: p.name, start: p.start, end: p.end })),
    );
    chaos = {
      experiments: experimentSummaries(journals),
      faults: faultWindows(journals),
      verdicts: verdicts.map((v) => ({ experiment: String(v.experiment), tolerance: String(v.tolerance), ok: !!v.ok, expected: String(v.expected ?? ''), actual: String(v.actual ?? '') })),
      probe: probe && probe.length ? analyzeProbe(probe, phases) : null,
      lag: lag && lag.length ? analyzeLag(lag) : null,
      writes: writes
        ? {
            checkedAt: writes.checkedAt,
            attempted: writes.attempted,
            acknowledged: writes.acknowledged,
            lost: writes.lost ?? [],
            unexpected: writes.unexpected ?? [],
            perServer: (writes.perServer ?? []).map((s) => ({ server: s.server, present: s.present, lost: s.lost ?? [], unexpected: s.unexpected ?? [] })),
            ok: !!writes.ok,
            duplicated: writes.duplicated ?? [],
            caughtUp: writes.caughtUp ?? null,
          }
        : null,
      rwLag: rwLag && rwLag.length ? analyzeRwLag(rwLag) : null,
      placement: placement && placement.length ? analyzePlacement(placement) : null,
      haproxy: haproxy && haproxy.length ? analyzeHaproxy(haproxy) : null,
    };
  }

  const run: RunResult['run'] = {
    id: meta?.id ?? path.basename(abs),
    kind: meta?.kind ?? 'load',
    status: meta?.status ?? (complete ? 'completed' : 'running'),
    complete,
    startedAt: meta?.startedAt ?? (ts ? new Date(ts.series.start).toISOString() : ''),
    finishedAt: meta?.finishedAt ?? null,
    // an unfinished run has no finishedAt: fall back to k6's own figure, then to the recorded series
    durationMs:
      runSpanMs !== null && Number.isFinite(runSpanMs)
        ? runSpanMs
        : (summary?.durationMs ?? (ts && ts.series.end > ts.series.start ? ts.series.end - ts.series.start : null)),
    git: meta?.git ?? null,
    target: meta?.target ? { ingressUrl: meta.target.ingressUrl, embedded: !!meta.target.embedded } : null,
    profile: meta?.profile ?? null,
    scenario: meta?.scenario ?? null,
    experiment: meta?.experiment ?? null,
    plan: meta?.plan ?? null,
    engine: meta?.engine ?? (meta?.k6Version ? `k6 ${meta.k6Version}` : null),
    exitCode: meta?.exitCode ?? null,
    config: meta?.config ?? null,
  };
  if (!meta) warnings.push('run.json is missing: run metadata unknown');

  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    run,
    verdict: decideVerdict(meta, complete, k6, chaos),
    files: [...files],
    warnings,
    k6,
    timeseries: ts ? ts.series : null,
    chaos,
    liveMetrics: readLiveMetrics(readJsonFile<unknown>('prometheus.json'), warnings),
  };
}

/** prometheus.json (chaos/live-metrics/) as written; a file of another shape is a warning, not a section. */
function readLiveMetrics(raw: unknown, warnings: string[]): LiveMetricsSection | null {
  if (raw === null) return null;
  const parsed = LiveMetricsSection.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    warnings.push(`prometheus.json: ${i.path.join('.') || '(root)'}: ${i.message}; live metrics left out`);
    return null;
  }
  return parsed.data;
}

/** Trend thresholds whose aggregation k6 did not report (e.g. p(99) outside summaryTrendStats). */
function trackedFor(summary: ParsedSummary | null): TrackedTrend[] {
  if (!summary) return [];
  const out = new Map<string, TrackedTrend>();
  for (const t of summary.thresholds) {
    const m = summary.metrics.get(t.metric);
    if (t.actual !== null || !t.aggregation || (m && m.type !== 'trend')) continue;
    const { base, tags } = parseMetricName(t.metric);
    out.set(t.metric, { key: t.metric, metric: base, tags });
  }
  return [...out.values()];
}

function aggregationOf(sketch: { quantile(q: number): number | null; mean(): number | null; min: number; max: number; count: number }, agg: string): number | null {
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(agg);
  if (p) return sketch.quantile(Number(p[1]) / 100);
  if (agg === 'med') return sketch.quantile(0.5);
  if (agg === 'avg') return sketch.mean();
  if (agg === 'min') return sketch.count ? sketch.min : null;
  if (agg === 'max') return sketch.count ? sketch.max : null;
  if (agg === 'count') return sketch.count;
  return null;
}

function buildK6Section(summary: ParsedSummary | null, ts: TimeseriesAggregate | null): K6Section {
  const mv = (name: string, key: string): number | null => summary?.metrics.get(name)?.values[key] ?? null;
  const durationMs = summary?.durationMs ?? (ts && ts.series.end > ts.series.start ? ts.series.end - ts.series.start : null);
  const seconds = durationMs ? durationMs / 1000 : null;

  // k6 writes metrics in map order (random per run): sort so reports and diffs are stable
  const sorted = [...(summary?.thresholds ?? [])].sort((a, b) => a.metric.localeCompare(b.metric) || a.expression.localeCompare(b.expression));
  const thresholds = sorted.map((t) => {
    if (t.actual !== null || !t.aggregation || !ts) return t;
    const sk = ts.tracked.get(t.metric);
    return sk && sk.count ? { ...t, actual: round(aggregationOf(sk, t.aggregation), 4) } : t;
  });

  let endpoints: EndpointStats[] = [];
  if (ts && ts.endpointTotals.length) {
    endpoints = ts.endpointTotals.map((e) => ({
      endpoint: e.endpoint,
      requests: e.sketch.count,
      failed: e.failed,
      errorRate: e.sketch.count ? round(e.failed / e.sketch.count, 6)! : 0,
      rps: seconds ? round(e.sketch.count / seconds, 3)! : 0,
      latency: sketchLatency(e.sketch),
      source: 'timeseries' as const,
    }));
  } else if (summary) {
    const names = new Set<string>();
    for (const m of summary.metrics.values()) if (m.base === 'http_req_duration' && m.tags.endpoint && Object.keys(m.tags).length === 1) names.add(m.tags.endpoint);
    endpoints = [...names].sort().map((endpoint) => {
      const sel = `{endpoint:${endpoint}}`;
      const requests = mv(`http_reqs${sel}`, 'count') ?? 0;
      const failedRate = mv(`http_req_failed${sel}`, 'rate');
      const failed = mv(`http_req_failed${sel}`, 'passes') ?? (failedRate !== null ? Math.round(failedRate * requests) : 0);
      return {
        endpoint,
        requests,
        failed,
        errorRate: failedRate ?? (requests ? failed / requests : 0),
        rps: mv(`http_reqs${sel}`, 'rate') ?? (seconds ? requests / seconds : 0),
        latency: latencyFromValues(summary.metrics.get(`http_req_duration${sel}`)?.values),
        source: 'summary' as const,
      };
    });
  }

  let latency = latencyFromValues(summary?.metrics.get('http_req_duration')?.values);
  if (ts && ts.overallSketch.count) {
    const fromTs = sketchLatency(ts.overallSketch);
    latency = Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, v ?? fromTs[k as keyof LatencyStats]])) as LatencyStats;
  }

  const tsRequests = ts ? ts.overallSketch.count : null;
  const tsFailed = ts ? ts.endpointTotals.reduce((a, e) => a + e.failed, 0) : null;
  const metrics: Record<string, Record<string, number>> = {};
  for (const [name, m] of summary?.metrics ?? []) metrics[name] = m.values;

  return {
    durationMs,
    totals: {
      requests: mv('http_reqs', 'count') ?? tsRequests,
      rps: mv('http_reqs', 'rate') ?? (tsRequests !== null && seconds ? round(tsRequests / seconds, 3) : null),
      failedRate: mv('http_req_failed', 'rate') ?? (tsRequests ? round(tsFailed! / tsRequests, 6) : null),
      iterations: mv('iterations', 'count'),
      droppedIterations: mv('dropped_iterations', 'count') ?? (ts ? ts.series.dropped.reduce((a, [, v]) => a + v, 0) : null),
      checksPassed: mv('checks', 'passes'),
      checksFailed: mv('checks', 'fails'),
      vusMax: mv('vus_max', 'max') ?? mv('vus_max', 'value'),
      dataReceived: mv('data_received', 'count'),
      dataSent: mv('data_sent', 'count'),
    },
    latency,
    thresholds,
    endpoints,
    checks: summary?.checks ?? [],
    metrics,
  };
}

function sketchLatency(s: { quantile(q: number): number | null; mean(): number | null; min: number; max: number; count: number }): LatencyStats {
  if (!s.count) return { avg: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
  return {
    avg: round(s.mean(), 4),
    min: round(s.min, 4),
    p50: round(s.quantile(0.5), 4),
    p90: round(s.quantile(0.9), 4),
    p95: round(s.quantile(0.95), 4),
    p99: round(s.quantile(0.99), 4),
    max: round(s.max, 4),
  };
}

function decideVerdict(meta: RunMeta | null, complete: boolean, k6: K6Section | null, chaos: ChaosSection | null): RunResult['verdict'] {
  const reasons: string[] = [];
  if (!complete) reasons.push('the run did not finish (INCOMPLETE marker present or run.json still says "running"): figures cover only what was recorded');
  else if (meta && ['interrupted', 'aborted'].includes(meta.status)) reasons.push(`the run was ${meta.status}`);
  // what the chaos run was for comes first (its tolerances, lost writes, experiments that did not
  // complete); the load thresholds it ran under after them
  for (const v of chaos?.verdicts ?? []) if (!v.ok) reasons.push(`${v.experiment}: ${v.tolerance} failed (expected ${v.expected}, got ${v.actual})`);
  if (chaos?.writes && !chaos.writes.ok) reasons.push(`lost writes: ${chaos.writes.lost.length} lost, ${chaos.writes.unexpected.length} unexpected`);
  for (const e of chaos?.experiments ?? []) if (e.status !== 'completed') reasons.push(`experiment ${e.experiment} ${e.status}${e.error ? `: ${e.error}` : ''}`);
  for (const t of k6?.thresholds ?? [])
    if (!t.ok && !t.observer) reasons.push(`threshold ${t.metric} ${t.expression} failed${t.actual !== null ? ` (actual ${formatNum(t.actual)}${t.unit === 'ms' ? ' ms' : ''})` : ''}`);
  // run.json's own failure lines only when the records above do not already explain the verdict
  if (!reasons.length || (reasons.length === 1 && !complete)) for (const f of meta?.failures ?? []) reasons.push(f);
  const unique = [...new Set(reasons)];
  if (!complete) return { status: 'incomplete', reasons: unique };
  if (meta?.verdict === 'fail' || unique.length) return { status: 'fail', reasons: unique.length ? unique : ['run.json says fail'] };
  const evidence = meta?.verdict === 'pass' || (k6?.thresholds.length ?? 0) > 0 || (chaos?.verdicts.length ?? 0) > 0 || !!chaos?.writes;
  return { status: evidence ? 'pass' : 'unknown', reasons: [] };
}

function formatNum(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
