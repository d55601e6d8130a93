// Reading run folders into RunResult: the recorded fixtures, missing and broken files, schema.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { schemaText } from '../../reports/cli.ts';
import { generateFixtures } from '../../reports/fixtures/generate.ts';
import { loadRun } from '../../reports/load-run.ts';
import { RunResult } from '../../reports/model.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { FIXTURES, fixture, fixtureRuns, repo, tmpDir } from './report-helpers.ts';

test('load run: k6 sections, every endpoint, p(99) thresholds filled from the time series', async () => {
  const r = await fixture('load-mixed');
  assert.equal(r.verdict.status, 'pass');
  assert.equal(r.chaos, null);
  assert.deepEqual(r.warnings, []);
  const k6 = r.k6!;
  assert.deepEqual(
    k6.endpoints.map((e) => e.endpoint),
    ['api-create', 'api-list', 'api-ryw-poll', 'api-update', 'web-asset', 'web-index'],
  );
  assert.ok(k6.endpoints.every((e) => e.source === 'timeseries' && e.requests > 0));
  const p99 = k6.thresholds.find((t) => t.metric === 'http_req_duration{endpoint:api-list}' && t.expression === 'p(99)<1500')!;
  assert.ok(p99.actual !== null, 'p(99) is not in this summary: it must come from the time series');
  assert.equal(p99.actual, k6.endpoints.find((e) => e.endpoint === 'api-list')!.latency.p99);
  assert.equal(k6.thresholds.filter((t) => t.observer).map((t) => t.expression).sort().join(), 'max>=0,rate>=0,rate>=0');
  assert.equal(r.timeseries!.overall.length, 30);
  assert.equal(r.timeseries!.overall.reduce((a, b) => a + b.n, 0), k6.totals.requests);
});

test('game day: faults, phases, availability, lag, placement, HAProxy and writes', async () => {
  const r = await fixture('gameday-two');
  const c = r.chaos!;
  assert.equal(r.verdict.status, 'fail');
  assert.ok(r.verdict.reasons.some((x) => x.startsWith('replica-replication-stopped: replica heartbeat lag')));
  assert.deepEqual(c.faults.map((f) => f.name), ['kill-tasks:todo_app_api', 'stop-replication:todo_mysql_slave.1']);
  assert.equal(c.experiments.length, 2);
  const phase = (exp: string, name: string) => c.probe!.perPhase.find((p) => p.experiment === exp && p.phase === name && p.endpoint === '*')!;
  const during = phase('api-kill-task', 'fault:kill-tasks:todo_app_api');
  assert.ok(during.availability! < 0.95 && during.longestOutageMs > 1000, JSON.stringify(during));
  assert.equal(phase('api-kill-task', 'before').availability, 1);
  assert.equal(phase('api-kill-task', 'before').longestOutageMs, 0);
  assert.ok(Object.keys(during.failures).length > 0);
  const lag = Object.fromEntries(c.lag!.replicas.map((x) => [x.replica, x]));
  assert.equal(lag['todo_mysql_slave.1'].notReplicatingMs, 11_000);
  assert.ok(lag['todo_mysql_slave.1'].maxLagMs! > 10_000);
  assert.equal(lag['todo_mysql_slave.2'].notReplicatingMs, 0);
  assert.equal(c.placement!.nodes.length, 4);
  assert.ok(c.placement!.changes >= 2, 'the killed task fails and its replacement starts');
  assert.ok(c.placement!.segments.some((s) => s.state === 'failed' && s.service === 'todo_app_api'));
  assert.deepEqual(c.haproxy!.deltas.map((d) => d.backend), ['api', 'web']);
  assert.equal(c.haproxy!.deltas[0].retries, 14);
  assert.equal(c.writes!.ok, true);
  assert.equal(c.verdicts.filter((v) => !v.ok).length, 2);
  assert.ok(r.timeseries!.byFault.find((f) => f.fault === 'kill-tasks:todo_app_api')!.failed > 0);
  // per-experiment journals come from gameday.json, not journal.json's aggregate
  assert.deepEqual(c.experiments.map((e) => e.experiment), ['api-kill-task', 'replica-replication-stopped']);
  assert.deepEqual(c.experiments[0].phases.map((p) => p.name), ['before', 'fault:kill-tasks:todo_app_api', 'recovery', 'after']);
  assert.ok(c.experiments.every((e) => e.steadyStateRecoveredMs! > 0));
  assert.equal(c.faults[0].description, 'kill-tasks on todo_app_api.1');
  // read-your-writes through the API: the stopped replica shows as multi-second lag
  assert.equal(c.rwLag!.count, c.writes!.acknowledged);
  assert.ok(c.rwLag!.max! > 5000 && c.rwLag!.p50! < 100, JSON.stringify({ ...c.rwLag, samples: undefined }));
  // a probe that could not even send counts as failed, under its own kind
  const dropped = c.probe!.perPhase.reduce((a, p) => a + (p.endpoint === '*' ? (p.failures.dropped ?? 0) : 0), 0);
  assert.ok(dropped > 0);
});

test('a chaos run folder with only the aggregate journal.json still yields experiments and phases', async () => {
  const dir = tmpDir();
  fs.cpSync(path.join(fixtureRuns, 'gameday-two'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'gameday.json'));
  const r = await loadRun(dir);
  assert.deepEqual(r.chaos!.experiments.map((e) => e.experiment), ['gameday:default']);
  assert.equal(r.chaos!.experiments[0].phases[1].name, 'api-kill-task/fault:kill-tasks:todo_app_api');
  assert.equal(r.chaos!.faults.length, 2);
});

test('incomplete run: marked, read as far as it goes, no summary', async () => {
  const r = await fixture('load-incomplete');
  assert.equal(r.run.complete, false);
  assert.equal(r.verdict.status, 'incomplete');
  assert.ok(r.warnings.some((w) => w.includes('unexpected end of file')));
  assert.deepEqual(r.k6!.thresholds, []);
  assert.ok(r.timeseries!.overall.length >= 11 && r.timeseries!.overall.length <= 13);
  assert.ok(r.run.durationMs! > 10_000, 'duration falls back to the recorded series');
});

test('every fixture result matches the RunResult schema, and result.schema.json is current', async () => {
  for (const name of FIXTURES) {
    const parsed = RunResult.safeParse(JSON.parse(JSON.stringify(await fixture(name))));
    assert.ok(parsed.success, `${name}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues[0])}`);
  }
  assert.equal(fs.readFileSync(path.join(repo, 'reports', 'result.schema.json'), 'utf8'), schemaText(), 'run: npm run report -- schema');
});

test('missing files are absent sections; broken files are warnings; no folder is bad input', async () => {
  const dir = tmpDir();
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ schemaVersion: 1, id: 'x', kind: 'chaos', status: 'completed', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z', target: { ingressUrl: 'http://127.0.0.1:18080', embedded: true }, config: {} }),
  );
  let r = await loadRun(dir);
  assert.equal(r.k6, null);
  assert.equal(r.chaos, null);
  assert.equal(r.timeseries, null);
  assert.equal(r.verdict.status, 'unknown');
  fs.writeFileSync(path.join(dir, 'k6-summary.json'), '{"metrics": {"http_reqs": {"type":"counter","val');
  fs.writeFileSync(path.join(dir, 'probe.jsonl'), '{"t":1,"endpoint":"api-list","conn":"fresh","ok":true,"status":200,"ms":2}\n{"t":2,"endp\n');
  r = await loadRun(dir);
  assert.ok(r.warnings.some((w) => w.startsWith('k6-summary.json: unreadable')));
  assert.ok(r.warnings.some((w) => w.startsWith('probe.jsonl: 1 unreadable line')));
  assert.equal(r.chaos!.probe!.samples, 1);
  await assert.rejects(loadRun(path.join(dir, 'nope')), ConfigError);
  await assert.rejects(loadRun(tmpDir()), (e: Error) => e instanceof ConfigError && /run\.json/.test(e.message));
});

test('a run closed as interrupted fails with that reason even when its thresholds held', async () => {
  const dir = tmpDir();
  fs.cpSync(path.join(fixtureRuns, 'load-mixed'), dir, { recursive: true });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...meta, status: 'interrupted', verdict: undefined }));
  const r = await loadRun(dir);
  assert.equal(r.verdict.status, 'fail');
  assert.deepEqual(r.verdict.reasons, ['the run was interrupted']);
});

test('the committed fixtures are exactly what the generator writes', () => {
  const dir = tmpDir();
  generateFixtures(dir);
  for (const name of FIXTURES) {
    const files = fs.readdirSync(path.join(fixtureRuns, name)).filter((f) => !['report.html', 'summary.md', 'junit.xml', 'result.json'].includes(f));
    assert.deepEqual(fs.readdirSync(path.join(dir, name)).sort(), files.sort(), name);
    for (const f of files) assert.ok(fs.readFileSync(path.join(dir, name, f)).equals(fs.readFileSync(path.join(fixtureRuns, name, f))), `${name}/${f} differs: rerun npx tsx reports/fixtures/generate.ts`);
  }
});

// issue 14: the game-day fixture named experiments and a plan that do not exist
test('the fixtures name only real experiments, fault kinds and plan files', async () => {
  const { experiments } = await import('../../chaos/experiments/index.ts');
  const { faults } = await import('../../chaos/faults/index.ts');
  const fsm = await import('node:fs');
  const pathm = await import('node:path');
  const root = pathm.resolve(import.meta.dirname, '..', '..');
  const dir = pathm.join(root, 'reports', 'fixtures', 'runs', 'gameday-two');
  const read = (f: string) => JSON.parse(fsm.readFileSync(pathm.join(dir, f), 'utf8'));
  const gameday = read('gameday.json');
  const run = read('run.json');
  const ids = [...gameday.experiments.map((e: { experiment: string }) => e.experiment), ...read('verdicts.json').map((v: { experiment: string }) => v.experiment)];
  for (const id of ids) assert.ok(experiments.has(id), `fixture experiment ${id} is not in chaos/experiments`);
  for (const plan of [gameday.plan, run.plan]) assert.ok(fsm.existsSync(pathm.join(root, plan)), `fixture plan ${plan} does not exist`);
  for (const e of gameday.experiments) for (const f of e.faults) assert.ok(faults.has(f.kind), `fixture fault kind ${f.kind}`);
});
