// Issue 13, the chaos background load distributed: `npm run chaos -- api-kill-task
// --load-distributed 2` runs the mixed load as a swarm service of 2 engine replicas; both streams
// are merged into the chaos run folder (one summary, one timeseries whose request count is the
// summary's), tagged with the fault window, and the service and its config are gone afterwards.
// A run SIGKILLed while its load service runs leaves it; `--recover` removes it (label
// gameday.load.chaos).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { readSwarmLock } from '../../chaos/swarm-lock.ts';
import { localTarget } from '../../scripts/lib/local-swarm.ts';
import { settledStack } from '../helpers/settle.ts';
import { eventually, repoRoot, runTsx } from '../helpers/run.ts';

const target = localTarget();
const swarm = swarmDocker(target.dockerHost);
const outDir = path.join(repoRoot, 'test-artifacts', 'chaos-distributed');
const ledger = path.join(outDir, `ledger-${process.pid}.json`);
const env = { GAMEDAY_LEDGER: ledger, NO_COLOR: '1' };

async function loadServices(): Promise<string[]> {
  const s = (await swarm.listServices({ filters: { label: ['gameday.load.chaos'] } } as any)) as unknown as any[];
  return s.map((x) => x.Spec.Name as string);
}
async function loadConfigs(): Promise<string[]> {
  const c = (await swarm.listConfigs({ filters: { label: ['gameday.load.chaos'] } } as any)) as unknown as any[];
  return c.map((x) => x.Spec.Name as string);
}

/** The swarm is shared (other chaos runs): wait until no run holds its lock, so ours is not refused
 *  (a stale lock is taken over by the next run: the same rule the lock itself applies). */
async function lockFree(): Promise<void> {
  await eventually(async () => {
    const l = await readSwarmLock(swarm);
    return !l || l.stale;
  }, 8 * 60_000, 'the chaos lock to be free', 2000);
}

describe('chaos with a distributed background load (issue 13)', () => {
  before(async () => {
    await settledStack('27-chaos-distributed');
    fs.mkdirSync(outDir, { recursive: true });
  });
  after(() => fs.rmSync(ledger, { force: true }));

  it('api-kill-task with --load-distributed 2: two replicas merged into the run folder, service gone', { timeout: 16 * 60_000 }, async () => {
    await lockFree();
    const r = await runTsx('chaos/cli.ts', ['api-kill-task', '--load-distributed', '2', '--out-dir', outDir], { env, timeoutMs: 7 * 60_000 });
    const m = /run folder ([^\s;]+)/.exec(r.stdout);
    assert.ok(m, `no run folder:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    const dir = path.resolve(repoRoot, m[1]!);
    assert.match(r.stdout + r.stderr, /2 engine replicas as a swarm service/);
    const log = fs.readFileSync(path.join(dir, 'k6.log'), 'utf8');
    assert.match(log, /docker service create gameday-load-\w+ \(2 replicas/);
    const lines = [...log.matchAll(/^\[replica (\d)\] task \S+ .*: (\d+) metric lines/gm)].map((x) => ({ slot: Number(x[1]), lines: Number(x[2]) }));
    assert.deepEqual(lines.map((l) => l.slot).sort(), [1, 2], `both replicas reported:\n${log.slice(-3000)}`);
    for (const l of lines) assert.ok(l.lines > 0, `replica ${l.slot} sent metrics`);
    assert.match(log, /aggregate .*--in \S+replica-1\.json\.gz --in \S+replica-2\.json\.gz/);
    // merged: the summary's request count is the number of http_reqs points in the merged stream
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'k6-summary.json'), 'utf8'));
    const reqs: number = summary.metrics.http_reqs.values.count;
    assert.ok(reqs > 20, `requests in the merged summary: ${reqs}`);
    const ts = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'k6-timeseries.json.gz'))).toString('utf8').split('\n').filter(Boolean);
    const points = ts.map((l) => JSON.parse(l)).filter((p) => p.type === 'Point' && p.metric === 'http_reqs');
    assert.equal(points.reduce((a, p) => a + p.data.value, 0), reqs, 'merged timeseries and summary agree');
    assert.ok(points.some((p) => p.data.tags?.fault), 'samples tagged with the fault window');
    assert.deepEqual(await loadServices(), [], 'the load service is removed');
    await eventually(async () => (await loadConfigs()).length === 0, 30_000, 'the load config removed');
  });

  it('a SIGKILLed run leaves its load service; --recover removes it', { timeout: 15 * 60_000 }, async () => {
    await lockFree();
    const child = spawn(process.execPath, ['--import', 'tsx', 'chaos/cli.ts', 'api-kill-task', '--load-distributed', '2', '--out-dir', outDir], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
      detached: true,
    });
    try {
      await eventually(async () => (await loadServices()).length === 1, 150_000, 'the background load service');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* it ended by itself (e.g. refused): the assertions below say so */
      }
    }
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await loadServices()).length, 1, 'the killed run left its load service');
    // the killed run's lock is taken over (its process is gone)
    const rec = await runTsx('chaos/cli.ts', ['--recover'], { env, timeoutMs: 4 * 60_000 });
    assert.equal(rec.code, 0, rec.stderr + rec.stdout);
    assert.match(rec.stdout + rec.stderr, /removed 1 leftover background load service/);
    assert.deepEqual(await loadServices(), []);
    await eventually(async () => (await loadConfigs()).length === 0, 30_000, 'the load config removed');
  });
});
