// The Markdown summary (CI job summary / PR comment) on the recorded fixtures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmtMs } from '../../reports/render/format.ts';
import { mdTable, renderMarkdown } from '../../reports/render/markdown.ts';
import { fixture } from './report-helpers.ts';

test('a failing game day: verdict, reasons with figures, chaos tables', async () => {
  const md = renderMarkdown(await fixture('gameday-two'), { reportPath: 'reports/runs/x/report.html' });
  const lines = md.split('\n');
  assert.match(lines[0], /^## ❌ FAIL · gameday run/);
  assert.match(md, /- threshold http_req_failed\{endpoint:api-list\} rate<0\.01 failed \(actual 0\.0238\)/);
  const r = await fixture('gameday-two');
  const lagVerdict = r.chaos!.verdicts.find((v) => v.experiment === 'replica-replication-stopped' && !v.ok)!;
  // issue 14: the chaos table has a labelled pass/fail column
  assert.ok(md.includes('| result | experiment | tolerance | expected | actual |'), md);
  assert.ok(md.includes(`| ❌ FAIL | replica-replication-stopped | ${lagVerdict.tolerance} | ${lagVerdict.expected} | ${lagVerdict.actual} |`));
  assert.ok(md.includes('| ✅ pass | api-kill-task |'));
  // issue 14: the chaos tolerances that failed come before the load thresholds in the reasons
  const why = lines.filter((l) => l.startsWith('- '));
  const firstThreshold = why.findIndex((l) => l.startsWith('- threshold '));
  assert.ok(firstThreshold > 0, why.join('\n'));
  assert.ok(why.slice(0, firstThreshold).every((l) => /^- (api-kill-task|replica-replication-stopped): /.test(l)), why.join('\n'));
  assert.ok(why.slice(firstThreshold).every((l) => l.startsWith('- threshold ')), why.join('\n'));
  // issue 14: two p95 lags for one replica, unlabelled: the tolerance (fault phases) and the whole run's
  assert.match(lagVerdict.tolerance, /^replica heartbeat lag p95 <= 5000 ms in the fault phases$/);
  assert.match(md, /\*\*Replication lag\*\* \(heartbeat, whole run; the tolerances above judge the fault phases only\): todo_mysql_slave\.1 heartbeat lag max [\d.]+ s, p95 \d+ ms, replication stopped 11 s/);
  assert.match(md, /\*\*Read-your-writes lag \(API, whole run\):\*\* p50/);
  const kill = r.chaos!.probe!.perPhase.find((p) => p.phase === 'fault:kill-tasks:todo_app_api' && p.endpoint === '*')!;
  assert.ok(kill.longestOutageMs > 1000);
  assert.ok(md.includes(`| api-kill-task | fault:kill-tasks:todo_app_api | ${kill.requests} | ${(kill.availability! * 100).toFixed(2)}% | ${fmtMs(kill.longestOutageMs)} |`), md);
  assert.match(md, /\*\*Lost writes:\*\* ✅ 0 lost, 0 unexpected of 69 acknowledged/);
  assert.match(md, /\*\*HAProxy:\*\* api: 14 retries, 5 redispatches/);
  assert.match(md, /Thresholds: 11\/21 pass/);
  assert.ok(md.trimEnd().endsWith('Full report: `reports/runs/x/report.html`'));
  assert.doesNotMatch(md, /max>=0|rate>=0/, 'observer thresholds stay out');
  assert.doesNotMatch(md, /INCOMPLETE/);
});

test('a passing load run keeps its threshold list folded', async () => {
  const md = renderMarkdown(await fixture('load-mixed'));
  assert.match(md, /^## ✅ PASS · load run — mixed \/ load/);
  assert.match(md, /<details><summary>show thresholds<\/summary>/);
  assert.match(md, /\| `api-list` \| 180 \| 5.9 \| 0 \(0\.00%\) \|/);
  assert.doesNotMatch(md, /\*\*Why:\*\*/);
});

test('an interrupted run says so before anything else', async () => {
  const md = renderMarkdown(await fixture('load-incomplete'));
  const lines = md.split('\n');
  assert.match(lines[0], /^## ⚠️ INCOMPLETE/);
  assert.equal(lines[2], '> [!WARNING]');
  assert.match(lines[3], /INCOMPLETE \/ interrupted run/);
});

test('table cells cannot break the table', () => {
  const t = mdTable(['a', 'b'], [['x|y', 'line\nbreak']]);
  assert.equal(t.split('\n')[2], '| x\\|y | line break |');
  assert.equal(mdTable(['a'], []), '_none_\n');
});
