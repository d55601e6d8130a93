// Live metrics (issue 13) on the local swarm ADDRESSED AS A REMOTE one (a staging user's flags:
// --docker-host over TLS, --target, --stats-url): `npm run chaos -- api-scale --prometheus`. Debian's
// Prometheus (installed on first use) scrapes the background load engine and HAProxy every second;
// the run folder gets prometheus.json with every chart holding data, including inside the fault
// window, the report draws them under the fault bands, no Prometheus outlives the run, the stats
// password is nowhere in the folder, and the kept TSDB answers PromQL when reopened as the report
// says. A --prometheus with nothing to scrape is refused (exit 2) before anything runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../../chaos/live-metrics/prometheus.ts';
import type { LiveMetricsFile } from '../../chaos/live-metrics/queries.ts';
import { readStatsPassword } from '../../scripts/lib/stats-password.ts';
import { readJson, type ChaosJournal } from '../../scripts/lib/run-folder.ts';
import { ensurePrometheus } from '../../scripts/lib/tools.ts';
import { runDir, withOneRerun } from '../helpers/baseline.ts';
import { remoteSwarmEnv } from '../helpers/remote-swarm.ts';
import { eventually, repoRoot, runCommand, runTsx, track, type RunResult } from '../helpers/run.ts';
import { settledStack } from '../helpers/settle.ts';

const remoteEnv = remoteSwarmEnv();
const TARGET = 'http://localhost:18080';
const STATS = 'http://localhost:18936';
const outDir = path.join(repoRoot, 'test-artifacts', 'live-metrics');
const env = { GAMEDAY_LEDGER: path.join(outDir, `ledger-${process.pid}.json`), NO_COLOR: '1', ...remoteEnv };
const remote = ['--docker-host', remoteEnv.DOCKER_HOST, '--target', TARGET, '--out-dir', outDir];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('live metrics: Prometheus during a chaos run, read back into the report', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    await settledStack('live metrics');
  });

  it('--prometheus with nothing to scrape is exit 2 naming the flag; nothing runs', async () => {
    const r = await runTsx('chaos/cli.ts', ['api-scale', '--prometheus', '--no-load', ...remote], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--prometheus: expected something to scrape .*got neither/);
    assert.doesNotMatch(r.stdout, /run folder/);
  });

  it('scrapes the engine and HAProxy through the whole run; the charts cover the fault; nothing is left', async () => {
    const r: RunResult = await withOneRerun(
      'api-scale with --prometheus',
      () => runTsx('chaos/cli.ts', ['api-scale', '--prometheus', '--stats-url', STATS, ...remote], { env, timeoutMs: 10 * 60_000 }),
      () => settledStack('api-scale rerun'),
    );
    assert.equal(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout + r.stderr, /live metrics: Prometheus \S+ at http:\/\/127\.0\.0\.1:\d+ scrapes gameday-engine and haproxy every 1 s/);
    const dir = runDir(r)!;
    const live = readJson<LiveMetricsFile>(dir, 'prometheus.json');

    // both targets scraped for most of the run (the engine starts a moment after Prometheus, ends before it)
    const share = Object.fromEntries(live.targets.map((t) => [t.job, t.upShare]));
    assert.ok(share.haproxy! >= 0.9, `haproxy scraped ${share.haproxy}`);
    assert.ok(share['gameday-engine']! >= 0.6, `engine scraped ${share['gameday-engine']}`);
    assert.deepEqual(live.errors, []);
    assert.equal(live.charts.length, 6);
    for (const c of live.charts) assert.ok(c.series.length && c.series.every((s) => s.points.length > 5), `${c.id} has data`);

    // traffic seen by HAProxy and sent by the engine inside the fault window
    const journal = readJson<ChaosJournal>(dir, 'journal.json');
    const f = journal.faults[0]!;
    const during = (id: string, name: string) => live.charts.find((c) => c.id === id)!.series.find((s) => s.name === name)!.points.filter(([t, v]) => t >= f.start && t <= (f.end ?? live.end) && v !== null);
    assert.ok(during('prom-ingress-rps', 'api').some(([, v]) => v! > 0), 'API requests at the ingress during the fault');
    assert.ok(during('prom-engine-rps', 'requests').some(([, v]) => v! > 0), 'engine requests during the fault');

    // the report: the charts with the fault band
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes('<h2 id="live-metrics">'), 'live metrics section');
    const charts = JSON.parse(/<script type="application\/json" id="gameday-charts">([\s\S]*?)<\/script>/.exec(html)![1]!) as { id: string; option: { series: { markArea?: { data: unknown[] } }[] } }[];
    const prom = charts.filter((c) => c.id.startsWith('prom-'));
    assert.equal(prom.length, 6);
    for (const c of prom) assert.equal(c.option.series[0]?.markArea?.data.length, journal.faults.length, `${c.id} carries the fault bands`);

    // no scraper left, and the password stays out of the shared folder
    const ps = await runCommand('pgrep', ['-f', `storage.tsdb.path=${path.join(dir, 'prometheus')}`]);
    assert.equal(ps.stdout.trim(), '', 'no Prometheus of this run is still running');
    const password = readStatsPassword();
    for (const file of filesUnder(dir)) assert.ok(!fs.readFileSync(file).includes(password), `${path.relative(dir, file)} does not hold the stats password`);

    // the TSDB reopens as the report says, without scraping, and answers for the run's window
    const port = await freeLoopbackPort();
    const prom2 = track(
      spawn(await ensurePrometheus(), [`--storage.tsdb.path=${path.join(dir, live.dataDir, 'data')}`, '--config.file=/dev/null', `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore', detached: true }),
    );
    try {
      const t = (f.start + 1000) / 1000;
      const servers = await eventually(
        async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('count(haproxy_backend_active_servers)')}&time=${t}`, { signal: AbortSignal.timeout(2000) });
            const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
            return Number(body.data.result[0]?.value[1] ?? 0) || undefined;
          } catch {
            return undefined;
          }
        },
        30_000,
        'the reopened TSDB answers',
        500,
      );
      assert.ok(servers >= 2, `backends in the reopened TSDB: ${servers}`);
    } finally {
      const closed = new Promise((r) => prom2.once('close', r));
      prom2.kill('SIGTERM');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 20_000))]);
    }
  });
});
