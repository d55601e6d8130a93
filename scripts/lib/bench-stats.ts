// Pure helpers of `npm run bench:load` (scripts/bench-load.ts): parsing wrk's and /proc's text,
// best-of-N rounds, goal ratios, memory per VU, relative errors. No I/O, so they are unit-tested.

export interface ThroughputRow {
  tool: string;
  requests: number;
  rps: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  errors: number;
}

function wrkMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** One row from `wrk --latency` output (wrk prints p50/75/90/99: p95 stays null). */
export function parseWrk(stdout: string, tool: string): ThroughputRow {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(stdout);
    return m ? wrkMs(m[1], m[2]) : null;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    tool,
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    p50: pct('50'),
    p95: null,
    p99: pct('99'),
    errors: non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

/** The engine's legacy summary export (--summary-export), the parts the benchmark reads. */
export interface SummaryExport {
  metrics: Record<string, Record<string, number> | undefined>;
}

/** A throughput row from a summary export (trend stats med, p(95), p(99)). */
export function rowFromSummary(s: SummaryExport, tool: string): ThroughputRow {
  const reqs = s.metrics.http_reqs ?? {};
  const d = s.metrics.http_req_duration ?? {};
  const failed = s.metrics.http_req_failed;
  return {
    tool,
    requests: reqs.count ?? 0,
    rps: reqs.rate ?? 0,
    p50: d.med ?? d['p(50)'] ?? null,
    p95: d['p(95)'] ?? null,
    p99: d['p(99)'] ?? null,
    errors: failed ? (failed.passes ?? 0) : 0, // http_req_failed counts failures as "passes"
  };
}

/** Each tool's best round (other load on the machine only ever lowers a figure) and the spread. */
export function bestOf(rounds: ThroughputRow[]): { best: ThroughputRow; spread: string } {
  if (rounds.length === 0) throw new Error('bestOf: no rounds');
  const best = rounds.reduce((b, r) => (r.rps > b.rps ? r : b));
  return { best, spread: rounds.map((r) => (Number.isFinite(r.rps) ? r.rps.toFixed(0) : '–')).join(' / ') };
}

export interface Goal {
  name: string;
  ratio: number | null; // 0..1+, null when a side is missing
  goal: number;
  met: boolean;
}

/** a/b against a goal (a/b >= goal). */
export function ratioGoal(name: string, a: number | undefined, b: number | undefined, goal: number): Goal {
  const ratio = a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
  return { name, ratio, goal, met: ratio !== null && ratio >= goal };
}

/** |measured - expected| / expected (null when expected is 0 or a side is missing). */
export function relErr(measured: number | null | undefined, expected: number | null | undefined): number | null {
  if (measured === null || measured === undefined || expected === null || expected === undefined || !Number.isFinite(measured) || !expected) return null;
  return Math.abs(measured - expected) / Math.abs(expected);
}

/** VmRSS and VmHWM (kB in /proc/<pid>/status) in MiB; missing fields are null. */
export function parseProcStatus(text: string): { rssMiB: number | null; hwmMiB: number | null } {
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) / 1024 : null;
  };
  return { rssMiB: kb('VmRSS'), hwmMiB: kb('VmHWM') };
}

/** (peak RSS at vus2 - peak RSS at vus1) / (vus2 - vus1), MiB per VU. */
export function perVuMiB(a: { vus: number; peakMiB: number }, b: { vus: number; peakMiB: number }): number {
  if (a.vus === b.vus) throw new Error('perVuMiB: the two runs need different VU counts');
  return (b.peakMiB - a.peakMiB) / (b.vus - a.vus);
}

/** Programmed p50/p95/p99 of a quantile table "q:ms,..." (the fake API's --latency), by linear interpolation. */
export function tableQuantile(table: string, q: number): number {
  const pts = table.split(',').map((p) => {
    const [a, b] = p.split(':').map(Number);
    return { q: a, ms: b };
  });
  if (pts.length < 2 || pts.some((p) => !Number.isFinite(p.q) || !Number.isFinite(p.ms)) || pts[0].q !== 0 || pts[pts.length - 1].q !== 1) {
    throw new Error(`quantile table: expected "0:ms,...,1:ms", got "${table}"`);
  }
  for (let i = 1; i < pts.length; i++) {
    if (q === pts[i].q) return pts[i].ms;
    if (q < pts[i].q) {
      const a = pts[i - 1];
      const b = pts[i];
      return a.ms + ((b.ms - a.ms) * (q - a.q)) / (b.q - a.q);
    }
  }
  return pts[pts.length - 1].ms;
}

/** "met" / "not met" with the figure, for the tables. */
export function verdict(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

/** percent with one decimal, "–" for null. */
export function pct(v: number | null, digits = 1): string {
  return v === null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`;
}
