// The report as people and CI see it. Needs Debian's chromium, xmllint (libxml2-utils) and the
// load engine — installed by `npm run setup` — not the swarm:
//   - report.html of every fixture (and of the newest real runs in reports/runs/) opened in headless
//     Chromium: no console errors, every chart drawn with data, chaos bands present; screenshots go
//     to test-artifacts/;
//   - junit.xml validates against Jenkins' junit-10.xsd;
//   - what gameday-engine writes for the script k6 v1.8.1 once recorded parses the way k6's did.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { recordK6Reference } from '../../reports/fixtures/k6-reference.ts';
import { loadRun } from '../../reports/load-run.ts';
import { renderRunFolder } from '../../reports/render.ts';
import { findLoadEngine } from '../../load/run/load-engine.ts';
import { defaults } from '../../scripts/lib/defaults.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = path.join(repo, 'test-artifacts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-report-it-'));
const CHROMIUM = process.env.GAMEDAY_CHROMIUM ?? '/usr/bin/chromium';
const XSD = path.join(repo, 'reports', 'fixtures', 'junit-10.xsd');

let browser: Browser;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (npm run setup installs it)`);
  fs.mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Copies a run folder and renders it there (never writes into reports/fixtures or a live run). */
async function rendered(src: string, name: string): Promise<string> {
  const dir = path.join(work, name);
  fs.cpSync(src, dir, { recursive: true });
  await renderRunFolder(dir);
  return dir;
}

interface ChartState {
  id: string;
  series: { name: string; points: number; bands: number }[];
  painted: number;
}

/** Opens report.html and reports what a person would see: errors, charts, their data and pixels. */
async function inspect(dir: string, shot: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(`file://${path.join(dir, 'report.html')}`);
  await page.waitForSelector('body[data-charts-ready]', { timeout: 20_000 });
  const charts: ChartState[] = await page.evaluate(() => {
    const w = window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: { name: string; data: unknown[]; markArea?: { data?: unknown[] } }[] } } } };
    return [...document.querySelectorAll('[data-chart]')].map((el) => {
      const inst = w.echarts.getInstanceByDom(el);
      const canvas = el.querySelector('canvas');
      let painted = 0;
      if (canvas) {
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
      }
      return {
        id: el.getAttribute('data-chart')!,
        series: (inst?.getOption().series ?? []).map((s) => ({ name: s.name, points: s.data?.length ?? 0, bands: s.markArea?.data?.length ?? 0 })),
        painted,
      };
    });
  });
  const banner = await page.locator('#incomplete-banner').count();
  const verdict = await page.locator('#verdict .label').innerText();
  await page.screenshot({ path: path.join(artifacts, shot), fullPage: true });
  await page.close();
  return { errors, requests, charts, banner, verdict };
}

function xmllint(file: string): { ok: boolean; out: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint is missing (apt-get install -y libxml2-utils; npm run setup installs it): ${r.error.message}`);
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

test('game day fixture: no console errors, every chart drawn with data, fault bands on every time chart', async () => {
  const dir = await rendered(path.join(repo, 'reports', 'fixtures', 'runs', 'gameday-two'), 'gameday-two');
  const r = await inspect(dir, 'report-gameday-two.png');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.requests, [], 'the report fetches nothing');
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.banner, 0);
  assert.deepEqual(
    r.charts.map((c) => c.id),
    ['latency', 'throughput', 'errors', 'custom', 'probe', 'lag', 'placement'],
  );
  for (const c of r.charts) {
    assert.ok(c.series.length > 0 && c.series.every((s) => s.points > 0), `${c.id}: ${JSON.stringify(c.series)}`);
    assert.equal(c.series[0].bands, 2, `${c.id}: both faults shaded`);
    assert.ok(c.painted > 5000, `${c.id}: canvas painted (${c.painted} px)`);
  }
  assert.ok(fs.statSync(path.join(artifacts, 'report-gameday-two.png')).size > 50_000);
});

test('load and incomplete fixtures: charts drawn, the incomplete one carries its banner', async () => {
  const load = await inspect(await rendered(path.join(repo, 'reports', 'fixtures', 'runs', 'load-mixed'), 'load-mixed'), 'report-load-mixed.png');
  assert.deepEqual(load.errors, []);
  assert.equal(load.verdict, 'PASS');
  assert.equal(load.banner, 0);
  assert.ok(load.charts.length === 4 && load.charts.every((c) => c.painted > 5000 && c.series.every((s) => s.points > 0 && s.bands === 0)));
  const inc = await inspect(await rendered(path.join(repo, 'reports', 'fixtures', 'runs', 'load-incomplete'), 'load-incomplete'), 'report-load-incomplete.png');
  assert.deepEqual(inc.errors, []);
  assert.equal(inc.verdict, 'INCOMPLETE');
  assert.equal(inc.banner, 1);
  assert.ok(inc.charts.length >= 3 && inc.charts.every((c) => c.painted > 5000));
});

test('junit.xml of every fixture validates against the JUnit schema (and a broken one does not)', () => {
  for (const name of ['gameday-two', 'load-mixed', 'load-incomplete']) {
    const file = path.join(work, name, 'junit.xml');
    const res = xmllint(file);
    assert.ok(res.ok, `${name}: ${res.out}`);
  }
  const broken = path.join(work, 'broken.xml');
  fs.writeFileSync(broken, fs.readFileSync(path.join(work, 'gameday-two', 'junit.xml'), 'utf8').replace(/(<testcase classname="[^"]*") name="[^"]*"/, '$1'));
  assert.equal(xmllint(broken).ok, false, 'the schema check can fail');
});

/** Run folders written by the real runs before this file (reports/runs, test-artifacts/<x>-runs/...). */
function realRunFolders(): { dir: string; kind: string; mtime: number }[] {
  const found: { dir: string; kind: string; mtime: number }[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3 || !fs.existsSync(d) || d.startsWith(work)) return;
    const meta = path.join(d, 'run.json');
    if (fs.existsSync(meta)) {
      try {
        found.push({ dir: d, kind: String(JSON.parse(fs.readFileSync(meta, 'utf8')).kind), mtime: fs.statSync(meta).mtimeMs });
      } catch {
        // a run.json being written right now: not a candidate
      }
      return;
    }
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name), depth + 1);
  };
  walk(path.join(repo, defaults.reportsDir), 0);
  walk(artifacts, 0);
  // more places to look, e.g. GAMEDAY_REPORT_RUN_ROOTS=/tmp/chaos-runs:/tmp/load-runs
  for (const extra of (process.env.GAMEDAY_REPORT_RUN_ROOTS ?? '').split(':').filter(Boolean)) walk(path.resolve(extra), 0);
  // the newest run of each kind
  const byKind = new Map<string, { dir: string; kind: string; mtime: number }>();
  for (const f of found.sort((a, b) => a.mtime - b.mtime)) byKind.set(f.kind, f);
  return [...byKind.values()];
}

test('the newest real run of each kind (load, chaos, gameday) renders and displays without errors', async (t) => {
  const runs = realRunFolders();
  if (!runs.length) {
    t.skip('no real run folder yet (the load and chaos integration tests write them)');
    return;
  }
  for (const run of runs) {
    const name = `${run.kind}-${path.basename(run.dir)}`.slice(0, 100);
    const dir = await rendered(run.dir, `real-${name}`);
    const r = await inspect(dir, `report-real-${run.kind}.png`);
    assert.deepEqual(r.errors, [], name);
    for (const c of r.charts) assert.ok(c.series.every((s) => s.points > 0) && c.painted > 1000, `${name}/${c.id}: ${JSON.stringify(c.series)}`);
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    const faults = result.chaos?.faults?.length ?? 0;
    if (faults) for (const c of r.charts) assert.equal(c.series[0].bands, faults, `${name}/${c.id}: fault bands`);
    assert.ok(xmllint(path.join(dir, 'junit.xml')).ok, `${name}: junit.xml`);
  }
});

test('what gameday-engine writes for the k6 reference script parses like what k6 wrote', async () => {
  const engine = await findLoadEngine();
  const out = await recordK6Reference(path.join(work, 'k6-ref'), engine.bin);
  const dir = path.join(work, 'k6-run');
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(out, 'summary.json'), path.join(dir, 'k6-summary.json'));
  fs.copyFileSync(path.join(out, 'timeseries.json.gz'), path.join(dir, 'k6-timeseries.json.gz'));
  const r = await loadRun(dir);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const list = r.k6!.endpoints.find((e) => e.endpoint === 'api-list')!;
  assert.ok(Math.abs(list.latency.p95! - summary.metrics['http_req_duration{endpoint:api-list}'].values['p(95)']) < 1e-3);
  assert.equal(r.timeseries!.overall.reduce((a, b) => a + b.n, 0), summary.metrics.http_reqs.values.count);
  const flaky = r.k6!.thresholds.find((t) => t.metric === 'http_req_failed{endpoint:api-flaky}')!;
  assert.equal(flaky.ok, false);
  assert.ok(r.k6!.thresholds.find((t) => t.expression === 'p(99)<1000')!.actual! > 0);
  assert.deepEqual(r.timeseries!.custom.map((c) => c.metric), ['read_your_writes_ms']);
  assert.ok(r.timeseries!.byFault.some((f) => f.fault === 'kill-tasks:todo_app_api'));

  // the same metrics, types and value keys as k6 wrote for this script, and the same threshold keys
  type SummaryMetric = { type: string; contains: string; values: Record<string, number>; thresholds?: Record<string, unknown> };
  const ref = JSON.parse(fs.readFileSync(path.join(repo, 'reports', 'fixtures', 'k6-reference', 'summary.json'), 'utf8')) as { metrics: Record<string, SummaryMetric> };
  const ours = summary.metrics as Record<string, SummaryMetric>;
  for (const [name, m] of Object.entries(ref.metrics)) {
    const o = ours[name];
    assert.ok(o, `metric ${name} (in k6's summary) is missing from ours: ${Object.keys(ours).sort().join(', ')}`);
    assert.deepEqual([o.type, o.contains], [m.type, m.contains], name);
    assert.deepEqual(Object.keys(o.values).sort(), Object.keys(m.values).sort(), `${name}: value keys`);
    assert.deepEqual(Object.keys(o.thresholds ?? {}).sort(), Object.keys(m.thresholds ?? {}).sort(), `${name}: thresholds`);
  }
  assert.equal(summary.root_group.checks[0].name, 'api-list: status 200');
  assert.equal(summary.root_group.checks[0].id, '36600a36e52b41d96152afe9f79c53c4', 'check ids are the md5 of their path, as in k6');
});
