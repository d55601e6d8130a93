// The regression decision rule: on generated run folders (a 20 % slower build is flagged, another
// run of the same build is not), its false-alarm and detection rates over many seeds, the
// pass/fail rows, and the CLI's exit codes (1 regression, 0 none, 2 bad input).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { toBaseline, type Baseline } from '../../reports/baseline.ts';
import { DEFAULT_PARAMS, compare, scaleLatency } from '../../reports/compare.ts';
import { FIXTURE_START, writeLoadRun } from '../../reports/fixtures/generate.ts';
import { readComparable } from '../../reports/inputs.ts';
import { loadRun } from '../../reports/load-run.ts';
import { renderComparisonMarkdown } from '../../reports/render/compare-markdown.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { repo, simulatedBaseline, tmpDir } from './report-helpers.ts';

// three runs of the default load profile's length: the baseline build, the same build again
// (another seed = another day on the same machine) and a build whose latencies are 20 % higher
const root = tmpDir();
const dirs = { base: path.join(root, 'base'), same: path.join(root, 'same'), slow: path.join(root, 'slow') };
let base: Baseline;
let same: Baseline;
let slow: Baseline;

before(async () => {
  writeLoadRun(dirs.base, { id: 'base', seed: 11, startMs: FIXTURE_START, durationS: 60 });
  writeLoadRun(dirs.same, { id: 'same', seed: 12, startMs: FIXTURE_START + 3_600_000, durationS: 60 });
  writeLoadRun(dirs.slow, { id: 'slow', seed: 13, startMs: FIXTURE_START + 7_200_000, durationS: 60, latencyScale: 1.2 });
  base = toBaseline(await loadRun(dirs.base), 'base');
  same = toBaseline(await loadRun(dirs.same), 'same');
  slow = toBaseline(await loadRun(dirs.slow), 'slow');
});

test('a 20 % slower build is flagged, naming what regressed and by how much', () => {
  const c = compare(base, slow);
  assert.equal(c.regressed, true);
  const p95 = c.rows.filter((r) => r.metric === 'p95' && r.outcome === 'regression');
  assert.ok(p95.length >= 2, `p95 regressed on ${p95.map((r) => r.endpoint)}`);
  for (const r of p95) assert.ok(r.change! > 0.1 && r.change! < 0.45, `${r.endpoint} ${r.change}`);
  assert.ok(c.regressions.some((m) => /^[a-z-]+ p95 [\d.]+ ms -> [\d.]+ ms \(\+\d+\.\d%, p=/.test(m)), c.regressions.join('\n'));
  const md = renderComparisonMarkdown(c);
  assert.match(md, /^## ❌ Performance regression/);
  assert.match(md, /\| `[a-z-]+` \| p95 \| [\d.]+ ms \| [\d.]+ ms \| \+\d+\.\d% \| [\de.+-]+ \| ❌ regression \|/);
});

test('another run of the same build is not flagged', () => {
  const c = compare(base, same);
  assert.equal(c.regressed, false, c.regressions.join('\n'));
  assert.deepEqual(c.regressions, []);
  assert.ok(c.rows.some((r) => r.pValue !== null), 'the statistical tests did run');
  assert.match(renderComparisonMarkdown(c), /^## ✅ No performance regression/);
  assert.equal(compare(same, base).regressed, false);
});

test('a run compared with itself, and the slow build the other way round, are no regression', () => {
  assert.equal(compare(base, base).regressed, false);
  const c = compare(slow, base);
  assert.equal(c.regressed, false);
  assert.ok(c.improvements.length > 0, 'faster is reported as an improvement');
});

test('false-alarm and detection rates of the rule over many simulated runs', () => {
  // same noise model as the fixtures (run-level factor, autocorrelated per-second drift,
  // lognormal requests, 1 % slow outliers); 60 s runs of the mixed scenario
  const spec = (seed: number, latencyScale = 1) => ({ id: String(seed), seed, startMs: FIXTURE_START, durationS: 60, latencyScale });
  const builds = Array.from({ length: 16 }, (_, i) => simulatedBaseline(spec(2000 + i)));
  const slower = Array.from({ length: 16 }, (_, i) => simulatedBaseline(spec(3000 + i, 1.2)));
  let pairs = 0;
  let falseAlarms = 0;
  for (let i = 0; i < builds.length; i++)
    for (let j = i + 1; j < builds.length; j++) {
      pairs++;
      if (compare(builds[i], builds[j]).regressed) falseAlarms++;
    }
  const detected = slower.filter((s, i) => compare(builds[i], s).regressed).length;
  const faRate = falseAlarms / pairs;
  const detRate = detected / slower.length;
  process.stderr.write(`  rule on simulated runs: false alarms ${falseAlarms}/${pairs} (${(faRate * 100).toFixed(1)}%), detection of +20 % ${detected}/${slower.length} (${(detRate * 100).toFixed(0)}%)\n`);
  // measured with these seeds: 3.3 % and 81 % (over 40 seeds: 1.2 % and 75 %; see reports/compare.ts)
  assert.ok(faRate <= 0.04, `false-alarm rate ${faRate}`);
  assert.ok(detRate >= 0.7, `detection rate ${detRate}`);
  // the bare-percentage rule the issue warns about would alarm far more often on the same runs
  let naive = 0;
  for (let i = 0; i < builds.length; i++)
    for (let j = i + 1; j < builds.length; j++)
      if (builds[j].endpoints.some((e, k) => e.latency.p95! / builds[i].endpoints[k].latency.p95! - 1 >= DEFAULT_PARAMS.minEffect)) naive++;
  assert.ok(naive / pairs > 2 * faRate, `bare "p95 +10 %" rule: ${naive}/${pairs}`);
});

test('an increase below the minimum effect is not a regression, however significant', () => {
  const c = compare(base, scaleLatency(base, 1.05));
  assert.equal(c.regressed, false);
  const r = c.rows.find((x) => x.endpoint === 'api-list' && x.metric === 'p50')!;
  assert.ok(Math.abs(r.change! - 0.05) < 1e-9);
  assert.equal(compare(base, scaleLatency(base, 1.25)).regressed, true);
});

test('error rate: a jump is a regression, a threshold newly failing too; different profiles skip throughput', () => {
  const broken: Baseline = structuredClone(base);
  const ep = broken.endpoints.find((e) => e.endpoint === 'api-list')!;
  ep.failed = Math.round(ep.requests * 0.05);
  ep.errorRate = ep.failed / ep.requests;
  broken.thresholds = broken.thresholds.map((t) => (t.metric === 'http_req_failed{endpoint:api-list}' ? { ...t, ok: false, actual: ep.errorRate } : t));
  broken.source = { ...broken.source, profile: 'stress' };
  const c = compare(base, broken);
  assert.equal(c.regressed, true);
  assert.ok(c.regressions.some((m) => m.startsWith('api-list error rate 0.00% -> 5.00% (+5.00 pp')), c.regressions.join('\n'));
  assert.ok(c.regressions.some((m) => m.startsWith('threshold http_req_failed{endpoint:api-list}: rate<0.01 passed in the baseline')));
  assert.ok(c.rows.filter((r) => r.metric === 'throughput').every((r) => r.outcome === 'not compared'));
  assert.ok(c.notes.some((n) => n.includes('profile/scenario differ')));
  // a check failing in both runs is not a regression of this change
  const stillBad = compare(broken, broken);
  assert.equal(stillBad.regressed, false);
  assert.ok(stillBad.passFail.some((p) => p.outcome === 'still failing'));
});

test('too few buckets: "insufficient data", never a regression', () => {
  const short = structuredClone(slow);
  for (const e of short.endpoints) for (const k of ['n', 'p50', 'p95', 'p99'] as const) e.buckets[k] = e.buckets[k].slice(0, 5);
  const c = compare(base, short);
  assert.ok(c.rows.filter((r) => r.unit === 'ms').every((r) => r.outcome === 'insufficient data'));
  assert.equal(c.rows.filter((r) => r.unit === 'ms' && r.outcome === 'regression').length, 0);
});

test('game-day tolerances and availability side by side', async () => {
  const gd = toBaseline(await loadRun(path.join(repo, 'reports', 'fixtures', 'runs', 'gameday-two')), 'gd');
  const fixed: Baseline = structuredClone(gd);
  fixed.verdicts = fixed.verdicts.map((v) => ({ ...v, ok: true }));
  const c = compare(fixed, gd);
  assert.equal(c.regressed, true);
  assert.ok(c.regressions.some((m) => m.startsWith('tolerance replica-replication-stopped: replica heartbeat lag p95 <= 5000 ms in the fault phases passed in the baseline')));
  assert.equal(c.availability.length, 8);
  assert.match(renderComparisonMarkdown(c), /### Availability per phase/);
});

test('baseline files: round trip, and bad ones are ConfigErrors naming the field', async () => {
  const file = path.join(root, 'b.json');
  fs.writeFileSync(file, JSON.stringify(base));
  assert.deepEqual(await readComparable(file, 'baseline'), base);
  assert.ok(fs.statSync(file).size < 20_000, `a baseline stays small (${fs.statSync(file).size} B)`);
  fs.writeFileSync(file, JSON.stringify({ ...base, endpoints: [{ endpoint: 'x' }] }));
  await assert.rejects(readComparable(file, 'baseline'), (e: Error) => e instanceof ConfigError && /field endpoints\.0\.requests/.test(e.message));
  fs.writeFileSync(file, '{"hello": 1}');
  await assert.rejects(readComparable(file, 'baseline'), ConfigError);
  fs.writeFileSync(file, 'not json');
  await assert.rejects(readComparable(file, 'candidate'), (e: Error) => e instanceof ConfigError && e.message.startsWith('candidate:'));
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'reports', 'cli.ts'), ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
}

test('CLI: exit 1 naming the regression, 0 without, 2 on bad input; baseline files work', () => {
  const md = path.join(root, 'cmp.md');
  const bad = cli('compare', dirs.base, dirs.slow, '--markdown', md);
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /regression: [a-z-]+ p95 [\d.]+ ms -> [\d.]+ ms \(\+\d+\.\d%/);
  assert.match(fs.readFileSync(md, 'utf8'), /^## ❌ Performance regression/);
  const good = cli('compare', dirs.base, dirs.same);
  assert.equal(good.status, 0, good.stderr + good.stdout);
  assert.match(good.stdout, /No performance regression/);

  const bl = path.join(root, 'baselines', 'default.json');
  const saved = cli('baseline', dirs.base, '--out', bl);
  assert.equal(saved.status, 0, saved.stderr);
  assert.equal(saved.stdout.trim(), bl);
  assert.equal(cli('compare', bl, dirs.slow).status, 1);
  assert.equal(cli('compare', bl, path.join(dirs.same, 'result.json')).status, 2, 'no result.json rendered yet: bad input');

  const missing = cli('compare', path.join(root, 'nope'), dirs.same);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /\[E_CONFIG\] run: expected a run folder/);
  const alpha = cli('compare', '--alpha', 'x', dirs.base, dirs.same);
  assert.equal(alpha.status, 2);
  assert.match(alpha.stderr, /--alpha: expected a number from 1e-9 to 0.5, got "x"/);
  assert.equal(cli('compare', dirs.base).status, 2);
});

test('CLI: re-render a run folder; the files land in it; "schema --check" passes', () => {
  const dir = path.join(root, 'rerender');
  fs.cpSync(path.join(repo, 'reports', 'fixtures', 'runs', 'gameday-two'), dir, { recursive: true });
  const r = cli(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), path.join(dir, 'report.html'));
  for (const f of ['report.html', 'summary.md', 'junit.xml', 'result.json']) assert.ok(fs.statSync(path.join(dir, f)).size > 100, f);
  assert.match(r.stderr, /rendered FAIL report/);
  assert.equal(cli('schema', '--check').status, 0);
  assert.equal(cli().status, 2);
});
