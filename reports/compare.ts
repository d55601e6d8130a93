// The regression decision rule for CI. Pure: two baselines in, a decision out.
//
// Why not "p95 went up 5%": two runs of the same build on the same machine differ by several percent
// (scheduler, caches, the other tenant of a 2-core box), and one whole-run percentile cannot tell
// noise from change. So a latency figure counts as REGRESSED only when BOTH hold:
//
//   1. effect size: the whole-run percentile rose by at least `minEffect` (default 10 %), and
//   2. evidence: the per-bucket values of that percentile (one p95 per second, say) are
//      stochastically larger in the candidate EVEN AFTER dividing them by (1 + `noiseMargin`)
//      (default 5 %) — one-sided Mann-Whitney U — with the p-value surviving Holm-Bonferroni
//      correction at family-wise level `alpha` (default 0.01) over every test of the comparison
//      (3 percentiles x endpoints + error rates + throughputs).
//
// The margin is there because buckets of one run share that run's machine state: a run that was
// 8 % slower throughout makes every bucket slower, and a plain test on buckets calls that
// "significant". With the margin the test asks "slower by more than a run-to-run drift?".
// On simulated runs with ~4.5 % run-to-run variation (reports/fixtures/generate.ts: run factor,
// autocorrelated per-second drift, lognormal requests; 40 seeds, 780 same-build pairs):
//   noiseMargin 0    : false alarms 5.9 %, detects a 20 % slowdown in 88 %, 15 % in 73 %
//   noiseMargin 0.05 : false alarms 1.2 %, detects a 20 % slowdown in 75 %, 15 % in 48 %  (default)
//   noiseMargin 0.10 : false alarms 0.1 %, detects a 20 % slowdown in 50 %
// A bare "p95 +10 %" rule alarms on several times as many same-build pairs. One run per side
// cannot do better than the machine's noise allows; `npm run bench:compare` measures the rates
// on real runs of this machine, and --noise-margin / --min-effect tune the trade.
//
// Error rate regresses when it rose by at least `minErrorDelta` (default 0.5 percentage points) and
// a one-sided two-proportion z-test is significant under the same Holm correction. Throughput
// regresses when it fell by at least `minEffect` and the per-bucket request counts are lower by
// more than the margin (Mann-Whitney); it is compared only when both runs used the same profile
// and scenario (the offered load differs otherwise). Each test needs `minBuckets` (default 10)
// buckets per side; with fewer the figure is "insufficient data", never a regression.
//
// Thresholds and game-day tolerances are pass/fail already: one that passed in the baseline and
// fails in the candidate is a regression outright. Improvements are reported, never gated on.
import type { Baseline } from './baseline.ts';
import { holm, mannWhitney, proportionGreater } from './stats.ts';

export interface CompareParams {
  minEffect: number;
  noiseMargin: number;
  alpha: number;
  minErrorDelta: number;
  minBuckets: number;
  stats: ('p50' | 'p95' | 'p99')[];
}

export const DEFAULT_PARAMS: CompareParams = { minEffect: 0.1, noiseMargin: 0.05, alpha: 0.01, minErrorDelta: 0.005, minBuckets: 10, stats: ['p50', 'p95', 'p99'] };

export type Outcome = 'regression' | 'improvement' | 'unchanged' | 'insufficient data' | 'not compared';

export interface MetricRow {
  endpoint: string;
  metric: 'p50' | 'p95' | 'p99' | 'error rate' | 'throughput';
  unit: 'ms' | 'ratio' | 'req/s';
  baseline: number | null;
  candidate: number | null;
  /** relative change for latency/throughput, absolute difference for the error rate */
  change: number | null;
  pValue: number | null;
  significant: boolean;
  outcome: Outcome;
  note?: string;
}

export interface PassFailRow {
  kind: 'threshold' | 'tolerance';
  group: string; // metric or experiment
  name: string; // expression or tolerance
  baseline: boolean | null;
  candidate: boolean | null;
  baselineActual: string | null;
  candidateActual: string | null;
  outcome: 'regression' | 'fixed' | 'still failing' | 'pass' | 'new' | 'gone';
}

export interface AvailabilityRow {
  experiment: string;
  phase: string;
  baseline: { availability: number | null; longestOutageMs: number } | null;
  candidate: { availability: number | null; longestOutageMs: number } | null;
}

export interface Comparison {
  params: CompareParams;
  baseline: Baseline['source'] & { name: string };
  candidate: Baseline['source'] & { name: string };
  rows: MetricRow[];
  passFail: PassFailRow[];
  availability: AvailabilityRow[];
  notes: string[];
  regressions: string[];
  improvements: string[];
  regressed: boolean;
}

interface PendingTest {
  row: MetricRow;
  p: number;
  effectOk: boolean;
  improvementP: number;
  improvementOk: boolean;
}

function relChange(base: number | null, cand: number | null): number | null {
  if (base === null || cand === null || base === 0) return null;
  return cand / base - 1;
}

function pct(x: number, digits = 1): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`;
}

function ms(v: number | null): string {
  return v === null ? '–' : `${v >= 100 ? v.toFixed(0) : v.toFixed(2)} ms`;
}

export function compare(base: Baseline, cand: Baseline, params: CompareParams = DEFAULT_PARAMS): Comparison {
  const notes: string[] = [];
  const tests: PendingTest[] = [];
  const rows: MetricRow[] = [];
  const sameShape = base.source.profile === cand.source.profile && base.source.scenario === cand.source.scenario;
  if (!sameShape)
    notes.push(
      `profile/scenario differ (baseline ${base.source.profile ?? '–'}/${base.source.scenario ?? '–'}, candidate ${cand.source.profile ?? '–'}/${cand.source.scenario ?? '–'}): throughput not compared, latency compared at different offered load`,
    );
  if (!cand.source.complete) notes.push('the candidate run is INCOMPLETE: figures cover only what it recorded');
  if (!base.source.complete) notes.push('the baseline run is INCOMPLETE');

  const candBy = new Map(cand.endpoints.map((e) => [e.endpoint, e]));
  for (const b of base.endpoints) {
    const c = candBy.get(b.endpoint);
    if (!c) {
      notes.push(`endpoint ${b.endpoint} is in the baseline but not in the candidate`);
      continue;
    }
    for (const stat of params.stats) {
      const row: MetricRow = {
        endpoint: b.endpoint,
        metric: stat,
        unit: 'ms',
        baseline: b.latency[stat],
        candidate: c.latency[stat],
        change: relChange(b.latency[stat], c.latency[stat]),
        pValue: null,
        significant: false,
        outcome: 'unchanged',
      };
      rows.push(row);
      const bs = b.buckets[stat];
      const cs = c.buckets[stat];
      if (bs.length < params.minBuckets || cs.length < params.minBuckets || row.change === null) {
        row.outcome = 'insufficient data';
        row.note = `${bs.length} vs ${cs.length} buckets (need ${params.minBuckets})`;
        continue;
      }
      // slower by more than the machine's run-to-run drift? (and, mirrored, faster by more)
      const worse = mannWhitney(bs, cs.map((v) => v / (1 + params.noiseMargin)))!;
      const better = mannWhitney(bs, cs.map((v) => v * (1 + params.noiseMargin)))!;
      row.pValue = worse.pGreater;
      tests.push({ row, p: worse.pGreater, effectOk: row.change >= params.minEffect, improvementP: better.pLess, improvementOk: row.change <= -params.minEffect });
    }

    const er: MetricRow = {
      endpoint: b.endpoint,
      metric: 'error rate',
      unit: 'ratio',
      baseline: b.errorRate,
      candidate: c.errorRate,
      change: c.errorRate - b.errorRate,
      pValue: null,
      significant: false,
      outcome: 'unchanged',
    };
    rows.push(er);
    if (b.requests && c.requests) {
      er.pValue = proportionGreater(b.failed, b.requests, c.failed, c.requests);
      tests.push({
        row: er,
        p: er.pValue,
        effectOk: er.change! >= params.minErrorDelta,
        improvementP: proportionGreater(c.failed, c.requests, b.failed, b.requests),
        improvementOk: er.change! <= -params.minErrorDelta,
      });
    } else er.outcome = 'insufficient data';

    const tp: MetricRow = {
      endpoint: b.endpoint,
      metric: 'throughput',
      unit: 'req/s',
      baseline: b.rps,
      candidate: c.rps,
      change: relChange(b.rps, c.rps),
      pValue: null,
      significant: false,
      outcome: 'unchanged',
    };
    rows.push(tp);
    if (!sameShape) {
      tp.outcome = 'not compared';
      tp.note = 'different profile/scenario';
    } else if (b.buckets.n.length < params.minBuckets || c.buckets.n.length < params.minBuckets || tp.change === null) {
      tp.outcome = 'insufficient data';
    } else {
      const worse = mannWhitney(b.buckets.n, c.buckets.n.map((v) => v * (1 + params.noiseMargin)))!;
      const better = mannWhitney(b.buckets.n, c.buckets.n.map((v) => v / (1 + params.noiseMargin)))!;
      tp.pValue = worse.pLess;
      tests.push({ row: tp, p: worse.pLess, effectOk: tp.change <= -params.minEffect, improvementP: better.pGreater, improvementOk: tp.change >= params.minEffect });
    }
  }
  for (const c of cand.endpoints) if (!base.endpoints.some((b) => b.endpoint === c.endpoint)) notes.push(`endpoint ${c.endpoint} is new in the candidate (no baseline to compare with)`);

  // Holm over the whole family, once for "worse" and once for "better"
  const worse = holm(tests.map((t) => t.p), params.alpha);
  const better = holm(tests.map((t) => t.improvementP), params.alpha);
  tests.forEach((t, i) => {
    t.row.significant = worse[i] || better[i];
    if (worse[i] && t.effectOk) t.row.outcome = 'regression';
    else if (better[i] && t.improvementOk) t.row.outcome = 'improvement';
    else if (t.effectOk) t.row.note = 'change within run-to-run noise (not significant)';
    else if (worse[i]) t.row.note = `significant but below the ${t.row.metric === 'error rate' ? `${(params.minErrorDelta * 100).toFixed(1)} pp` : `${params.minEffect * 100}%`} minimum effect`;
  });

  // thresholds and tolerances: pass/fail, side by side
  const passFail: PassFailRow[] = [];
  const pf = (kind: PassFailRow['kind'], group: string, name: string, b?: { ok: boolean; actual: string | null }, c?: { ok: boolean; actual: string | null }) => {
    const outcome: PassFailRow['outcome'] = !b ? 'new' : !c ? 'gone' : b.ok && !c.ok ? 'regression' : !b.ok && c.ok ? 'fixed' : !b.ok && !c.ok ? 'still failing' : 'pass';
    passFail.push({ kind, group, name, baseline: b?.ok ?? null, candidate: c?.ok ?? null, baselineActual: b?.actual ?? null, candidateActual: c?.actual ?? null, outcome });
  };
  const tKey = (t: { metric: string; expression: string }) => `${t.metric}\u0000${t.expression}`;
  const fmtActual = (v: number | null) => (v === null ? null : String(Math.round(v * 1e4) / 1e4));
  const candT = new Map(cand.thresholds.map((t) => [tKey(t), t]));
  for (const t of base.thresholds) {
    const c = candT.get(tKey(t));
    pf('threshold', t.metric, t.expression, { ok: t.ok, actual: fmtActual(t.actual) }, c ? { ok: c.ok, actual: fmtActual(c.actual) } : undefined);
  }
  for (const c of cand.thresholds) if (!base.thresholds.some((t) => tKey(t) === tKey(c))) pf('threshold', c.metric, c.expression, undefined, { ok: c.ok, actual: fmtActual(c.actual) });
  const vKey = (v: { experiment: string; tolerance: string }) => `${v.experiment}\u0000${v.tolerance}`;
  const candV = new Map(cand.verdicts.map((v) => [vKey(v), v]));
  for (const v of base.verdicts) {
    const c = candV.get(vKey(v));
    pf('tolerance', v.experiment, v.tolerance, { ok: v.ok, actual: v.actual }, c ? { ok: c.ok, actual: c.actual } : undefined);
  }
  for (const c of cand.verdicts) if (!base.verdicts.some((v) => vKey(v) === vKey(c))) pf('tolerance', c.experiment, c.tolerance, undefined, { ok: c.ok, actual: c.actual });

  const aKey = (a: { experiment: string; phase: string }) => `${a.experiment}\u0000${a.phase}`;
  const keys = [...new Set([...base.availability.map(aKey), ...cand.availability.map(aKey)])];
  const availability: AvailabilityRow[] = keys.map((k) => {
    const [experiment, phase] = k.split('\u0000');
    const b = base.availability.find((a) => aKey(a) === k);
    const c = cand.availability.find((a) => aKey(a) === k);
    return {
      experiment,
      phase,
      baseline: b ? { availability: b.availability, longestOutageMs: b.longestOutageMs } : null,
      candidate: c ? { availability: c.availability, longestOutageMs: c.longestOutageMs } : null,
    };
  });

  const describe = (r: MetricRow): string => {
    if (r.metric === 'error rate') return `${r.endpoint} error rate ${((r.baseline ?? 0) * 100).toFixed(2)}% -> ${((r.candidate ?? 0) * 100).toFixed(2)}% (${r.change! >= 0 ? '+' : ''}${(r.change! * 100).toFixed(2)} pp, p=${r.pValue!.toExponential(1)})`;
    if (r.metric === 'throughput') return `${r.endpoint} throughput ${r.baseline!.toFixed(2)} -> ${r.candidate!.toFixed(2)} req/s (${pct(r.change!)}, p=${r.pValue!.toExponential(1)})`;
    return `${r.endpoint} ${r.metric} ${ms(r.baseline)} -> ${ms(r.candidate)} (${pct(r.change!)}, p=${r.pValue!.toExponential(1)})`;
  };
  const regressions = [
    ...rows.filter((r) => r.outcome === 'regression').map(describe),
    ...passFail.filter((p) => p.outcome === 'regression').map((p) => `${p.kind} ${p.group}: ${p.name} passed in the baseline (${p.baselineActual ?? '–'}) and fails now (${p.candidateActual ?? '–'})`),
  ];
  const improvements = rows.filter((r) => r.outcome === 'improvement').map(describe);
  return {
    params,
    baseline: { ...base.source, name: base.name },
    candidate: { ...cand.source, name: cand.name },
    rows,
    passFail,
    availability,
    notes,
    regressions,
    improvements,
    regressed: regressions.length > 0,
  };
}

/** A copy of a baseline with every latency figure multiplied: the "injected slowdown" of the benchmark and tests. */
export function scaleLatency(b: Baseline, factor: number): Baseline {
  const s = (v: number | null) => (v === null ? null : v * factor);
  return {
    ...b,
    endpoints: b.endpoints.map((e) => ({
      ...e,
      latency: { p50: s(e.latency.p50), p90: s(e.latency.p90), p95: s(e.latency.p95), p99: s(e.latency.p99), max: s(e.latency.max) },
      buckets: { ...e.buckets, p50: e.buckets.p50.map((v) => v * factor), p95: e.buckets.p95.map((v) => v * factor), p99: e.buckets.p99.map((v) => v * factor) },
    })),
  };
}
