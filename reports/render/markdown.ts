// Markdown summary for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: verdict
// first, the failures with their figures, then compact tables. Pure.
import { lagMethodNote } from './lag-note.ts';
import type { RunResult } from '../model.ts';
import { VERDICT_LABEL, fmtDuration, fmtMs, fmtNum, fmtPct, fmtThresholdActual, isInterrupted, runTitle, visibleThresholds } from './format.ts';

const ICON: Record<RunResult['verdict']['status'], string> = { pass: '✅', fail: '❌', incomplete: '⚠️', unknown: '❔' };

export function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function mdTable(headers: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  if (!rows.length) return '_none_\n';
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [headers, sep, ...rows].map((r, i) => `| ${(i === 1 ? r : r.map(mdCell)).join(' | ')} |`).join('\n') + '\n';
}

export function renderMarkdown(r: RunResult, opts: { reportPath?: string } = {}): string {
  const out: string[] = [];
  const v = r.verdict;
  out.push(`## ${ICON[v.status]} ${VERDICT_LABEL[v.status]} · ${runTitle(r)}`);
  out.push('');
  if (isInterrupted(r)) {
    out.push('> [!WARNING]');
    out.push('> **INCOMPLETE / interrupted run.** It did not finish; the figures below cover only what was recorded before it stopped.');
    out.push('');
  }
  const facts = [`\`${r.run.id}\``, fmtDuration(r.run.durationMs)];
  if (r.run.target) facts.push(r.run.target.ingressUrl);
  if (r.run.git) facts.push(`git ${r.run.git.revision.slice(0, 10)}${r.run.git.dirty ? '+dirty' : ''}`);
  if (r.run.engine) facts.push(r.run.engine);
  out.push(facts.join(' · '));
  out.push('');
  if (v.reasons.length) {
    out.push('**Why:**');
    for (const reason of v.reasons) out.push(`- ${reason}`);
    out.push('');
  }
  for (const w of r.warnings) out.push(`> ⚠️ ${w}`);
  if (r.warnings.length) out.push('');

  const k6 = r.k6;
  if (k6) {
    out.push(
      `**${fmtNum(k6.totals.requests)} requests** · ${k6.totals.rps !== null ? `${fmtNum(k6.totals.rps)} req/s` : '–'} · error rate ${fmtPct(k6.totals.failedRate)} · p95 ${fmtMs(k6.latency.p95)} · p99 ${fmtMs(k6.latency.p99)}${
        k6.totals.droppedIterations ? ` · ${fmtNum(k6.totals.droppedIterations)} dropped iterations` : ''
      }`,
    );
    out.push('');
    if (k6.endpoints.length) {
      out.push('### Endpoints');
      out.push(
        mdTable(
          ['endpoint', 'requests', 'req/s', 'errors', 'p50', 'p95', 'p99', 'max'],
          k6.endpoints.map((e) => [
            `\`${e.endpoint}\``,
            fmtNum(e.requests),
            fmtNum(e.rps, 2),
            `${fmtNum(e.failed)} (${fmtPct(e.errorRate)})`,
            fmtMs(e.latency.p50),
            fmtMs(e.latency.p95),
            fmtMs(e.latency.p99),
            fmtMs(e.latency.max),
          ]),
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      );
    }
    const thresholds = visibleThresholds(r);
    if (thresholds.length) {
      const failed = thresholds.filter((t) => !t.ok);
      const row = (t: (typeof thresholds)[number]) => [t.ok ? '✅' : '❌', `\`${t.metric}\``, `\`${t.expression}\``, fmtThresholdActual(t)];
      out.push(`### Thresholds: ${thresholds.length - failed.length}/${thresholds.length} pass`);
      if (failed.length) out.push(mdTable(['', 'metric', 'threshold', 'actual'], failed.map(row), ['l', 'l', 'l', 'r']));
      // passing thresholds folded away: a PR comment should show what matters first
      out.push(`<details><summary>${failed.length ? 'all thresholds' : 'show thresholds'}</summary>\n`);
      out.push(mdTable(['', 'metric', 'threshold', 'actual'], thresholds.map(row), ['l', 'l', 'l', 'r']));
      out.push('</details>\n');
    }
  }

  const chaos = r.chaos;
  if (chaos) {
    out.push('### Chaos');
    if (chaos.verdicts.length)
      out.push(mdTable(['result', 'experiment', 'tolerance', 'expected', 'actual'], chaos.verdicts.map((x) => [x.ok ? '✅ pass' : '❌ FAIL', x.experiment, x.tolerance, x.expected, x.actual])));
    const phases = chaos.probe?.perPhase.filter((p) => p.endpoint === '*') ?? [];
    if (phases.length) {
      const res = chaos.probe?.resolutionMs ? `; ${chaos.probe.ratePerSec}/s per endpoint and connection kind, so an outage is resolved to ${fmtMs(chaos.probe.resolutionMs)}: raise it with --rate` : '';
      out.push(`**Availability per phase** (probe, all endpoints${res})`);
      out.push('');
      out.push(
        mdTable(
          ['experiment', 'phase', 'probes', 'availability', 'longest outage'],
          phases.map((p) => [p.experiment, p.phase, fmtNum(p.requests), fmtPct(p.availability), p.longestOutageMs ? fmtMs(p.longestOutageMs) : '0']),
          ['l', 'l', 'r', 'r', 'r'],
        ),
      );
    }
    if (chaos.lag)
      out.push(
        `**Replication lag** (heartbeat, whole run; the tolerances above judge the fault phases only): ${chaos.lag.replicas
          .map((x) => `${x.replica} heartbeat lag max ${fmtMs(x.maxLagMs)}, p95 ${fmtMs(x.p95LagMs)}${x.notReplicatingMs ? `, replication stopped ${fmtDuration(x.notReplicatingMs)}` : ''}`)
          .join('; ')}${lagMethodNote(chaos.lag.replicas)}\n`,
      );
    if (chaos.rwLag)
      out.push(`**Read-your-writes lag (API, whole run):** p50 ${fmtMs(chaos.rwLag.p50)}, p95 ${fmtMs(chaos.rwLag.p95)}, max ${fmtMs(chaos.rwLag.max)}; ${chaos.rwLag.notVisible} of ${fmtNum(chaos.rwLag.count)} not visible in time\n`);
    if (chaos.writes)
      out.push(
        `**Lost writes:** ${chaos.writes.ok ? '✅' : '❌'} ${chaos.writes.lost.length} lost, ${chaos.writes.unexpected.length} unexpected of ${fmtNum(chaos.writes.acknowledged)} acknowledged${
          chaos.writes.duplicated.length ? ` (${chaos.writes.duplicated.length} stored twice)` : ''
        }\n`,
      );
    if (chaos.haproxy && chaos.haproxy.deltas.length)
      out.push(`**HAProxy:** ${chaos.haproxy.deltas.map((d) => `${d.backend}: ${d.retries} retries, ${d.redispatches} redispatches, ${d.http5xx} 5xx`).join('; ')}\n`);
  }
  const live = r.liveMetrics;
  if (live)
    out.push(
      `**Live metrics (Prometheus ${live.version}):** ${live.charts.filter((c) => c.series.length).length} of ${live.charts.length} charts with data (in the HTML report); scrapes ok: ${
        live.targets.map((t) => `${t.job} ${fmtPct(t.upShare, 0)}`).join(', ') || 'no targets'
      }; TSDB in \`${live.dataDir}/data\`${live.errors.length ? `; ${live.errors.length} queries failed` : ''}\n`,
    );
  if (opts.reportPath) out.push(`Full report: \`${opts.reportPath}\``);
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
