// The HTML renderer and its chart options on the recorded fixtures (the browser half is in
// tests/integration/50-report.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadHtmlAssets } from '../../reports/render.ts';
import { UNASSIGNED, analyzePlacement } from '../../reports/chaos-analysis.ts';
import { buildCharts, placementLanes } from '../../reports/render/charts.ts';
import { fmtMs } from '../../reports/render/format.ts';
import { renderHtml } from '../../reports/render/html.ts';
import { fixture } from './report-helpers.ts';

const assets = loadHtmlAssets();

function embeddedCharts(html: string): { id: string; option: { series: { data: unknown[]; markArea?: { data: unknown[] } }[] } }[] {
  const m = /<script type="application\/json" id="gameday-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'chart data embedded');
  return JSON.parse(m[1]);
}

test('self-contained: ECharts inlined, nothing fetched from anywhere', async () => {
  const html = renderHtml(await fixture('gameday-two'), assets);
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes(assets.echarts.slice(0, 200)), 'the ECharts bundle is inlined');
  assert.ok(html.length > assets.echarts.length);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href=/i);
  assert.doesNotMatch(html, /@import|url\(\s*['"]?https?:/i);
});

test('verdict first, with the reasons; banner only on an unfinished run', async () => {
  const fail = renderHtml(await fixture('gameday-two'), assets);
  const pass = renderHtml(await fixture('load-mixed'), assets);
  const inc = renderHtml(await fixture('load-incomplete'), assets);
  const verdictAt = fail.indexOf('id="verdict"');
  assert.ok(verdictAt > 0 && verdictAt < fail.indexOf('id="thresholds"'), 'verdict comes before the figures');
  assert.match(fail, /<section class="verdict fail" id="verdict"><div class="label">FAIL<\/div>/);
  assert.match(fail, /replica-replication-stopped: replica heartbeat lag p95 &lt;= 5000 ms in the fault phases failed/);
  assert.match(pass, /<section class="verdict pass"/);
  assert.match(inc, /id="incomplete-banner">INCOMPLETE \/ interrupted run/);
  assert.ok(inc.indexOf('incomplete-banner') < inc.indexOf('<main>'), 'the banner is the first thing on the page');
  assert.doesNotMatch(pass, /incomplete-banner/);
  assert.doesNotMatch(fail, /incomplete-banner/);
  assert.match(inc, /<body data-verdict="incomplete">/);
});

test('tables: thresholds (no observers), endpoints, tolerances, availability, lost writes', async () => {
  const r = await fixture('gameday-two');
  const html = renderHtml(r, assets);
  const rows = (id: string) => (new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html)?.[1].match(/<tr/g)?.length ?? 0) - 1;
  assert.equal(rows('thresholds-table'), r.k6!.thresholds.filter((t) => !t.observer).length);
  assert.doesNotMatch(/<table id="thresholds-table">[\s\S]*?<\/table>/.exec(html)![0], /max&gt;=0/);
  assert.equal(rows('endpoints-table'), 5);
  assert.equal(rows('verdicts-table'), 5);
  assert.equal(rows('availability-table'), r.chaos!.probe!.perPhase.length);
  assert.equal(rows('faults-table'), 2);
  // issue 14: the experiments table has a pass/fail column; the lag table says what its figures are
  const experimentsTable = /<table id="experiments-table">([\s\S]*?)<\/table>/.exec(html)![1]!;
  assert.match(experimentsTable, /<th>experiment<\/th><th>result<\/th>/);
  const expRows = experimentsTable.split('<tr').slice(2);
  assert.equal(expRows.length, 2);
  assert.match(expRows[0]!, /api-kill-task<\/td><td><span class="bad">✘ FAIL/, 'its availability tolerance failed');
  assert.match(expRows[1]!, /replica-replication-stopped<\/td><td><span class="bad">✘ FAIL/);
  assert.match(html, /max heartbeat lag \(whole run\)<\/th><th class="num">p95 heartbeat lag \(whole run\)/);
  assert.match(html, /id="writes-result" class="ok">✔ 69 acknowledged/);
  const kill = r.chaos!.probe!.perPhase.find((p) => p.phase === 'fault:kill-tasks:todo_app_api' && p.endpoint === '*')!;
  assert.ok(html.includes(`<td class="num">${fmtMs(kill.longestOutageMs)}</td>`), 'the longest outage of the kill phase');
});

test('charts: every time chart has data and the fault bands; chaos charts only with chaos data', async () => {
  const r = await fixture('gameday-two');
  const charts = buildCharts(r);
  assert.deepEqual(
    charts.map((c) => c.id),
    ['latency', 'throughput', 'errors', 'custom', 'probe', 'lag', 'placement'],
  );
  for (const c of charts) {
    const series = c.option.series as { data: unknown[]; markArea?: { data: unknown[] } }[];
    assert.ok(series.length > 0, c.id);
    for (const s of series) assert.ok(s.data.length > 0, `${c.id}: a series without data`);
    assert.ok(c.timeAxis);
    assert.equal(series[0].markArea?.data.length, 2, `${c.id}: both faults shaded`);
  }
  const embedded = embeddedCharts(renderHtml(r, assets));
  assert.deepEqual(
    embedded.map((c) => c.id),
    charts.map((c) => c.id),
  );

  const load = buildCharts(await fixture('load-mixed'));
  assert.deepEqual(
    load.map((c) => c.id),
    ['latency', 'throughput', 'errors', 'custom'],
  );
  assert.ok(load.every((c) => !(c.option.series as { markArea?: unknown }[])[0].markArea), 'no faults, no bands');
});

test('embedded JSON cannot close its script element', async () => {
  const r = structuredClone(await fixture('load-mixed'));
  r.run.id = 'evil</script><script>alert(1)</script>';
  r.timeseries!.endpoints[0].endpoint = '</script>';
  const html = renderHtml(r, assets);
  const json = /<script type="application\/json" id="gameday-charts">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.ok(JSON.parse(json).length > 0);
  assert.doesNotMatch(html, /<script>alert\(1\)/);
});

test('pure: the same result renders to the same bytes', async () => {
  const r = await fixture('gameday-two');
  assert.equal(renderHtml(r, assets), renderHtml(r, assets));
});

test('placement lanes: one per task while it stays on a node, reused after it left', () => {
  const lanes = placementLanes([
    { node: 'w1', task: 'a', start: 0, end: 10 },
    { node: 'w1', task: 'a', start: 10, end: 20 }, // same task, next state: same lane
    { node: 'w1', task: 'b', start: 5, end: 30 }, // overlaps a: second lane
    { node: 'w1', task: 'c', start: 20, end: 40 }, // a has left: reuses its lane
    { node: 'w2', task: 'd', start: 0, end: 40 },
  ]);
  assert.deepEqual(Object.fromEntries([...lanes].map(([k, v]) => [k.replace('\u0000', '/'), v])), {
    'w1/a': { lane: 0, of: 2 },
    'w1/b': { lane: 1, of: 2 },
    'w1/c': { lane: 0, of: 2 },
    'w2/d': { lane: 0, of: 1 },
  });
  const pl = analyzePlacement([
    { t: 1, service: 's', task: 'x', node: '', state: 'pending', desired: 'running' },
    { t: 2, service: 's', task: 'x', node: 'w1', state: 'running', desired: 'running' },
  ]);
  assert.deepEqual(pl.nodes, ['w1', UNASSIGNED], 'a task not yet scheduled gets its own row, last');
  assert.equal(pl.changes, 1);
});
