// bench:load's distributed part (issue 13): the requests/s gameday-engine reaches with 1 and with
// 3 generator replicas as a swarm service (load/run/distributed.ts), against cmd/fakeapi deployed as
// a swarm service on the same overlay network (no latency), a minimal constant-VUs script. The
// fake service is removed at the end, as is each load service.
import fs from 'node:fs';
import path from 'node:path';
import { runDistributed } from '../../load/run/distributed.ts';
import { LOAD_LABEL } from '../../load/run/distributed-spec.ts';
import { engineImageOptions, ensureEngineImage } from '../../load/run/engine-image.ts';
import { swarmDocker } from './docker.ts';
import { EnvironmentError } from './errors.ts';
import { createServiceWithAuth } from './registry-auth.ts';

export interface DistributedRow {
  replicas: number;
  requests: number;
  rps: number;
  p95: number;
  failed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function distributedThroughput(o: { engineBin: string; replicas: number[]; vus: number; seconds: number; items: number; dir: string; network?: string; log?: (l: string) => void }): Promise<DistributedRow[]> {
  const docker = swarmDocker();
  const network = o.network ?? (process.env.GAMEDAY_LOAD_NETWORK || 'todoapp');
  const image = await ensureEngineImage(engineImageOptions());
  const fake = `gameday-load-benchfake-${process.pid}`;
  await createServiceWithAuth(docker, {
    Name: fake,
    Labels: { [LOAD_LABEL]: 'bench-fake' },
    TaskTemplate: {
      ContainerSpec: { Image: image, Command: ['/usr/local/bin/gameday-fakeapi', '--in-container', '--addr', '0.0.0.0:8080', '--items', String(o.items), '--max-lifetime', '20m'] },
      RestartPolicy: { Condition: 'none' },
      Networks: [{ Target: network }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr' },
  });
  try {
    for (let i = 0; ; i++) {
      const tasks = (await docker.listTasks({ filters: { service: [fake] } })) as any[];
      if (tasks.some((t) => t.Status?.State === 'running')) break;
      if (i > 120) throw new EnvironmentError(`${fake}: not running after 120 s`);
      await sleep(1000);
    }
    const script = path.join(o.dir, 'bench-distributed.js');
    fs.writeFileSync(
      script,
      `import http from 'k6/http';
export const options = { vus: ${o.vus}, duration: '${o.seconds}s', summaryTrendStats: ['p(95)'] };
export default function () { http.get(__ENV.TARGET + '/api/todo?status=TODO'); }
export function handleSummary(d) { return { [__ENV.SUMMARY_FILE]: JSON.stringify(d) }; }
`,
    );
    const rows: DistributedRow[] = [];
    for (const n of o.replicas) {
      o.log?.(`distributed: ${n} replica(s), ${o.vus} VUs in all for ${o.seconds} s against ${fake} (in the swarm)`);
      const summaryFile = path.join(o.dir, `bench-distributed-${n}.json`);
      const r = await runDistributed({
        docker,
        engineBin: o.engineBin,
        image,
        replicas: n,
        network,
        bundle: script,
        dir: o.dir,
        timeseriesFile: path.join(o.dir, `bench-distributed-${n}.json.gz`),
        replicaEnv: { TARGET: `http://${fake}:8080`, SUMMARY_FILE: '/tmp/summary.json' },
        aggregateEnv: { ...process.env, SUMMARY_FILE: summaryFile },
        engineFlags: [],
        timeoutMs: (o.seconds + 150) * 1000,
        log: () => undefined,
      });
      if (r.code !== 0 || r.warnings.length) throw new EnvironmentError(`${n} replica(s): aggregate exit ${r.code}${r.warnings.length ? `; ${r.warnings.join('; ')}` : ''}`);
      const s = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { metrics: Record<string, { values: Record<string, number> }> };
      rows.push({ replicas: n, requests: s.metrics.http_reqs!.values.count!, rps: s.metrics.http_reqs!.values.rate!, p95: s.metrics.http_req_duration!.values['p(95)']!, failed: s.metrics.http_req_failed?.values.passes ?? 0 });
    }
    return rows;
  } finally {
    await docker.getService(fake).remove().catch(() => undefined);
  }
}
