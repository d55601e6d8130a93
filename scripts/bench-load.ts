// `npm run bench:load`: how many requests/s this machine's load generators reach on one endpoint:
// our bundled api-read scenario (checks, tags, JSON parsing) vs a minimal k6 script vs wrk.
// Closed model (N connections/VUs as fast as they can) for a bounded time each, loopback only.
// Not a test: it prints a table (and --json prints the rows) for the README.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import Table from 'cli-table3';
import { makePlan } from '../load/lib/plan.ts';
import { bundleScenario } from '../load/run/bundle.ts';
import { parseDuration } from '../load/run/config.ts';
import { engineVersion, findLoadEngine, type LoadEngine } from '../load/run/load-engine.ts';
import { checkReachable } from '../load/run/reachability.ts';
import { startFakeTodoServer } from '../load/testing/fake-todo-server.ts';
import defaultSlo from '../load/slo.ts';
import { aptInstall, commandExists } from './lib/engine.ts';
import { ConfigError, runMain } from './lib/errors.ts';
import { step, timed } from './lib/log.ts';

const run = promisify(execFile);

interface Row {
  tool: string;
  requests: number;
  rps: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  errors: number;
}

interface LegacySummary {
  metrics: Record<string, Record<string, number>>;
}

async function engineBench(engine: LoadEngine, script: string, label: string, vus: number, seconds: number, dir: string, env: NodeJS.ProcessEnv): Promise<Row> {
  const out = path.join(dir, `${label.replace(/\W+/g, '-')}.json`);
  await run(
    engine.bin,
    [
      'run',
      '--quiet',
      '--no-color',
      '--no-thresholds',
      '--vus',
      String(vus),
      '--duration',
      `${seconds}s`,
      '--summary-trend-stats',
      'med,p(95),p(99)',
      '--summary-export',
      out,
      script,
    ],
    { env: { ...process.env, ...env, K6_NO_USAGE_REPORT: 'true' }, timeout: (seconds + 60) * 1000, maxBuffer: 64 << 20 },
  );
  const s = JSON.parse(fs.readFileSync(out, 'utf8')) as LegacySummary;
  const reqs = s.metrics.http_reqs;
  const d = s.metrics.http_req_duration;
  const failed = s.metrics.http_req_failed;
  return {
    tool: label,
    requests: reqs.count,
    rps: reqs.rate,
    p50: d.med ?? null,
    p95: d['p(95)'] ?? null,
    p99: d['p(99)'] ?? null,
    errors: failed ? (failed.passes ?? 0) : 0, // http_req_failed counts failures as "passes"
  };
}

function wrkMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

async function wrkBench(url: string, conns: number, seconds: number): Promise<Row> {
  const threads = Math.max(1, Math.min(conns, os.cpus().length));
  const { stdout } = await run('wrk', ['-t', String(threads), '-c', String(conns), '-d', `${seconds}s`, '--latency', url], {
    timeout: (seconds + 30) * 1000,
  });
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    return m ? wrkMs(m[1], m[2]) : null;
  };
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    tool: `wrk (${threads} threads, ${conns} connections)`,
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    p50: pct('50'),
    p95: null, // wrk --latency prints 50/75/90/99
    p99: pct('99'),
    errors: non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

async function main(): Promise<void> {
  const program = new Command('npm run bench:load')
    .description('requests/s of k6 (our api-read bundle and a minimal script) and wrk against one endpoint')
    .option('-t, --target <url>', 'ingress URL (default: the embedded local swarm)')
    .option('--fake', 'use an in-process fake API on loopback instead (the generators’ ceiling, not the app’s)')
    .option('-d, --duration <duration>', 'per tool', '15s')
    .option('-c, --vus <n>', 'k6 VUs = wrk connections', '16')
    .option('--status <status>', 'the list to read', 'TODO')
    .option('--repeat <n>', 'interleaved rounds per tool (the best is reported)', '2')
    .option('--json', 'print the rows as JSON too');
  program.parse();
  const o = program.opts<{ target?: string; fake?: boolean; duration: string; vus: string; status: string; repeat: string; json?: boolean }>();
  const repeat = Number(o.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 5) throw new ConfigError(`--repeat: expected an integer 1..5, got "${o.repeat}"`);
  const seconds = parseDuration(o.duration);
  if (!seconds || seconds > 300) throw new ConfigError(`--duration: expected a duration up to 5m like 15s, got "${o.duration}"`);
  const vus = Number(o.vus);
  if (!Number.isInteger(vus) || vus < 1 || vus > 512) throw new ConfigError(`--vus: expected an integer 1..512, got "${o.vus}"`);
  if (!['TODO', 'PROGRESS', 'DONE'].includes(o.status)) throw new ConfigError(`--status: expected TODO, PROGRESS or DONE, got "${o.status}"`);
  if (!(await commandExists('wrk'))) await timed('installing wrk (apt-get install wrk)', () => aptInstall(['wrk']));

  let target = o.target?.replace(/\/+$/, '');
  const fake = o.fake ? await startFakeTodoServer() : undefined;
  try {
    if (fake) target = fake.url;
    if (!target) {
      const { ensureLocalStack } = await import('./lib/local-swarm.ts');
      target = (await ensureLocalStack()).ingressUrl;
    }
    await checkReachable(target);
    const url = `${target}/api/todo?status=${o.status}`;
    const engine = await findLoadEngine();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
    const bundle = await bundleScenario('api-read', dir);
    const plan = makePlan({ target, scenario: 'api-read', profile: 'smoke', slo: defaultSlo, readStatus: o.status as 'TODO' });
    const minimal = path.join(dir, 'minimal.js');
    fs.writeFileSync(minimal, `import http from 'k6/http';\nexport default function () { http.get(${JSON.stringify(url)}); }\n`);

    // interleaved rounds (A B C A B C ...): other load on the machine only ever lowers a figure,
    // so each tool's best round is reported, with the spread of its rounds
    const tools: [string, () => Promise<Row>][] = [
      [`engine, api-read bundle: ${vus} VUs`, () => engineBench(engine, bundle, `gameday-engine bundled api-read (${vus} VUs)`, vus, seconds, dir, { GAMEDAY_PLAN: JSON.stringify(plan) })],
      [`engine, minimal script: ${vus} VUs`, () => engineBench(engine, minimal, `gameday-engine minimal script (${vus} VUs)`, vus, seconds, dir, {})],
      [`wrk: ${vus} connections`, () => wrkBench(url, vus, seconds)],
    ];
    const rounds: Row[][] = tools.map(() => []);
    for (let round = 1; round <= repeat; round++) {
      for (const [i, [label, fn]] of tools.entries()) {
        step(`round ${round}/${repeat}: ${label} for ${seconds} s against ${url}`);
        rounds[i].push(await fn());
      }
    }
    const rows = rounds.map((rs) => rs.reduce((best, r) => (r.rps > best.rps ? r : best)));
    const spread = rounds.map((rs) => rs.map((r) => r.rps.toFixed(0)).join(' / '));
    const f = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(v >= 100 ? 0 : 1));
    const t = new Table({ head: ['generator', 'req/s (best)', 'rounds req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'], style: { head: [], border: [] } });
    rows.forEach((r, i) => t.push([r.tool, f(r.rps), spread[i], f(r.p50), f(r.p95), f(r.p99), String(r.errors)]));
    const cpus = os.cpus();
    const [l1, l5] = os.loadavg();
    process.stdout.write(
      `\n${url}${fake ? ' (in-process fake API)' : ''}\n${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${await engineVersion(engine)}, ` +
        `${seconds} s per round, ${repeat} rounds, load average ${l1.toFixed(1)} / ${l5.toFixed(1)} (1 / 5 min)\n${t.toString()}\n`,
    );
    if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    await fake?.close();
  }
}

await runMain(main);
