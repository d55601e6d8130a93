// Chaos on the embedded default, as a user runs it (`npm run chaos -- ...`): bad input is refused
// before anything is touched, a dry run touches nothing, the blast radius refuses, and the
// verdicts tell the truth: a known-good rolling update passes zero-downtime, a broken release that
// its healthcheck lets through is reported as downtime with its outage length, a replica whose replication is
// stopped is reported as lagging. After every run the swarm is back at its steady state. A run
// interrupted with SIGINT rolls back; a run killed with SIGKILL is healed by `--recover`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { localTarget } from '../../scripts/lib/local-swarm.ts';
import { readJson, type ChaosJournal, type RunMeta, type Verdict } from '../../scripts/lib/run-folder.ts';
import { replicationStatus } from '../../chaos/replication.ts';
import { nodeExec } from '../../scripts/lib/node-exec.ts';
import { converged, serviceStates } from '../../scripts/lib/swarm/state.ts';
import { settledStack } from '../helpers/settle.ts';
import { withOneRerun } from '../helpers/baseline.ts';
import { eventually, repoRoot, runTsx, track, type RunResult } from '../helpers/run.ts';
import { spawn } from 'node:child_process';

const target = localTarget();
const swarm = swarmDocker(target.dockerHost);
const outDir = path.join(repoRoot, 'test-artifacts', 'chaos');
const ledger = path.join(outDir, `ledger-${process.pid}.json`);
const env = { GAMEDAY_LEDGER: ledger, NO_COLOR: '1' };
const timings: Record<string, number> = {};

function runFolderOf(r: RunResult): string {
  const m = /run folder ([^\s;]+)/.exec(r.stdout);
  assert.ok(m, `no run folder in the output:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return path.resolve(repoRoot, m[1]!);
}

async function chaos(args: string[], timeoutMs = 8 * 60_000): Promise<RunResult> {
  const r = await runTsx('chaos/cli.ts', [...args, '--out-dir', outDir], { env, timeoutMs });
  timings[args.join(' ')] = Math.round(r.ms);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'timings.json'), JSON.stringify(timings, null, 2));
  return r;
}

function verdictsOf(dir: string): Verdict[] {
  return readJson<Verdict[]>(dir, 'verdicts.json');
}

function verdict(vs: Verdict[], re: RegExp): Verdict {
  const v = vs.find((x) => re.test(x.tolerance));
  assert.ok(v, `no verdict matching ${re}: ${JSON.stringify(vs, null, 1)}`);
  return v;
}

/** The steady state: every service at desired replicas (and not updating), replication running. */
async function assertSteady(what: string): Promise<void> {
  await eventually(async () => converged(await serviceStates(swarm)), 180_000, `every service converged after ${what}`, 1000);
  await eventually(
    async () => {
      const reps = await replicationStatus(swarm, nodeExec);
      return reps.length === 2 && reps.every((r) => r.ioRunning && r.sqlRunning && r.heartbeatLagMs !== null && r.heartbeatLagMs < 5000);
    },
    120_000,
    `replication running on both replicas after ${what}`,
    1000,
  );
}

/** The CLI in its own process group (so a SIGKILL can take its helpers along), without npx/tsx wrappers. */
function spawnChaos(args: string[], stdio: 'pipe' | 'ignore') {
  // tracked: a test that fails before it signals the run leaves nothing going (run.ts)
  return track(
    spawn(process.execPath, ['--import', 'tsx', 'chaos/cli.ts', ...args, '--out-dir', outDir], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', stdio, stdio],
      detached: true,
    }),
  );
}

async function serviceVersions(): Promise<string> {
  const list = await swarm.listServices();
  return JSON.stringify(list.map((s) => [s.Spec?.Name, s.Version?.Index]).sort());
}

describe('npm run chaos on the embedded default', () => {
  before(async () => {
    await settledStack('40-chaos');
    fs.mkdirSync(outDir, { recursive: true });
    fs.rmSync(ledger, { force: true });
  });
  after(() => fs.rmSync(ledger, { force: true }));

  it('refuses bad input before touching anything: unknown experiment, not-a-swarm target, unreachable target', async () => {
    const before = await serviceVersions();
    const unknown = await chaos(['api-kil-task']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /expected one of .*api-kill-task.*got "api-kil-task"/);

    const notSwarm = await chaos(['api-kill-task', '--docker-host', 'unix:///var/run/docker.sock', '--target', target.ingressUrl, '--no-load']);
    assert.equal(notSwarm.code, 2, notSwarm.stderr);
    assert.match(notSwarm.stderr, /expected a swarm manager/);

    const unreachable = await chaos(['api-kill-task', '--docker-host', 'tcp://127.0.0.1:1', '--target', target.ingressUrl, '--no-load']);
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(unreachable.stderr, /does not answer/);

    const badFlag = await chaos(['api-kill-task', '--rate', 'fast']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--rate: expected a number/);
    assert.equal(await serviceVersions(), before, 'no service was touched');
  });

  it('--dry-run prints the plan (each fault described), runs the read-only checks and touches nothing', async () => {
    const before = await serviceVersions();
    const r = await chaos(['worker-node-kill', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kill node <busiest worker without todo_mysql_master> \(docker kill on the host\); undo: docker start/);
    assert.match(r.stderr, /dry run: .* is a swarm marked for chaos/);
    assert.equal(await serviceVersions(), before);
    assert.ok(!fs.existsSync(ledger) || JSON.parse(fs.readFileSync(ledger, 'utf8')).records.length === 0);
  });

  it('the blast radius refuses (exit 4): killing one of two API tasks is half of them, more than --max-share 0.25', async () => {
    const r = await chaos(['api-kill-task', '--max-share', '0.25', '--no-load']);
    assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /blast radius: 1 of 2 running task\(s\) of todo_app_api requested, at most 0 allowed/);
    assert.equal((await serviceStates(swarm)).find((s) => s.name === 'todo_app_api')?.running, 2);
  });

  it('a known-good rolling update of the API passes zero-downtime', async () => {
    const r = await withOneRerun('api-rolling-update', () => chaos(['api-rolling-update']), () => assertSteady('api-rolling-update, before its rerun'));
    const dir = runFolderOf(r);
    const vs = verdictsOf(dir);
    assert.equal(verdict(vs, /availability >= 100%/).ok, true, JSON.stringify(vs, null, 1));
    assert.equal(verdict(vs, /longest outage <= 0 ms/).ok, true);
    assert.equal(verdict(vs, /no acknowledged write lost/).ok, true);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
    const meta = readJson<RunMeta>(dir, 'run.json');
    assert.equal(meta.status, 'completed');
    assert.equal(meta.verdict, 'pass');
    const journal = readJson<ChaosJournal>(dir, 'journal.json');
    assert.equal(journal.faults[0]?.notes?.updateState, 'completed');
    await assertSteady('api-rolling-update');
  });

  it('a broken release (the liveness healthcheck does not catch it) is reported as downtime, with its outage length', async () => {
    const r = await chaos(['api-bad-update']);
    const dir = runFolderOf(r);
    const v = verdict(verdictsOf(dir), /downtime is reported/);
    assert.equal(v.ok, true, `the bad variant must show failed requests: ${v.actual}`);
    const m = /longest outage (\d+) ms/.exec(v.actual);
    assert.ok(m && Number(m[1]) > 0, `an outage length is reported: ${v.actual}`);
    assert.match(r.stdout, /downtime is reported/);
    await assertSteady('api-bad-update');
    // the undo rolled the good release back out
    const spec: any = await swarm.getService('todo_app_api').inspect();
    assert.ok(!(spec.Spec.TaskTemplate.ContainerSpec.Env ?? []).some((e: string) => e.startsWith('TODO_DB_USER=gameday_no_such_user')));
  });

  it('a replica whose replication is stopped is reported as lagging; START SLAVE brings it back', async () => {
    const r = await chaos(['replica-replication-stopped']);
    const dir = runFolderOf(r);
    const v = verdict(verdictsOf(dir), /lagging replica is reported/);
    assert.equal(v.ok, true, v.actual);
    assert.match(v.actual, /todo_mysql_slave\.\d+: max \d+ ms, stopped \d+\/\d+ samples/);
    await assertSteady('replica-replication-stopped');
  });

  it('killing an API task yields a verdict with figures, and Swarm brings the service back', async () => {
    const r = await chaos(['api-kill-task']);
    const dir = runFolderOf(r);
    const vs = verdictsOf(dir);
    assert.match(verdict(vs, /availability/).actual, /worst \d+\.\d+% in /);
    assert.match(verdict(vs, /back at desired replicas/).actual, /todo_app_api \d+\.\d s/);
    const journal = readJson<ChaosJournal>(dir, 'journal.json');
    assert.equal(journal.status, 'completed');
    assert.match(journal.faults[0]!.target!, /todo_app_api\.\d+@gameday-worker0\d/);
    assert.match(r.stdout, /verdicts ok; run folder/);
    await assertSteady('api-kill-task');
  });

  it('SIGINT mid-experiment: interrupted, the fault is rolled back, exit 130', async () => {
    const child = spawnChaos(['api-scale', '--no-load'], 'pipe');
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    await eventually(async () => (await serviceStates(swarm)).find((s) => s.name === 'todo_app_api')?.desired === 4, 120_000, 'api scaled to 4', 500);
    process.kill(child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 180_000))]);
    assert.equal(code, 130, out.slice(-3000));
    assert.match(out, /interrupted/);
    assert.equal((await serviceStates(swarm)).find((s) => s.name === 'todo_app_api')?.desired, 2, 'scale undone');
    assert.deepEqual(JSON.parse(fs.readFileSync(ledger, 'utf8')).records, []);
    await assertSteady('an interrupted api-scale');
  });

  it('a run killed with SIGKILL leaves its fault in the ledger; --recover undoes it', async () => {
    const child = spawnChaos(['node-drain', '--no-load'], 'ignore');
    const drained = await eventually(
      async () => {
        const recs = fs.existsSync(ledger) ? JSON.parse(fs.readFileSync(ledger, 'utf8')).records : [];
        return recs.find((r: any) => r.status === 'injected')?.entry.node as string | undefined;
      },
      180_000,
      'the drain to be injected',
      250,
    );
    process.kill(-child.pid!, 'SIGKILL'); // the whole group: no handler, no rollback
    const nodes = await swarm.listNodes();
    assert.equal(nodes.find((n) => n.Description?.Hostname === drained)?.Spec?.Availability, 'drain');

    const r = await chaos(['--recover']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`drain-node "drain-node:?[^"]*": undone`));
    const after = await swarm.listNodes();
    assert.equal(after.find((n) => n.Description?.Hostname === drained)?.Spec?.Availability, 'active');
    assert.deepEqual(JSON.parse(fs.readFileSync(ledger, 'utf8')).records, []);
    await assertSteady('the recovered node-drain');
  });
});
