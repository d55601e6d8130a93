// Measurements against the embedded default: a quiet 10 s run is ~100% available, both replicas
// report a small, live heartbeat lag, and every acknowledged write is on the primary and on every
// replica. Then STOP SLAVE on one replica is reported as stopped with a growing lag.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runningTaskContainers, DB_SERVICES, type TaskContainer } from '../../chaos/measure/db-tasks.ts';
import { queryTask } from '../../chaos/measure/db-sql.ts';
import { checkLostWrites, lagStats, phaseStats, startMeasurements, type MeasureContext } from '../../chaos/measure/index.ts';
import { defaults } from '../../scripts/lib/defaults.ts';
import { readStatsPassword } from '../../scripts/lib/stats-password.ts';
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { localTarget } from '../../scripts/lib/local-swarm.ts';
import { parseLagLine } from '../../chaos/measure/lag-parse.ts';
import { nodeExec } from '../../scripts/lib/node-exec.ts';
import { readJson, readJsonl, type HaproxyCounters, type LagSample, type PlacementSample, type ProbeSample, type RwLagSample, type WriteRecord } from '../../scripts/lib/run-folder.ts';
import { settledStack } from '../helpers/settle.ts';
import { eventually, repoRoot } from '../helpers/run.ts';

const target = localTarget();
const swarm = swarmDocker(target.dockerHost);
const logLines: string[] = [];

function runDir(name: string): string {
  const dir = path.join(repoRoot, 'test-artifacts', 'measure', `${name}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function context(dir: string, signal: AbortSignal, extra: Partial<MeasureContext> = {}): MeasureContext {
  return {
    runDir: dir,
    ingressUrl: target.ingressUrl,
    statsUrl: target.statsUrl,
    statsAuth: { user: defaults.local.statsUser, password: readStatsPassword() },
    swarm,
    signal,
    log: (l) => logLines.push(`${new Date().toISOString()} ${l}`),
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('measurements on the embedded default', () => {
  before(async () => {
    await settledStack('30-measure');
    await eventually(async () => (await fetch(`${target.ingressUrl}/api/todo?status=TODO`, { signal: AbortSignal.timeout(5000) })).ok, 120_000, 'the API through the ingress');
  });
  after(() => {
    if (process.env.GAMEDAY_TEST_VERBOSE) process.stderr.write(logLines.join('\n') + '\n');
  });

  it('a quiet 10 s run: ~100% available, live lag on both replicas, no lost writes', async () => {
    const dir = runDir('quiet');
    const ac = new AbortController();
    const m = await startMeasurements(context(dir, ac.signal));
    const t0 = Date.now();
    await sleep(10_000);
    const summary = await m.stop();
    const t1 = Date.now();

    // probe: 2 endpoints x 2 connection modes x 10/s x 10 s, open loop
    const probe = readJsonl<ProbeSample>(dir, 'probe.jsonl');
    assert.ok(probe.length >= 360 && probe.length <= 420, `probe samples: ${probe.length}`);
    for (const e of ['api-list', 'web-index']) for (const c of ['keepalive', 'fresh']) assert.ok(probe.filter((s) => s.endpoint === e && s.conn === c).length >= 90, `${e}/${c}`);
    const [stat] = phaseStats(probe, [{ name: 'all', start: t0 - 1000, end: t1 }]);
    assert.ok(stat!.availability !== null && stat!.availability >= 0.99, `availability ${stat!.availability} ${JSON.stringify(stat!.failedByKind)}`);
    assert.ok(stat!.longestOutageMs <= 500, `longest outage ${stat!.longestOutageMs} ms`);
    assert.equal(summary.probe.dropped, 0);

    // lag: both replicas, ~10 samples/s, small and live (a dead heartbeat would grow to > 10 s)
    const lag = readJsonl<LagSample>(dir, 'lag.jsonl');
    const replicas = [...new Set(lag.map((s) => s.replica))].sort();
    assert.deepEqual(replicas, ['todo_mysql_slave.1', 'todo_mysql_slave.2'], `lag log:\n${logLines.join('\n')}`);
    for (const st of lagStats(lag, [{ name: 'all', start: t0, end: t1 }])) {
      assert.ok(st.measured >= 30, `${st.replica}: ${st.measured} heartbeat readings in 10 s`);
      assert.equal(st.errors, 0, `${st.replica} had sampler errors`);
      assert.equal(st.stopped, false, `${st.replica} replication stopped`);
      assert.ok(st.maxLagMs! < 2000, `${st.replica} max lag ${st.maxLagMs} ms`);
    }
    // millisecond resolution, not Seconds_Behind_Master's whole seconds
    assert.ok(lag.some((s) => s.heartbeatLagMs !== null && s.heartbeatLagMs % 1000 !== 0));

    // writes: all acknowledged, present on the primary and both replicas
    const writes = readJsonl<WriteRecord>(dir, 'writes.jsonl');
    assert.ok(writes.length >= 45 && writes.length <= 52, `writes: ${writes.length}`);
    assert.ok(writes.filter((w) => w.acknowledged).length >= writes.length - 1);
    const check = await checkLostWrites(context(dir, ac.signal));
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.equal(check.perServer.length, 3);
    for (const s of check.perServer) assert.ok(s.present >= check.acknowledged, `${s.server}: ${s.present} of ${check.acknowledged}`);
    assert.deepEqual(readJson<{ ok: boolean }>(dir, 'writes-check.json').ok, true);

    // read-your-writes lag was measured for the acknowledged creates
    const rw = readJsonl<RwLagSample>(dir, 'rw-lag.jsonl');
    assert.ok(rw.length >= check.acknowledged - 2, `rw-lag samples ${rw.length}`);
    assert.ok(rw.filter((s) => s.visibleMs !== null).length >= rw.length - 1);

    // placement of every service; HAProxy counters before and after
    const placement = readJsonl<PlacementSample>(dir, 'placement.jsonl');
    for (const svc of ['todo_mysql_slave', 'todo_app_api', 'todo_frontend_web']) assert.ok(placement.some((p) => p.service === svc && p.state === 'running'), svc);
    const ha = readJson<HaproxyCounters[]>(dir, 'haproxy.json');
    assert.deepEqual(ha.map((h) => h.label), ['before', 'after']);
    assert.ok(ha[1]!.backends.length > 0);
    const reqs = (h: HaproxyCounters) => h.backends.reduce((n, b) => n + b.requests, 0);
    assert.ok(reqs(ha[1]!) - reqs(ha[0]!) >= 200, 'HAProxy saw the probe traffic');
  });

  it('STOP SLAVE on one replica: reported as stopped, its lag grows; the other stays small', async () => {
    const replicas = await runningTaskContainers(swarm, DB_SERVICES.replica);
    assert.equal(replicas.length, 2);
    const victim: TaskContainer = replicas[0]!;
    const other = replicas[1]!;
    const dir = runDir('stop-slave');
    const ac = new AbortController();
    const m = await startMeasurements(context(dir, ac.signal, { writeRatePerSec: 0, probeRatePerSec: 5, placement: false }));
    let stoppedAt = 0;
    let startedAgain = 0;
    try {
      await sleep(3000);
      m.setFault(`stop-replication:${victim.name}`);
      await queryTask(victim, 'STOP SLAVE');
      stoppedAt = Date.now();
      await sleep(5000);
    } finally {
      await queryTask(victim, 'START SLAVE').catch((e) => logLines.push(`START SLAVE failed: ${e}`));
      startedAgain = Date.now();
      m.setFault(undefined);
    }
    await sleep(3000);
    await m.stop();

    const lag = readJsonl<LagSample>(dir, 'lag.jsonl');
    const phases = [
      { name: 'before', start: 0, end: stoppedAt - 500 },
      { name: 'fault', start: stoppedAt + 500, end: startedAgain },
      { name: 'after', start: startedAgain + 2000, end: Date.now() },
    ];
    const stats = lagStats(lag, phases);
    const get = (phase: string, r: TaskContainer) => stats.find((s) => s.phase === phase && s.replica === r.name)!;
    assert.equal(get('before', victim).stopped, false);
    const during = get('fault', victim);
    assert.equal(during.stopped, true, JSON.stringify(during));
    // the heartbeat on the replica is frozen at STOP SLAVE: lag ~ time since then (5 s), with tolerance
    assert.ok(during.maxLagMs! >= 3500, `victim max lag ${during.maxLagMs} ms`);
    const victimDuring = lag.filter((s) => s.replica === victim.name && s.t > stoppedAt + 500 && s.t < startedAgain && s.heartbeatLagMs !== null);
    assert.ok(victimDuring.at(-1)!.heartbeatLagMs! > victimDuring[0]!.heartbeatLagMs! + 2000, 'lag grows while stopped');
    assert.equal(get('fault', other).stopped, false);
    assert.ok(get('fault', other).maxLagMs! < 2000, `other replica lag ${get('fault', other).maxLagMs} ms`);
    // after START SLAVE it catches up again
    const afterStat = get('after', victim);
    assert.equal(afterStat.stopped, false);
    assert.ok(afterStat.lastLagMs! < 2000, `victim lag after restart ${afterStat.lastLagMs} ms`);
    // samples carry Seconds_Behind_Master side by side: NULL while stopped
    assert.ok(lag.some((s) => s.replica === victim.name && s.t > stoppedAt + 500 && s.t < startedAgain && s.secondsBehindMaster === null));
  });

  after(async () => {
    // leave replication running on every replica whatever happened above
    for (const r of await runningTaskContainers(swarm, DB_SERVICES.replica).catch(() => [])) await queryTask(r, 'START SLAVE').catch(() => undefined);
    await eventually(async () => {
      const states = await Promise.all(
        (await runningTaskContainers(swarm, DB_SERVICES.replica)).map(async (r) => {
          const out = await nodeExec(r.node, ['docker', 'exec', r.containerId, 'tododb-lag'], { timeoutMs: 15_000 });
          return parseLagLine(out.stdout.trim().split('\n').pop() ?? '', Date.now(), r.name);
        }),
      );
      return states.length === 2 && states.every((s) => s.ioRunning && s.sqlRunning && (s.heartbeatLagMs ?? 1e9) < 2000);
    }, 60_000, 'replication running on both replicas');
  });
});
