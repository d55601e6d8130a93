// The terminal summary of a load run: verdict, per-endpoint table, failed thresholds, folder. Pure.
import Table from 'cli-table3';
import pc from 'picocolors';
import type { EndpointRow, ThresholdOutcome } from './results.ts';

const ms = (v: number | null) => (v === null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v: number | null, digits = 2) => (v === null ? '–' : `${(v * 100).toFixed(digits)}%`);

export interface SummaryView {
  verdict: 'pass' | 'fail' | 'interrupted' | 'error';
  scenario: string;
  profile: string;
  target: string;
  durationS?: number;
  rows: EndpointRow[];
  thresholds: ThresholdOutcome[];
  failures: string[];
  dir: string;
  extra?: Record<string, string>;
  color?: boolean;
}

export function renderSummary(v: SummaryView): string {
  const c = pc.createColors(v.color ?? false);
  const badge = {
    pass: c.green(c.bold('PASS')),
    fail: c.red(c.bold('FAIL')),
    interrupted: c.yellow(c.bold('INTERRUPTED')),
    error: c.red(c.bold('ERROR')),
  }[v.verdict];
  const passed = v.thresholds.filter((t) => t.ok).length;
  const lines = [
    `${badge}  ${v.scenario} / ${v.profile} against ${v.target}${v.durationS ? ` (${v.durationS.toFixed(0)} s)` : ''}`,
    `thresholds: ${passed}/${v.thresholds.length} passed`,
  ];
  if (v.rows.length) {
    const t = new Table({
      head: ['endpoint', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'checks'],
      colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
      style: { head: [], border: [], compact: true },
    });
    for (const r of v.rows) t.push([r.endpoint, String(r.requests), ms(r.p50), ms(r.p95), ms(r.p99), pct(r.errorRate), pct(r.checks, 1)]);
    lines.push(t.toString());
  }
  for (const [k, val] of Object.entries(v.extra ?? {})) lines.push(`${k}: ${val}`);
  for (const f of v.failures) lines.push(c.red(`✗ ${f}`));
  lines.push(`run folder: ${v.dir}`);
  return lines.join('\n');
}
