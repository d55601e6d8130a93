// Distributed load (issue 13) on the local swarm: the engine image, cmd/fakeapi as a swarm service
// on the app's overlay network (programmed latency), and the same constant-arrival-rate test run
// once as a single replica inside the swarm and once as three: merged request count within 1 % and
// p50/p95/p99 within 5 % of the single run; a threshold that only the merged data crosses fails it
// (each replica passes its own share); then `npm run load -- --distributed 2` leaves one run folder.
// Every service this file creates is removed at the end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runDistributed, type DistributedResult } from '../../load/run/distributed.ts';
import { LOAD_LABEL } from '../../load/run/distributed-spec.ts';
import { ensureEngineImage } from '../../load/run/engine-image.ts';
import { DEFAULT_LOAD_NETWORK } from '../../load/run/index.ts';
import { findLoadEngine } from '../../load/run/load-engine.ts';
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { createServiceWithAuth } from '../../scripts/lib/registry-auth.ts';
import { readJson, type RunMeta } from '../../scripts/lib/run-folder.ts';
import { eventually, repoRoot, runTsx } from '../helpers/run.ts';

const outRoot = path.join(repoRoot, 'test-artifacts', 'distributed');
const docker = swarmDocker();
const FAKE = `gameday-load-fake-${process.pid}`;
// delays large against the scheduling jitter of a busy 2-core machine (tens of ms at worst)
const LATENCY = '0:40,0.5:100,0.95:200,0.99:300,1:350';
const RATE = 150;
const SECONDS = 20;

const SCRIPT = `
import http from 'k6/http';
export const options = {
  scenarios: { car: { executor: 'constant-arrival-rate', rate: ${RATE}, timeUnit: '1s', duration: '${SECONDS}s', preAllocatedVUs: 40, maxVUs: 120 } },
  // the whole test makes ${RATE * SECONDS} requests: one of three replicas (1000) stays under it, the merged data does not
  thresholds: { http_reqs: ['count<${Math.round(RATE * SECONDS * 0.8)}'], http_req_failed: ['rate<0.01'] },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'count'],
};
export default function () { http.get(__ENV.TARGET + '/api/todo?status=TODO'); }
export function handleSummary(data) { return { [__ENV.SUMMARY_FILE]: JSON.stringify(data) }; }
`;

interface Summary {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

describe('distributed load: the engine as a swarm service, merged into one run', { timeout: 15 * 60_000 }, () => {
  let image: string;
  let engineBin: string;
  const summaries: Record<string, Summary> = {};
  const results: Record<string, DistributedResult> = {};

  before(async () => {
    fs.rmSync(outRoot, { recursive: true, force: true });
    fs.mkdirSync(outRoot, { recursive: true });
    image = await ensureEngineImage();
    engineBin = (await findLoadEngine()).bin;
    await createServiceWithAuth(docker, {
      Name: FAKE,
      Labels: { [LOAD_LABEL]: 'fake' },
      TaskTemplate: {
        ContainerSpec: { Image: image, Command: ['/usr/local/bin/gameday-fakeapi', '--in-container', '--addr', '0.0.0.0:8080', '--latency', LATENCY, '--max-lifetime', '15m'] },
        RestartPolicy: { Condition: 'none' },
        Networks: [{ Target: DEFAULT_LOAD_NETWORK }],
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    } as any);
    await eventually(async () => {
      const tasks = (await docker.listTasks({ filters: { service: [FAKE] } })) as any[];
      return tasks.some((t) => t.Status?.State === 'running');
    }, 120_000, 'the fakeapi task running', 1000);
  });

  after(async () => {
    await docker.getService(FAKE).remove().catch(() => undefined);
    const left = (await docker.listServices({ filters: { label: [LOAD_LABEL] } })) as any[];
    assert.deepEqual(left.map((s) => s.Spec?.Name), [], 'distributed-load services left on the swarm');
  });

  async function run(n: number): Promise<void> {
    const dir = path.join(outRoot, `n${n}`);
    fs.mkdirSync(dir, { recursive: true });
    const bundle = path.join(dir, 'script.js');
    fs.writeFileSync(bundle, SCRIPT);
    const summaryFile = path.join(dir, 'k6-summary.json');
    const log = fs.createWriteStream(path.join(dir, 'k6.log'));
    results[n] = await runDistributed({
      docker,
      engineBin,
      image,
      replicas: n,
      network: DEFAULT_LOAD_NETWORK,
      bundle,
      dir,
      timeseriesFile: path.join(dir, 'k6-timeseries.json.gz'),
      replicaEnv: { TARGET: `http://${FAKE}:8080`, SUMMARY_FILE: '/tmp/summary.json' },
      aggregateEnv: { ...process.env, SUMMARY_FILE: summaryFile },
      engineFlags: [],
      timeoutMs: 4 * 60_000,
      log: (l) => log.write(`${l}\n`),
    });
    await new Promise((r) => log.end(r));
    summaries[n] = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Summary;
  }

  it('runs the test as one replica inside the swarm, then as three', async () => {
    await run(1);
    await run(3);
    for (const n of [1, 3]) {
      const r = results[n]!;
      assert.equal(r.replicas.length, n, `N=${n}: replicas ${JSON.stringify(r.replicas)}`);
      assert.deepEqual(r.warnings, [], `N=${n}: warnings`);
      for (const rep of r.replicas) assert.equal(rep.lines, rep.expected, `N=${n} replica ${rep.slot}: every metric line arrived`);
      assert.ok(fs.statSync(path.join(outRoot, `n${n}`, 'k6-timeseries.json.gz')).size > 1000, 'merged time series written');
    }
  });

  it('merged: request count within 1 %, p50/p95/p99 within 5 % of the single run', () => {
    const one = summaries[1]!.metrics;
    const three = summaries[3]!.metrics;
    const rows: string[] = [];
    const reqs1 = one.http_reqs!.values.count!;
    const reqs3 = three.http_reqs!.values.count!;
    rows.push(`http_reqs ${reqs1} vs ${reqs3}`);
    for (const p of ['p(50)', 'p(95)', 'p(99)']) rows.push(`${p} ${one.http_req_duration!.values[p]!.toFixed(2)} vs ${three.http_req_duration!.values[p]!.toFixed(2)} ms`);
    console.log(`N=1 vs N=3: ${rows.join('; ')}`);
    assert.ok(Math.abs(reqs3 - reqs1) <= reqs1 * 0.01, `request count: ${reqs1} vs ${reqs3}`);
    for (const p of ['p(50)', 'p(95)', 'p(99)']) {
      const a = one.http_req_duration!.values[p]!;
      const b = three.http_req_duration!.values[p]!;
      assert.ok(Math.abs(b - a) <= a * 0.05, `http_req_duration ${p}: ${a} vs ${b}`);
    }
    assert.equal(three.http_req_failed!.thresholds!['rate<0.01']!.ok, true);
  });

  it('applies the thresholds to the whole: each replica passes its share, the merged run fails (99)', () => {
    const r = results[3]!;
    const expr = `count<${Math.round(RATE * SECONDS * 0.8)}`;
    assert.deepEqual(r.replicas.map((x) => x.exitCode), [0, 0, 0], 'each replica alone stays under the threshold');
    assert.equal(r.code, 99);
    assert.equal(summaries[3]!.metrics.http_reqs!.thresholds![expr]!.ok, false);
    assert.equal(results[1]!.code, 99, 'as the single run');
  });

  it('npm run load -- --distributed 2 leaves one run folder with the merged summary', async () => {
    const outDir = path.join(outRoot, 'cli');
    const r = await runTsx('load/cli.ts', ['--distributed', '2', '--target', `http://${FAKE}:8080`, '-s', 'api-read', '-p', 'smoke', '-d', '10s', '--out-dir', outDir], { timeoutMs: 5 * 60_000 });
    const dirs = fs.readdirSync(outDir);
    assert.equal(dirs.length, 1, dirs.join(','));
    const dir = path.join(outDir, dirs[0]!);
    const meta = readJson<RunMeta>(dir, 'run.json');
    assert.equal(meta.status, 'completed', `${r.stdout}\n${r.stderr}`);
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'k6-summary.json'), 'utf8')) as Summary;
    assert.ok(s.metrics.http_reqs!.values.count! > 0);
    assert.ok(fs.existsSync(path.join(dir, 'k6-timeseries.json.gz')));
    assert.match(fs.readFileSync(path.join(dir, 'k6.log'), 'utf8'), /\[replica 2\]/);
  });
});
