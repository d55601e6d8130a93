// Live metrics (issue 13): the scrape config, which jobs a session can have, the conversion of
// Prometheus' answers, the export against a fake Prometheus over real HTTP, and the report's charts
// with the fault bands. The real Prometheus is in tests/integration/41-live-metrics.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { JOBS, checkLiveMetrics, describeLiveMetrics, liveMetricsJobs, scrapeConfig } from '../../chaos/live-metrics/scrape-config.ts';
import { LIVE_QUERIES, MAX_POINTS, chartFromMatrix, queryStepS, type LiveMetricsFile } from '../../chaos/live-metrics/queries.ts';
import { exportCharts } from '../../chaos/live-metrics/prometheus.ts';
import { loadRun } from '../../reports/load-run.ts';
import { buildCharts } from '../../reports/render/charts.ts';
import { renderHtml } from '../../reports/render/html.ts';
import { renderMarkdown } from '../../reports/render/markdown.ts';
import { loadHtmlAssets } from '../../reports/render.ts';
import { fixtureRuns, tmpDir } from './report-helpers.ts';

test('scrape config: both jobs, HAProxy through its stats URL with basic auth from a file and the frontend/backend scopes', () => {
  const y = parse(scrapeConfig({ engine: '127.0.0.1:40001', haproxy: { statsUrl: 'https://lb.staging:8443/haproxy/', user: 'ops', passwordFile: '/tmp/p' } }));
  assert.equal(y.global.scrape_interval, '1s');
  // Prometheus durations take whole units only: "0.8s" is refused at start
  assert.match(y.global.scrape_timeout, /^\d+(ms|s)$/);
  assert.ok(parseInt(y.global.scrape_timeout, 10) < 1000);
  const [engine, haproxy] = y.scrape_configs;
  assert.deepEqual(engine, { job_name: JOBS.engine, static_configs: [{ targets: ['127.0.0.1:40001'] }] });
  assert.equal(haproxy.job_name, JOBS.haproxy);
  assert.equal(haproxy.scheme, 'https');
  assert.equal(haproxy.metrics_path, '/haproxy/metrics');
  assert.deepEqual(haproxy.params, { scope: ['frontend', 'backend'] });
  assert.deepEqual(haproxy.basic_auth, { username: 'ops', password_file: '/tmp/p' });
  assert.deepEqual(haproxy.static_configs, [{ targets: ['lb.staging:8443'] }]);
  assert.doesNotMatch(scrapeConfig({ haproxy: { statsUrl: 'http://127.0.0.1:18936', user: 'u', passwordFile: '/x' } }), /40001|gameday-engine/);
  assert.throws(() => scrapeConfig({}), /nothing to scrape/);
});

test('jobs: the engine only when the load runs on this machine; --prometheus with nothing to scrape is exit 2 naming the flag', () => {
  assert.deepEqual(liveMetricsJobs({ load: { enabled: true }, statsUrl: 'http://s' }), { engine: true, haproxy: true, notes: [] });
  const dist = liveMetricsJobs({ load: { enabled: true, distributed: 3 }, statsUrl: 'http://s' });
  assert.equal(dist.engine, false);
  assert.match(dist.notes.join(), /distributed/);
  assert.match(describeLiveMetrics({ load: { enabled: false }, statsUrl: 'http://s:1' }), /HAProxy's \/metrics at http:\/\/s:1.*--no-load/);
  checkLiveMetrics({ load: { enabled: false }, statsUrl: 'http://s' });
  assert.throws(
    () => checkLiveMetrics({ load: { enabled: false } }),
    (err: unknown) => err instanceof ConfigError && err.exitCode === 2 && /^--prometheus: expected something to scrape/.test(err.message) && /--no-load/.test(err.message) && /--stats-url/.test(err.message),
  );
});

test('query step: the scrape interval, widened only past the point limit', () => {
  assert.equal(queryStepS(0, 3600_000, 1), 1);
  assert.equal(queryStepS(0, MAX_POINTS * 1000, 1), 1);
  assert.equal(queryStepS(0, MAX_POINTS * 1000 + 1000, 1), 2);
  assert.equal(queryStepS(0, 6 * 3600_000, 1), 3);
  assert.equal(queryStepS(10, 5, 1), 1);
});

test('matrix to chart: ms timestamps, NaN as a gap, series named by the label and sorted', () => {
  const q = LIVE_QUERIES.find((x) => x.id === 'prom-ingress-rps')!;
  const c = chartFromMatrix(q, {
    resultType: 'matrix',
    result: [
      { metric: { proxy: 'web' }, values: [[1700000000, '2.5'], [1700000001, 'NaN']] },
      { metric: { proxy: 'api' }, values: [[1700000000.5, '1.23456']] },
    ],
  });
  assert.deepEqual(c.series, [
    { name: 'api', points: [[1700000000500, 1.235]] },
    { name: 'web', points: [[1700000000000, 2.5], [1700000001000, null]] },
  ]);
  assert.equal(c.expr, q.expr);
  assert.throws(() => chartFromMatrix(q, { resultType: 'vector', result: [] }), /prom-ingress-rps: expected a matrix/);
});

test('every query selects its own job and keeps HAProxy\'s stats listener out', () => {
  for (const q of LIVE_QUERIES) {
    assert.ok(q.expr.includes(`job="${q.job}"`), q.id);
    if (q.job === JOBS.haproxy) assert.ok(q.expr.includes('proxy!="stats"'), q.id);
    assert.ok(q.seriesLabel || q.name, `${q.id} names its series`);
  }
});

/** A fake Prometheus HTTP API: query_range answers per query, /api/v1/targets and the up query. */
function fakePrometheus(answer: (expr: string) => { status: number; body: unknown }): Promise<{ url: string; seen: URLSearchParams[]; close(): void }> {
  const seen: URLSearchParams[] = [];
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push(u.searchParams);
    let out: { status: number; body: unknown };
    if (u.pathname === '/api/v1/targets')
      out = { status: 200, body: { status: 'success', data: { activeTargets: [
        { labels: { job: JOBS.haproxy }, scrapeUrl: 'http://127.0.0.1:18936/metrics?scope=frontend&scope=backend', health: 'up', lastError: '' },
        { labels: { job: JOBS.engine }, scrapeUrl: 'http://127.0.0.1:4000/metrics', health: 'down', lastError: 'connection refused' },
      ] } } };
    else if (u.pathname === '/api/v1/query') out = { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: JOBS.haproxy }, value: [0, '1'] }, { metric: { job: JOBS.engine }, value: [0, '0.9512'] }] } } };
    else out = answer(u.searchParams.get('query') ?? '');
    res.writeHead(out.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out.body));
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, seen, close: () => srv.close() })));
}

test('export: one query_range per query of a configured job over the window; a failed query is an error, not a throw', async () => {
  const fake = await fakePrometheus((expr) =>
    expr.includes('active_servers')
      ? { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } }
      : { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: { proxy: 'api', what: 'x' }, values: [[1000, '1']] }] } } },
  );
  try {
    const f = await exportCharts(fake.url, { start: 1_000_000, end: 1_060_000, version: 'v', jobs: [JOBS.haproxy], dataDir: 'prometheus' });
    const haproxyQueries = LIVE_QUERIES.filter((q) => q.job === JOBS.haproxy);
    assert.deepEqual(f.charts.map((c) => c.id), haproxyQueries.filter((q) => !q.expr.includes('active_servers')).map((q) => q.id));
    assert.equal(f.errors.length, 1);
    assert.match(f.errors[0]!, /^prom-backend-servers: .*HTTP 400: parse error/);
    const ranges = fake.seen.filter((p) => p.has('step'));
    assert.equal(ranges.length, haproxyQueries.length);
    for (const p of ranges) assert.deepEqual([p.get('start'), p.get('end'), p.get('step')], ['1000', '1060', '1s']);
    // scrape URL without its query string; the share of good scrapes per job
    assert.deepEqual(f.targets.map((t) => [t.job, t.url, t.upShare]), [[JOBS.haproxy, 'http://127.0.0.1:18936/metrics', 1], [JOBS.engine, 'http://127.0.0.1:4000/metrics', 0.951]]);
  } finally {
    fake.close();
  }
});

test('report: prometheus.json becomes charts under the fault bands and a section naming the TSDB; a bad file is a warning', async () => {
  const dir = tmpDir();
  fs.cpSync(path.join(fixtureRuns, 'gameday-two'), dir, { recursive: true });
  const base = await loadRun(dir);
  const faults = base.chaos!.faults;
  assert.ok(faults.length, 'the fixture has faults');
  const t0 = Math.min(...faults.map((f) => f.start)) - 5000;
  const file: LiveMetricsFile = {
    source: 'prometheus',
    version: '2.42.0',
    scrapeIntervalS: 1,
    start: t0,
    end: t0 + 60_000,
    stepS: 1,
    targets: [{ job: JOBS.haproxy, url: 'http://127.0.0.1:18936/metrics', upShare: 0.98, health: 'up', lastError: '' }],
    charts: [
      { id: 'prom-ingress-rps', title: 'HAProxy rps', unit: 'req/s', expr: 'sum(rate(x[5s]))', series: [{ name: 'api', points: [[t0, 1], [t0 + 1000, null]] }] },
      { id: 'prom-backend-servers', title: 'servers', unit: 'servers', expr: 'y', series: [] },
    ],
    errors: ['prom-backend-time: HTTP 400'],
    dataDir: 'prometheus',
  };
  fs.writeFileSync(path.join(dir, 'prometheus.json'), JSON.stringify(file));
  const r = await loadRun(dir);
  assert.equal(r.liveMetrics?.charts.length, 2);
  assert.ok(r.files.includes('prometheus.json'));
  const chart = buildCharts(r).find((c) => c.id === 'prom-ingress-rps');
  assert.ok(chart, 'a chart per query with data');
  const series = (chart.option as { series: { data: unknown[]; markArea?: { data: unknown[] } }[] }).series;
  assert.deepEqual(series[0]!.data, [[t0, 1], [t0 + 1000, null]]);
  assert.equal(series[0]!.markArea?.data.length, faults.length, 'the fault bands');
  assert.ok(!buildCharts(r).some((c) => c.id === 'prom-backend-servers'), 'no chart for a query without data');
  const html = renderHtml(r, loadHtmlAssets());
  // (includes, not match: a failed match would print the whole page)
  for (const want of [
    '<h2 id="live-metrics">Live metrics (Prometheus)</h2>',
    'id="chart-prom-ingress-rps"',
    'haproxy (http://127.0.0.1:18936/metrics): 98.00% of scrapes ok',
    '--storage.tsdb.path=prometheus/data --config.file=/dev/null',
    'servers: no data',
    'prom-backend-time: HTTP 400',
  ])
    assert.ok(html.includes(want), `the report has ${want}`);

  const md = renderMarkdown(r);
  assert.ok(md.includes('**Live metrics (Prometheus 2.42.0):** 1 of 2 charts with data (in the HTML report); scrapes ok: haproxy 98%; TSDB in `prometheus/data`; 1 queries failed'), md);

  fs.writeFileSync(path.join(dir, 'prometheus.json'), JSON.stringify({ ...file, charts: 'no' }));
  const bad = await loadRun(dir);
  assert.equal(bad.liveMetrics, null);
  assert.ok(bad.warnings.some((w) => /^prometheus\.json: charts: .*live metrics left out$/.test(w)), bad.warnings.join('\n'));
  fs.rmSync(dir, { recursive: true, force: true });
});
