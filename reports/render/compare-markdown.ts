// Markdown of a baseline comparison: decision first (what regressed and by how much), then the
// side-by-side tables. Fit for $GITHUB_STEP_SUMMARY or a pull-request comment. Pure.
import type { Comparison, MetricRow } from '../compare.ts';
import { mdTable } from './markdown.ts';

function value(r: MetricRow, v: number | null): string {
  if (v === null) return '–';
  if (r.unit === 'ms') return `${v >= 100 ? v.toFixed(0) : v.toFixed(2)} ms`;
  if (r.unit === 'ratio') return `${(v * 100).toFixed(2)}%`;
  return `${v.toFixed(2)}`;
}

function change(r: MetricRow): string {
  if (r.change === null) return '–';
  if (r.metric === 'error rate') return `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(2)} pp`;
  return `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%`;
}

const OUTCOME_ICON: Record<string, string> = {
  regression: '❌ regression',
  improvement: '🟢 improvement',
  unchanged: '✅',
  'insufficient data': '❔ insufficient data',
  'not compared': '–',
};

export function renderComparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  const label = (s: Comparison['baseline']) => `${s.name} (\`${s.runId}\`${s.git ? `, git ${s.git.revision.slice(0, 10)}` : ''})`;
  out.push(`## ${c.regressed ? '❌ Performance regression' : '✅ No performance regression'}`);
  out.push('');
  out.push(`Baseline ${label(c.baseline)} vs candidate ${label(c.candidate)}.`);
  out.push('');
  if (c.regressions.length) {
    out.push('**Regressed:**');
    for (const r of c.regressions) out.push(`- ${r}`);
    out.push('');
  }
  if (c.improvements.length) {
    out.push('**Improved:**');
    for (const r of c.improvements) out.push(`- ${r}`);
    out.push('');
  }
  for (const n of c.notes) out.push(`> ${n}`);
  if (c.notes.length) out.push('');

  const endpoints = [...new Set(c.rows.map((r) => r.endpoint))];
  out.push('### Per endpoint');
  out.push(
    mdTable(
      ['endpoint', 'metric', 'baseline', 'candidate', 'change', 'p-value', 'result'],
      endpoints.flatMap((e) =>
        c.rows
          .filter((r) => r.endpoint === e)
          .map((r) => [
            `\`${e}\``,
            r.metric,
            value(r, r.baseline),
            value(r, r.candidate),
            change(r),
            r.pValue === null ? '–' : r.pValue < 1e-4 ? r.pValue.toExponential(1) : r.pValue.toFixed(4),
            `${OUTCOME_ICON[r.outcome]}${r.note ? ` (${r.note})` : ''}`,
          ]),
      ),
      ['l', 'l', 'r', 'r', 'r', 'r', 'l'],
    ),
  );

  const pf = c.passFail.filter((p) => p.outcome !== 'pass');
  if (c.passFail.length) {
    out.push(`### Thresholds and game-day tolerances (${c.passFail.filter((p) => p.outcome === 'pass').length} pass in both)`);
    const icon = (ok: boolean | null) => (ok === null ? '–' : ok ? '✅' : '❌');
    if (pf.length)
      out.push(
        mdTable(
          ['kind', 'what', 'check', 'baseline', 'candidate', 'result'],
          pf.map((p) => [p.kind, p.group, p.name, `${icon(p.baseline)} ${p.baselineActual ?? ''}`, `${icon(p.candidate)} ${p.candidateActual ?? ''}`, p.outcome]),
        ),
      );
  }
  if (c.availability.length) {
    out.push('### Availability per phase');
    const a = (x: { availability: number | null; longestOutageMs: number } | null) => (x ? `${x.availability === null ? '–' : `${(x.availability * 100).toFixed(2)}%`}, outage ${x.longestOutageMs} ms` : '–');
    out.push(mdTable(['experiment', 'phase', 'baseline', 'candidate'], c.availability.map((r) => [r.experiment, r.phase, a(r.baseline), a(r.candidate)])));
  }
  const p = c.params;
  out.push(
    `<sub>Rule: regression = change ≥ ${(p.minEffect * 100).toFixed(0)}% (error rate: ≥ ${(p.minErrorDelta * 100).toFixed(1)} pp) AND one-sided Mann-Whitney U on per-bucket values beyond a ${(p.noiseMargin * 100).toFixed(0)}% run-to-run margin (error rate: two-proportion z-test) significant at α = ${p.alpha} after Holm correction; ≥ ${p.minBuckets} buckets per side.</sub>`,
  );
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
