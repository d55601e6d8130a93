// One self-contained HTML report per run: verdict first, then the figures and charts. Pure: the
// caller (reports/render.ts) reads ECharts, the client script and the CSS from disk and passes them
// in, so the file works offline and this function is a plain RunResult -> string.
import { lagMethodNote } from './lag-note.ts';
import type { PhaseAvailability, RunResult } from '../model.ts';
import { buildCharts } from './charts.ts';
import {
  VERDICT_LABEL,
  escapeHtml as h,
  fmtBytes,
  fmtClock,
  fmtDuration,
  fmtMs,
  fmtNum,
  fmtPct,
  fmtThresholdActual,
  isInterrupted,
  runTitle,
  visibleThresholds,
} from './format.ts';

export interface HtmlAssets {
  echarts: string; // node_modules/echarts/dist/echarts.min.js
  clientJs: string; // reports/templates/report.client.js
  css: string; // reports/templates/report.css
}

type Cell = string | { html: string; num?: boolean; cls?: string };

function cell(c: Cell, tag: 'td' | 'th'): string {
  if (typeof c === 'string') return `<${tag}>${h(c)}</${tag}>`;
  const cls = [c.num ? 'num' : '', c.cls ?? ''].filter(Boolean).join(' ');
  return `<${tag}${cls ? ` class="${cls}"` : ''}>${c.html}</${tag}>`;
}
const num = (s: string): Cell => ({ html: h(s), num: true });
const okCell = (ok: boolean): Cell => ({ html: ok ? '<span class="ok">✔ pass</span>' : '<span class="bad">✘ FAIL</span>' });

function table(headers: Cell[], rows: { cells: Cell[]; bad?: boolean }[], id?: string): string {
  if (!rows.length) return '<p class="sub">none</p>';
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${headers.map((c) => cell(c, 'th')).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr${r.bad ? ' class="bad"' : ''}>${r.cells.map((c) => cell(c, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** JSON that can sit inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** An experiment passes when it completed, did not deviate, every rollback worked and every one of its tolerances held. */
function experimentPassed(e: NonNullable<RunResult['chaos']>['experiments'][number], verdicts: NonNullable<RunResult['chaos']>['verdicts']): boolean {
  return e.status === 'completed' && !e.deviated && e.rollbacks.every((x) => x.ok) && verdicts.filter((v) => v.experiment === e.experiment).every((v) => v.ok);
}

function card(k: string, v: string): string {
  return `<div class="card"><div class="k">${h(k)}</div><div class="v">${h(v)}</div></div>`;
}

function availabilityRows(rows: PhaseAvailability[]): { cells: Cell[]; bad?: boolean }[] {
  return rows.map((p) => ({
    bad: p.availability !== null && p.availability < 1,
    cells: [
      p.experiment === '*' ? '' : p.experiment,
      p.phase,
      p.endpoint === '*' ? 'all' : p.endpoint,
      p.conn === '*' ? 'all' : p.conn,
      num(`${fmtClock(p.start)}–${fmtClock(p.end)}`),
      num(fmtNum(p.requests)),
      num(fmtPct(p.availability, 2)),
      num(p.longestOutageMs ? fmtMs(p.longestOutageMs) : '0'),
      Object.entries(p.failures)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    ],
  }));
}

export function renderHtml(r: RunResult, assets: HtmlAssets): string {
  const charts = buildCharts(r);
  const chartById = new Map(charts.map((c) => [c.id, c]));
  const chart = (id: string) => {
    const c = chartById.get(id);
    return c ? `<div class="chart-title">${h(c.title)}</div><div class="chart" id="chart-${c.id}" data-chart="${c.id}" style="height:${c.height}px"></div>` : '';
  };
  const parts: string[] = [];
  const k6 = r.k6;
  const chaos = r.chaos;
  const thresholds = visibleThresholds(r);

  // ---- verdict first
  if (isInterrupted(r))
    parts.push(
      `<div class="interrupted" id="incomplete-banner">INCOMPLETE / interrupted run<small>This run did not finish (${h(r.run.complete ? `status ${r.run.status}` : 'INCOMPLETE marker present or run.json says "running"')}). Everything below covers only what was recorded before it stopped; it is not a verdict on the system.</small></div>`,
    );
  parts.push('<main>');
  parts.push(`<h1>swarm-gameday · ${h(runTitle(r))}</h1><p class="sub"><code>${h(r.run.id)}</code> · started ${h(r.run.startedAt || '–')} · ${h(fmtDuration(r.run.durationMs))}</p>`);
  const v = r.verdict;
  parts.push(
    `<section class="verdict ${v.status}" id="verdict"><div class="label">${VERDICT_LABEL[v.status]}</div>${
      v.reasons.length ? `<ul>${v.reasons.map((x) => `<li>${h(x)}</li>`).join('')}</ul>` : v.status === 'pass' ? '<div>every threshold and tolerance held</div>' : ''
    }</section>`,
  );
  if (r.warnings.length) parts.push(`<div class="warnings"><b>Read with care:</b><ul>${r.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul></div>`);

  // ---- headline figures
  const cards: string[] = [];
  if (k6) {
    cards.push(card('requests', fmtNum(k6.totals.requests)));
    cards.push(card('throughput', k6.totals.rps !== null ? `${fmtNum(k6.totals.rps)} req/s` : '–'));
    cards.push(card('error rate', fmtPct(k6.totals.failedRate)));
    cards.push(card('p95 latency', fmtMs(k6.latency.p95)));
    cards.push(card('p99 latency', fmtMs(k6.latency.p99)));
    if (thresholds.length) cards.push(card('thresholds', `${thresholds.filter((t) => t.ok).length}/${thresholds.length} pass`));
    if (k6.totals.droppedIterations !== null) cards.push(card('dropped iterations', fmtNum(k6.totals.droppedIterations)));
  }
  if (chaos) {
    if (chaos.verdicts.length) cards.push(card('tolerances', `${chaos.verdicts.filter((x) => x.ok).length}/${chaos.verdicts.length} pass`));
    const whole = chaos.probe?.overall[0];
    if (whole) cards.push(card('probe availability', fmtPct(whole.availability, 3)));
    if (whole) cards.push(card('longest outage', fmtMs(whole.longestOutageMs)));
    if (chaos.writes) cards.push(card('lost writes', `${chaos.writes.lost.length} of ${fmtNum(chaos.writes.acknowledged)}`));
  }
  if (cards.length) parts.push(`<div class="cards">${cards.join('')}</div>`);

  // ---- load
  if (k6) {
    parts.push('<h2 id="thresholds">Thresholds</h2>');
    if (!r.files.includes('k6-summary.json')) parts.push('<p class="sub">k6 wrote no summary (it did not finish), so no threshold was evaluated.</p>');
    parts.push(
      table(
        ['metric', 'threshold', num('actual'), 'result'],
        thresholds.map((t) => ({ bad: !t.ok, cells: [{ html: `<code>${h(t.metric)}</code>` }, { html: `<code>${h(t.expression)}</code>` }, num(fmtThresholdActual(t)), okCell(t.ok)] })),
        'thresholds-table',
      ),
    );
    parts.push('<h2 id="endpoints">Per endpoint</h2>');
    parts.push(
      table(
        ['endpoint', num('requests'), num('req/s'), num('errors'), num('error rate'), num('p50'), num('p90'), num('p95'), num('p99'), num('max')],
        k6.endpoints.map((e) => ({
          bad: e.errorRate > 0.01,
          cells: [
            { html: `<code>${h(e.endpoint)}</code>` },
            num(fmtNum(e.requests)),
            num(fmtNum(e.rps, 2)),
            num(fmtNum(e.failed)),
            num(fmtPct(e.errorRate)),
            num(fmtMs(e.latency.p50)),
            num(fmtMs(e.latency.p90)),
            num(fmtMs(e.latency.p95)),
            num(fmtMs(e.latency.p99)),
            num(fmtMs(e.latency.max)),
          ],
        })),
        'endpoints-table',
      ),
    );
    if (k6.endpoints[0]?.source === 'summary') parts.push('<p class="sub">From k6 summary submetrics (no time series in this run folder).</p>');
  }
  if (r.timeseries) {
    parts.push('<h2 id="timeline">Over time</h2>');
    parts.push(chart('latency') + chart('throughput') + chart('errors') + chart('custom'));
    const byFault = r.timeseries.byFault;
    if (byFault.length > 1) {
      parts.push('<h3>k6 requests by active fault</h3>');
      parts.push(
        table(
          ['fault', num('requests'), num('failed'), num('error rate'), num('p50'), num('p95'), num('p99')],
          byFault.map((f) => ({
            bad: f.fault !== 'none' && f.failed > 0,
            cells: [f.fault, num(fmtNum(f.requests)), num(fmtNum(f.failed)), num(fmtPct(f.requests ? f.failed / f.requests : null)), num(fmtMs(f.p50)), num(fmtMs(f.p95)), num(fmtMs(f.p99))],
          })),
          'by-fault-table',
        ),
      );
    }
  }

  // ---- chaos
  if (chaos) {
    parts.push('<h2 id="chaos">Chaos</h2>');
    if (chaos.experiments.length) {
      parts.push(
        table(
          ['experiment', 'result', 'status', 'steady state before', 'steady state after', 'deviated', 'back at desired replicas', 'steady again after', 'rollbacks'],
          chaos.experiments.map((e) => ({
            bad: !experimentPassed(e, chaos.verdicts),
            cells: [
              e.experiment,
              okCell(experimentPassed(e, chaos.verdicts)),
              e.status + (e.error ? `: ${e.error}` : ''),
              e.steadyStateBefore ? (e.steadyStateBefore.ok ? 'held' : `violated: ${e.steadyStateBefore.details.join('; ')}`) : '–',
              e.steadyStateAfter ? (e.steadyStateAfter.ok ? 'held' : `violated: ${e.steadyStateAfter.details.join('; ')}`) : '–',
              e.deviated ? 'yes' : 'no',
              e.recovery.map((x) => `${x.service}: ${x.backAtDesiredMs === null ? 'not back' : fmtMs(x.backAtDesiredMs)}`).join(', ') || '–',
              e.steadyStateRecoveredMs === null ? '–' : fmtMs(e.steadyStateRecoveredMs),
              e.rollbacks.map((x) => `${x.fault}: ${x.ok ? 'ok' : `FAILED ${x.error ?? ''}`}`).join(', ') || '–',
            ],
          })),
          'experiments-table',
        ),
      );
    }
    if (chaos.faults.length) {
      parts.push('<h3>Faults (shaded on every chart)</h3>');
      parts.push(
        table(
          ['experiment', 'fault', 'target', 'what', num('from'), num('to'), num('duration')],
          chaos.faults.map((f) => ({
            cells: [f.experiment, { html: `<code>${h(f.name)}</code>` }, f.target ?? '–', f.description ?? '', num(fmtClock(f.start)), num(fmtClock(f.end)), num(f.end ? fmtDuration(f.end - f.start) : 'not undone')],
          })),
          'faults-table',
        ),
      );
    }
    if (chaos.verdicts.length) {
      parts.push('<h3 id="verdicts">Tolerances</h3>');
      parts.push(
        table(
          ['experiment', 'tolerance', 'expected', 'actual', 'result'],
          chaos.verdicts.map((x) => ({ bad: !x.ok, cells: [x.experiment, x.tolerance, x.expected, x.actual, okCell(x.ok)] })),
          'verdicts-table',
        ),
      );
    }
    if (chaos.probe) {
      parts.push('<h3 id="availability">Availability and longest outage per phase</h3>');
      if (chaos.probe.resolutionMs)
        parts.push(
          `<p id="probe-resolution">The probe sent ${h(String(chaos.probe.ratePerSec))} requests/s per endpoint and connection kind: outages are resolved to ${h(fmtMs(chaos.probe.resolutionMs))} (1 / rate; raise it with <code>--rate</code>).</p>`,
        );
      parts.push(chart('probe'));
      const head = ['experiment', 'phase', 'endpoint', 'conn', num('window (UTC)'), num('probes'), num('availability'), num('longest outage'), 'failures by kind'];
      parts.push(table(head, availabilityRows(chaos.probe.perPhase), 'availability-table'));
      parts.push('<details><summary>whole run, per endpoint and connection kind</summary>');
      parts.push(table(head, availabilityRows(chaos.probe.overall)));
      parts.push('</details>');
    }
    if (chaos.lag || chaos.rwLag) {
      parts.push('<h3 id="lag">Replication lag</h3>');
      parts.push(chart('lag'));
      const rw = chaos.rwLag;
      if (rw)
        parts.push(
          `<p id="rw-lag" class="${rw.notVisible ? 'bad' : ''}">Read-your-writes through the API: ${fmtNum(rw.count)} acknowledged creates, visible in a list read after p50 ${h(fmtMs(rw.p50))}, p95 ${h(fmtMs(rw.p95))}, max ${h(fmtMs(rw.max))}; not visible in time: ${fmtNum(rw.notVisible)}.</p>`,
        );
    }
    if (chaos.lag) {
      const note = lagMethodNote(chaos.lag.replicas);
      if (note) parts.push(`<p id="lag-method">Replication lag${h(note)}.</p>`);
      parts.push(
        table(
          ['replica', num('max heartbeat lag (whole run)'), num('p95 heartbeat lag (whole run)'), num('replication stopped for')],
          chaos.lag.replicas.map((x) => ({ bad: x.notReplicatingMs > 0, cells: [x.replica, num(fmtMs(x.maxLagMs)), num(fmtMs(x.p95LagMs)), num(x.notReplicatingMs ? fmtDuration(x.notReplicatingMs) : '0')] })),
          'lag-table',
        ),
      );
    }
    if (chaos.writes) {
      const w = chaos.writes;
      parts.push('<h3 id="writes">Lost writes</h3>');
      parts.push(
        `<p id="writes-result" class="${w.ok ? 'ok' : 'bad'}">${w.ok ? '✔' : '✘'} ${fmtNum(w.acknowledged)} acknowledged of ${fmtNum(w.attempted)} attempted creates; lost: ${w.lost.length}, unexpected: ${w.unexpected.length} (checked ${h(w.checkedAt)})</p>`,
      );
      if (w.duplicated.length) parts.push(`<p class="sub">Stored more than once (a re-sent create that ran twice; a verdict of its own): ${w.duplicated.length} token(s): ${h(w.duplicated.slice(0, 10).join(', '))}</p>`);
      if (w.caughtUp === false) parts.push('<p class="bad">A replica still lacked ids of the primary when the wait ran out: the per-replica figures may count lag as loss.</p>');
      parts.push(
        table(
          ['server', num('present'), num('lost'), num('unexpected'), 'lost ids (first 20)'],
          w.perServer.map((s) => ({ bad: s.lost.length > 0 || s.unexpected.length > 0, cells: [s.server, num(fmtNum(s.present)), num(fmtNum(s.lost.length)), num(fmtNum(s.unexpected.length)), s.lost.slice(0, 20).join(', ')] })),
        ),
      );
    }
    if (chaos.haproxy) {
      parts.push("<h3 id=\"haproxy\">HAProxy's counters (first to last snapshot) next to the client's view</h3>");
      const clientFailed = k6 ? k6.endpoints.reduce((a, e) => a + e.failed, 0) : null;
      parts.push(
        table(
          ['backend', num('requests'), num('retries'), num('redispatches'), num('5xx')],
          chaos.haproxy.deltas.map((d) => ({ cells: [d.backend, num(fmtNum(d.requests)), num(fmtNum(d.retries)), num(fmtNum(d.redispatches)), num(fmtNum(d.http5xx))] })),
          'haproxy-table',
        ),
      );
      if (clientFailed !== null)
        parts.push(`<p class="sub">Client view (k6): ${fmtNum(k6!.totals.requests)} requests, ${fmtNum(clientFailed)} failed. Retries and redispatches hide failures from clients; they are shown so they cannot hide them from you.</p>`);
    }
    if (chaos.placement) {
      parts.push('<h3 id="placement">Where tasks ran</h3>');
      parts.push(chart('placement'));
    }
  }

  const live = r.liveMetrics;
  if (live) {
    parts.push('<h2 id="live-metrics">Live metrics (Prometheus)</h2>');
    const targets = live.targets.map((t) => `${t.job} (${t.url}): ${fmtPct(t.upShare)} of scrapes ok`).join('; ');
    parts.push(
      `<p class="sub" id="live-metrics-source">Prometheus ${h(live.version)} scraped every ${h(String(live.scrapeIntervalS))} s while the run went on: ${h(targets || 'no targets recorded')}. Fault windows are the shaded bands. Its data is kept in <code>${h(live.dataDir)}/data</code> of the run folder (what it scraped: <code>${h(live.dataDir)}/scrape-config.yml</code>); for more PromQL, open it with no scraping: <code>prometheus --storage.tsdb.path=${h(live.dataDir)}/data --config.file=/dev/null --web.listen-address=127.0.0.1:9090</code>.</p>`,
    );
    for (const e of live.errors) parts.push(`<p class="bad">${h(e)}</p>`);
    for (const c of live.charts) parts.push(c.series.length ? chart(c.id) : `<p class="sub">${h(c.title)}: no data.</p>`);
    parts.push(`<details><summary>the PromQL of each chart</summary>${table(['chart', 'query'], live.charts.map((c) => ({ cells: [c.id, c.expr] })))}</details>`);
  }

  if (k6 && k6.checks.length) {
    parts.push('<h2 id="checks">Checks</h2>');
    parts.push(
      table(
        ['check', num('passes'), num('fails'), num('pass rate')],
        k6.checks.map((c) => ({ bad: c.fails > 0, cells: [c.name, num(fmtNum(c.passes)), num(fmtNum(c.fails)), num(fmtPct(c.passes + c.fails ? c.passes / (c.passes + c.fails) : null))] })),
      ),
    );
  }

  parts.push('<h2 id="run">Run</h2>');
  const rows: [string, string][] = [
    ['id', r.run.id],
    ['kind', r.run.kind],
    ['status', `${r.run.status}${r.run.complete ? '' : ' (incomplete)'}`],
    ['started', r.run.startedAt || '–'],
    ['finished', r.run.finishedAt ?? '–'],
    ['target', r.run.target ? `${r.run.target.ingressUrl}${r.run.target.embedded ? ' (embedded local swarm)' : ''}` : '–'],
    ['git', r.run.git ? `${r.run.git.revision}${r.run.git.dirty ? ' (dirty)' : ''}` : '–'],
    ['profile / scenario', `${r.run.profile ?? '–'} / ${r.run.scenario ?? '–'}`],
    ['experiment / plan', `${r.run.experiment ?? '–'} / ${r.run.plan ?? '–'}`],
    ['load engine', r.run.engine ?? '–'],
    ['exit code', r.run.exitCode === null ? '–' : String(r.run.exitCode)],
    ['data', k6 ? `received ${fmtBytes(k6.totals.dataReceived)}, sent ${fmtBytes(k6.totals.dataSent)}` : '–'],
    ['files', r.files.join(', ')],
  ];
  parts.push(table(['', ''], rows.map(([a, b]) => ({ cells: [a, b] }))));
  if (r.run.config !== null && r.run.config !== undefined)
    parts.push(`<details><summary>resolved configuration</summary><pre>${h(JSON.stringify(r.run.config, null, 2))}</pre></details>`);
  parts.push(`<footer>generated ${h(r.generatedAt)} by swarm-gameday reports (result schema v${r.schemaVersion}); charts by Apache ECharts, inlined.</footer>`);
  parts.push('</main>');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(`${VERDICT_LABEL[v.status]} · ${runTitle(r)} · ${r.run.id}`)}</title>
<style>${assets.css}</style>
</head>
<body data-verdict="${v.status}">
${parts.join('\n')}
<script type="application/json" id="gameday-charts">${scriptJson(charts.map((c) => ({ id: c.id, timeAxis: c.timeAxis, option: c.option })))}</script>
<script>${assets.echarts.replace(/<\/script/gi, '<\\/script')}</script>
<script>${assets.clientJs}</script>
</body>
</html>
`;
}
