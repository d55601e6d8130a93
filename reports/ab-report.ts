// Report formats of npm run ab, the same four as a run's report: JSON (the whole result),
// JUnit (one test case per phase: a regression is a failure, so CI shows it), Markdown (job
// summary / PR comment) and a self-contained HTML page. Pure: a result in, text out.
import type { AbDecision } from './ab-stats.ts';

export interface AbPhaseResult {
  name: 'A/A calibration' | 'A/B';
  imageA: string;
  imageB: string;
  decision: AbDecision;
  durationS: number;
  mislabelled: number;
}

export interface AbResult {
  tool: 'npm run ab';
  startedAt: string;
  finishedAt: string;
  baseline: string;
  candidate: string;
  blocks: number;
  blockMs: number;
  rate: number;
  margin: number;
  loadAverage: number[];
  phases: AbPhaseResult[];
  regressed: boolean;
  regressions: string[];
  notes: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)} ms`);
const ratio = (v: number | null) => (v === null ? '–' : `${v >= 1 ? '+' : ''}${((v - 1) * 100).toFixed(1)}%`);

function rows(r: AbResult): string[][] {
  return r.phases.map((p) => {
    const d = p.decision;
    return [p.name, `${d.pairs}`, `${d.requests.A} / ${d.requests.B}`, ms(d.a.p95), ms(d.b.p95), ratio(d.ratio), d.ci ? `${ratio(d.ci[0])}..${ratio(d.ci[1])}` : '–', d.pValue === null ? '–' : d.pValue.toPrecision(2), d.outcome];
  });
}
const HEAD = ['phase', 'block pairs', 'requests A / B', 'p95 A', 'p95 B', 'p95 change', '95% CI', 'p', 'outcome'];

export function renderAbJson(r: AbResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export function renderAbMarkdown(r: AbResult): string {
  const out = [
    `## A/B comparison: ${r.regressed ? '**REGRESSION**' : 'no regression'}`,
    '',
    `baseline \`${r.baseline}\` (A) vs candidate \`${r.candidate}\` (B), ${r.blocks} blocks of ${r.blockMs / 1000} s (A B B A …) at ${r.rate} req/s, margin ${(r.margin * 100).toFixed(1)}%, load average ${r.loadAverage.map((x) => x.toFixed(2)).join(' ')}`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => ' --- ').join('|')}|`,
    ...rows(r).map((x) => `| ${x.join(' | ')} |`),
    '',
  ];
  for (const g of r.regressions) out.push(`- regression: ${g}`);
  for (const n of r.notes) out.push(`- ${n}`);
  return `${out.join('\n')}\n`;
}

export function renderAbJunit(r: AbResult): string {
  const cases = r.phases.map((p) => {
    const name = esc(`${p.name}: ${p.imageB} vs ${p.imageA}`);
    const body = p.decision.regressed ? `<failure message="${esc(p.decision.reason)}" type="regression">${esc(p.decision.reason)}</failure>` : p.decision.outcome === 'insufficient data' ? `<skipped message="${esc(p.decision.reason)}"/>` : `<system-out>${esc(p.decision.reason)}</system-out>`;
    return `    <testcase classname="ab" name="${name}" time="${p.durationS.toFixed(1)}">${body}</testcase>`;
  });
  const failures = r.phases.filter((p) => p.decision.regressed).length;
  const skipped = r.phases.filter((p) => p.decision.outcome === 'insufficient data').length;
  const time = r.phases.reduce((s, p) => s + p.durationS, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="npm run ab" tests="${r.phases.length}" failures="${failures}" time="${time.toFixed(1)}">\n  <testsuite name="ab" tests="${r.phases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(1)}" timestamp="${r.startedAt.replace(/Z$/, '')}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export function renderAbHtml(r: AbResult): string {
  const table = `<table><thead><tr>${HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows(r)
    .map((x) => `<tr class="${esc(x[8].replace(/ /g, '-'))}">${x.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const list = (xs: string[]) => (xs.length ? `<ul>${xs.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A/B ${r.regressed ? 'REGRESSION' : 'no regression'}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}.regression td{background:#fde2e2}.verdict{font-size:1.4em;font-weight:600;color:${r.regressed ? '#b00' : '#070'}}code{background:#f4f4f4;padding:0 3px}</style></head>
<body><h1>A/B comparison</h1><p class="verdict">${r.regressed ? 'REGRESSION' : 'no regression'}</p>
<p>baseline <code>${esc(r.baseline)}</code> (A) vs candidate <code>${esc(r.candidate)}</code> (B); ${r.blocks} blocks of ${r.blockMs / 1000} s (A B B A …) at ${r.rate} req/s; margin ${(r.margin * 100).toFixed(1)}%; load average ${esc(r.loadAverage.map((x) => x.toFixed(2)).join(' '))}; ${esc(r.startedAt)} – ${esc(r.finishedAt)}</p>
${table}${list(r.regressions.map((x) => `regression: ${x}`))}${list(r.notes)}
</body></html>
`;
}

export const AB_FILES = { json: 'ab.json', junit: 'ab.junit.xml', markdown: 'ab.md', html: 'ab.html' } as const;
