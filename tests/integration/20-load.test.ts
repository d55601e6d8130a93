// `npm run load` against the embedded default, on gameday-engine: bundles pass `inspect`, the smoke profile passes
// and leaves every artifact, an impossible threshold fails naming it, a dead target fails fast,
// bad configuration is exit 2, Ctrl-C leaves a folder marked interrupted, and chaos's programmatic
// entry (background load into its own folder, extra tags) works.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { SCENARIOS } from '../../load/lib/catalog.ts';
import { bundleAll } from '../../load/run/bundle.ts';
import { ARTIFACTS, runLoad } from '../../load/run/index.ts';
import { engineInspect, findLoadEngine } from '../../load/run/load-engine.ts';
import { aggregateByWindow, forEachPoint } from '../../load/run/timeseries.ts';
import { localTarget } from '../../scripts/lib/local-swarm.ts';
import { INCOMPLETE_MARKER, isComplete, readJson, type RunMeta } from '../../scripts/lib/run-folder.ts';
import { eventually, repoRoot, runTsx } from '../helpers/run.ts';

const outRoot = path.join(repoRoot, 'test-artifacts', 'load-runs');
const target = localTarget();

function freshOutDir(name: string): string {
  const dir = path.join(outRoot, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The one run folder a CLI run created under outDir. */
function onlyRunFolder(outDir: string): string {
  const dirs = fs.readdirSync(outDir).filter((d) => fs.statSync(path.join(outDir, d)).isDirectory());
  assert.equal(dirs.length, 1, `expected one run folder in ${outDir}, got ${dirs.join(', ')}`);
  return path.join(outDir, dirs[0]);
}

const load = (args: string[], timeoutMs = 5 * 60_000) => runTsx('load/cli.ts', args, { timeoutMs });

describe('load: the k6 scenarios on gameday-engine, npm run load', () => {
  before(() => fs.mkdirSync(outRoot, { recursive: true }));

  it('every scenario bundle passes the engine\'s inspect with its scenarios and thresholds', async () => {
    const dir = freshOutDir('bundles');
    const bundles = await bundleAll(dir);
    const engine = await findLoadEngine();
    for (const s of SCENARIOS) {
      assert.ok(fs.existsSync(`${bundles[s]}.map`), `${s}: source map next to the bundle`);
      const opts = (await engineInspect(engine, bundles[s], { ...process.env, GAMEDAY_PROFILE: 'load' })) as {
        scenarios: Record<string, { executor: string; exec: string }>;
        thresholds: Record<string, unknown>;
      };
      const scs = Object.values(opts.scenarios ?? {});
      assert.ok(scs.length >= 1, `${s}: no scenarios in ${JSON.stringify(opts)}`);
      if (s !== 'browser') assert.ok(scs.every((x) => /arrival-rate/.test(x.executor)), `${s}: open-model executors`);
      assert.ok(Object.keys(opts.thresholds ?? {}).length >= 1, `${s}: thresholds`);
    }
  });

  it('smoke profile against the embedded default passes and the run folder holds every artifact', async () => {
    const outDir = freshOutDir('smoke');
    const r = await load(['--profile', 'smoke', '--out-dir', outDir]);
    assert.equal(r.code, 0, `npm run load failed (${r.code}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    assert.match(r.stdout, /^PASS {2}mixed \/ smoke against http:\/\/127\.0\.0\.1:18080/m);
    for (const ep of ['api-list', 'api-create', 'api-update', 'api-ryw-poll', 'web-index', 'web-asset']) {
      assert.match(r.stdout, new RegExp(`│ ${ep}\\s+│\\s+\\d+`), `summary row for ${ep}`);
    }
    assert.match(r.stdout, /read-your-writes: p50 \d+ ms, p95 \d+ ms/);

    const dir = onlyRunFolder(outDir);
    assert.match(r.stdout, new RegExp(`run folder: .*${path.basename(dir)}`));
    assert.ok(isComplete(dir));
    assert.ok(!fs.existsSync(path.join(dir, INCOMPLETE_MARKER)));
    const meta = readJson<RunMeta>(dir, 'run.json');
    assert.equal(meta.kind, 'load');
    assert.equal(meta.status, 'completed');
    assert.equal(meta.verdict, 'pass');
    assert.equal(meta.exitCode, 0);
    assert.equal(meta.profile, 'smoke');
    assert.equal(meta.scenario, 'mixed');
    assert.match(meta.engine ?? '', /^gameday-engine v\d+\.\d+\.\d+/);
    assert.match(meta.git?.revision ?? '', /^[0-9a-f]{40}$/);
    assert.deepEqual({ url: meta.target.ingressUrl, embedded: meta.target.embedded }, { url: target.ingressUrl, embedded: true });
    assert.ok(meta.startedAt && meta.finishedAt && Date.parse(meta.finishedAt) > Date.parse(meta.startedAt));
    const cfg = meta.config as { profile: string; plan: { thresholds: Record<string, unknown> } };
    assert.equal(cfg.profile, 'smoke');
    assert.ok(cfg.plan.thresholds['http_req_duration{endpoint:api-list}'], 'resolved thresholds recorded');

    const summary = readJson<{ metrics: Record<string, { values: Record<string, number> }> }>(dir, ARTIFACTS.summary);
    assert.ok(summary.metrics['http_req_duration{endpoint:api-list}'].values.count > 0);
    assert.ok(summary.metrics.read_your_writes_ms.values.count > 0);
    let points = 0;
    const endpoints = new Set<string>();
    await forEachPoint(path.join(dir, ARTIFACTS.timeseries), (p) => {
      points++;
      if (p.tags.endpoint) endpoints.add(p.tags.endpoint);
    });
    assert.ok(points > 100, `time series has ${points} points`);
    assert.ok(endpoints.has('api-list') && endpoints.has('web-asset'), [...endpoints].join(','));
    assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(dir, ARTIFACTS.timeseries))).subarray(0, 1).toString(), '{');
    assert.match(fs.readFileSync(path.join(dir, ARTIFACTS.log), 'utf8'), /thresholds \(mixed\/smoke\)/);
  });

  it('an impossible threshold makes npm run load exit 1 naming the threshold', async () => {
    const outDir = freshOutDir('impossible');
    const r = await load([
      '--target',
      target.ingressUrl,
      '--scenario',
      'api-read',
      '--profile',
      'smoke',
      '--duration',
      '5s',
      '--threshold',
      'http_req_duration{endpoint:api-list}=p(99)<0.001',
      '--out-dir',
      outDir,
    ]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, /^FAIL /m);
    assert.match(r.stdout, /threshold http_req_duration\{endpoint:api-list\}: p\(99\)<0\.001 failed \(observed [\d.]+\)/);
    const meta = readJson<RunMeta>(onlyRunFolder(outDir), 'run.json');
    assert.equal(meta.status, 'completed');
    assert.equal(meta.verdict, 'fail');
    assert.equal(meta.target.embedded, false);
    assert.ok(meta.failures?.some((f) => f.includes('p(99)<0.001')));
  });

  it('an unreachable target fails fast with exit 3 and names the URL; no run folder is left', async () => {
    const outDir = freshOutDir('unreachable');
    const r = await load(['--target', 'http://127.0.0.1:1', '--out-dir', outDir], 60_000);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /\[E_UNREACHABLE\] target http:\/\/127\.0\.0\.1:1 is not reachable \(http:\/\/127\.0\.0\.1:1\/api\/healthz: connection refused/);
    // tsx start-up included; the probe itself gives up in seconds, not after a profile
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    assert.deepEqual(fs.readdirSync(outDir), []);
  });

  it('bad configuration is exit 2 naming the input, before anything starts', async () => {
    const a = await load(['--duration', 'soon'], 60_000);
    assert.equal(a.code, 2, a.stderr);
    assert.match(a.stderr, /--duration: expected a duration like 90s, 2m, 1\.5m or 1m30s, at most 168 h, got "soon"/);
    const b = await runTsx('load/cli.ts', ['--target', target.ingressUrl], { env: { GAMEDAY_PROFILE: 'heavy' }, timeoutMs: 60_000 });
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /GAMEDAY_PROFILE: expected one of smoke, load, stress, spike, soak, breakpoint, got "heavy"/);
    const c = await load(['--target', target.ingressUrl, '--threshold', 'http_req_duration{endpoint:api-lst}=p(95)<1'], 60_000);
    assert.equal(c.code, 2, c.stderr);
    assert.match(c.stderr, /unknown endpoint "api-lst"/);
  });

  it('--engine k6 with no k6 on PATH is exit 5 naming the flag, before anything starts', async () => {
    const r = await load(['--engine', 'k6', '--target', 'http://127.0.0.1:1'], 60_000);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /--engine k6: no `k6` on PATH \(the suite never downloads or builds k6/);
  });

  it('--help lists every option', async () => {
    const r = await load(['--help'], 60_000);
    assert.equal(r.code, 0, r.stderr);
    for (const o of ['--profile', '--scenario', '--target', '--duration', '--rate', '--out-dir', '--engine', '--engine-flag', '--http-timeout', '--ryw-timeout', '--ryw-poll', '--slo', '--threshold']) {
      assert.ok(r.stdout.includes(o), `--help mentions ${o}`);
    }
    for (const p of ['smoke', 'load', 'stress', 'spike', 'soak', 'breakpoint']) assert.match(r.stdout, new RegExp(`^  ${p}\\s`, 'm'));
  });

  it('the browser scenario loads the dashboard, adds an item and sees it appear (chromium)', async () => {
    const outDir = freshOutDir('browser');
    const r = await load(['--scenario', 'browser', '--profile', 'smoke', '--target', target.ingressUrl, '--out-dir', outDir]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
    assert.match(r.stdout, /browser: added item visible p95 \d+ ms \(2 items\), LCP p95 \d+ ms/);
    const summary = readJson<{ metrics: Record<string, { values: Record<string, number> }> }>(onlyRunFolder(outDir), ARTIFACTS.summary);
    assert.equal(summary.metrics.browser_item_visible_ms.values.count, 2);
    assert.ok(summary.metrics.browser_web_vital_fcp.values.count >= 1);
  });

  it('Ctrl-C stops the engine, and the folder is closed as interrupted (exit 130)', async () => {
    const outDir = freshOutDir('interrupt');
    // node directly (not npx): the signal must reach our CLI, as a terminal's Ctrl-C would
    const child = spawn(process.execPath, ['--import', 'tsx', 'load/cli.ts', '--target', target.ingressUrl, '--scenario', 'api-read', '--profile', 'load', '--out-dir', outDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const log = await eventually(
      async () => {
        const d = fs.readdirSync(outDir)[0];
        const f = d && path.join(outDir, d, ARTIFACTS.log);
        return f && fs.existsSync(f) && /running \(/.test(fs.readFileSync(f, 'utf8')) ? f : undefined;
      },
      60_000,
      'the engine to be running',
    );
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 130, stdout);
    assert.match(stdout, /^INTERRUPTED /m);
    const dir = path.dirname(log);
    const meta = readJson<RunMeta>(dir, 'run.json');
    assert.equal(meta.status, 'interrupted');
    assert.equal(meta.verdict, undefined);
    assert.ok(isComplete(dir), 'closed: no INCOMPLETE marker');
    assert.ok(fs.existsSync(path.join(dir, ARTIFACTS.summary)), 'the engine still wrote its summary');
  });

  it('programmatic: load into a caller-owned folder with extra tags; samples can be joined with fault windows', async () => {
    const dir = freshOutDir('programmatic');
    const t0 = Date.now();
    const res = await runLoad({
      config: { target: target.ingressUrl, scenario: 'api-read', profile: 'smoke', durationS: 6 },
      runDir: dir,
      tags: { experiment: 'integration' },
      quiet: true,
    });
    assert.equal(res.verdict, 'pass', res.failures.join('\n'));
    assert.ok(res.startedAt >= t0 && res.endedAt > res.startedAt);
    assert.ok(!fs.existsSync(path.join(dir, 'run.json')), 'the caller owns run.json');
    assert.ok(fs.existsSync(path.join(dir, ARTIFACTS.summary)) && fs.existsSync(path.join(dir, ARTIFACTS.timeseries)));
    let tagged = 0;
    await forEachPoint(path.join(dir, ARTIFACTS.timeseries), (p) => {
      if (p.metric === 'http_reqs' && p.tags.experiment === 'integration') tagged++;
    });
    assert.ok(tagged > 0, 'extra tags on every sample');
    const mid = res.startedAt + 3000;
    const agg = await aggregateByWindow(path.join(dir, ARTIFACTS.timeseries), [{ name: 'fault', start: mid, end: mid + 2000 }]);
    const fault = agg.find((a) => a.window === 'fault' && a.endpoint === 'api-list');
    const base = agg.find((a) => a.window === 'baseline' && a.endpoint === 'api-list');
    assert.ok(fault && fault.requests > 0 && base && base.requests > fault.requests, JSON.stringify(agg));
  });
});
