// `npm run bench:load`: what this machine's load generators reach, and how exactly the engine
// measures. Three parts, printed together (not a test: figures for the README, no assertion):
//   1. throughput: gameday-engine with the bundled api-read scenario (checks, tags, JSON parsing)
//      vs the engine with a minimal script vs wrk, same endpoint, VUs = connections, for a bounded
//      time each, interleaved rounds, best of N; on the fake target (a Go stand-in for the API,
//      load/engine/cmd/fakeapi, so the target is not the bottleneck) and on the real stack
//   2. memory per VU: peak RSS of the engine at two VU counts (bundled scenario, slow fake target)
//   3. accuracy: constant-arrival-rate against the fake with a programmed latency distribution:
//      programmed vs measured p50/p95/p99 and asked vs achieved iterations/s
// Loopback only (the fake listens on 127.0.0.1; the real target is the local swarm unless --target).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { Command } from 'commander';
import Table from 'cli-table3';
import { makePlan } from '../load/lib/plan.ts';
import { bundleScenario } from '../load/run/bundle.ts';
import { parseDuration } from '../load/run/config.ts';
import { engineVersion, findLoadEngine, type LoadEngine } from '../load/run/load-engine.ts';
import { checkReachable } from '../load/run/reachability.ts';
import defaultSlo from '../load/slo.ts';
import {
  bestOf,
  parseProcStatus,
  parseWrk,
  pct,
  perVuMiB,
  ratioGoal,
  relErr,
  rowFromSummary,
  tableQuantile,
  verdict,
  type Goal,
  type SummaryExport,
  type ThroughputRow,
} from './lib/bench-stats.ts';
import { distributedThroughput, type DistributedRow } from './lib/bench-distributed.ts';
import { aptInstall, commandExists } from './lib/engine.ts';
import { ConfigError, EnvironmentError, runMain } from './lib/errors.ts';
import { step, timed } from './lib/log.ts';
import { LOAD_ENGINE_SRC } from './lib/tools.ts';

const run = promisify(execFile);

const LATENCY_TABLE = '0:5,0.5:20,0.95:60,0.99:120,1:150'; // p50/p95/p99 = 20/60/120 ms exactly

interface Opts {
  target?: string;
  fakeOnly?: boolean;
  realOnly?: boolean;
  duration: string;
  vus: string;
  repeat: string;
  status: string;
  items: string;
  memory: boolean;
  memVus: string;
  memDuration: string;
  accuracy: boolean;
  distributed: boolean;
  rate: string;
  accuracyDuration: string;
  latency: string;
  json?: boolean;
}

// --- processes (each bounded in time; only our own children are ever signalled) ---

interface Fake {
  url: string;
  stop(): Promise<void>;
}

async function startFake(bin: string, args: string[], lifetimeS: number): Promise<Fake> {
  const child = spawn(bin, ['--max-lifetime', `${Math.ceil(lifetimeS)}s`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new EnvironmentError(`fakeapi did not start within 10 s: ${stderr.trim()}`)), 10_000);
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new EnvironmentError(`fakeapi exited (${code}) before listening: ${stderr.trim()}`));
    });
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

/** Runs the engine; onStart gets the child (for sampling /proc/<pid>/status). */
async function runEngine(engine: LoadEngine, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, onStart?: (c: ChildProcess) => void): Promise<void> {
  const child = spawn(engine.bin, args, { env: { ...process.env, ...env, K6_NO_USAGE_REPORT: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  onStart?.(child);
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0) throw new EnvironmentError(`${path.basename(engine.bin)} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

function readSummary(file: string): SummaryExport {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SummaryExport;
}

// --- 1. throughput ---

async function engineRound(engine: LoadEngine, script: string, label: string, vus: number, seconds: number, dir: string, env: NodeJS.ProcessEnv): Promise<ThroughputRow> {
  const out = path.join(dir, `tp-${Date.now()}.json`);
  await runEngine(
    engine,
    ['run', '--quiet', '--no-color', '--no-thresholds', '--vus', String(vus), '--duration', `${seconds}s`, '--summary-trend-stats', 'med,p(95),p(99)', '--summary-export', out, script],
    env,
    (seconds + 60) * 1000,
  );
  return rowFromSummary(readSummary(out), label);
}

async function wrkRound(url: string, conns: number, seconds: number): Promise<ThroughputRow> {
  const threads = Math.max(1, Math.min(conns, os.cpus().length));
  const { stdout } = await run('wrk', ['-t', String(threads), '-c', String(conns), '-d', `${seconds}s`, '--latency', url], { timeout: (seconds + 30) * 1000 });
  return parseWrk(stdout, `wrk (${threads} threads, ${conns} connections)`);
}

interface TargetResult {
  target: string;
  url: string;
  rows: { row: ThroughputRow; spread: string }[];
  goals: Goal[];
}

async function throughput(label: string, target: string, o: { engine: LoadEngine; bundle: string; dir: string; vus: number; seconds: number; repeat: number; status: string }): Promise<TargetResult> {
  await checkReachable(target);
  const url = `${target}/api/todo?status=${o.status}`;
  const plan = makePlan({ target, scenario: 'api-read', profile: 'smoke', slo: defaultSlo, readStatus: o.status as 'TODO' });
  const minimal = path.join(o.dir, `minimal-${label.replace(/\W+/g, '-')}.js`);
  fs.writeFileSync(minimal, `import http from 'k6/http';\nexport default function () { http.get(${JSON.stringify(url)}); }\n`);
  const tools: [string, () => Promise<ThroughputRow>][] = [
    ['engine, bundled api-read', () => engineRound(o.engine, o.bundle, `gameday-engine, bundled api-read (${o.vus} VUs)`, o.vus, o.seconds, o.dir, { GAMEDAY_PLAN: JSON.stringify(plan) })],
    ['engine, minimal script', () => engineRound(o.engine, minimal, `gameday-engine, minimal script (${o.vus} VUs)`, o.vus, o.seconds, o.dir, {})],
    ['wrk', () => wrkRound(url, o.vus, o.seconds)],
  ];
  // interleaved rounds (A B C A B C ...): other load on the machine only ever lowers a figure, so
  // each tool's best round is reported, with the spread of its rounds
  const rounds: ThroughputRow[][] = tools.map(() => []);
  for (let round = 1; round <= o.repeat; round++) {
    for (const [i, [name, fn]] of tools.entries()) {
      step(`${label}, round ${round}/${o.repeat}: ${name} for ${o.seconds} s against ${url}`);
      rounds[i].push(await fn());
    }
  }
  const rows = rounds.map((rs) => {
    const { best, spread } = bestOf(rs);
    return { row: best, spread };
  });
  const [bundled, minimalRow, wrk] = rows.map((r) => r.row.rps);
  return {
    target: label,
    url,
    rows,
    goals: [ratioGoal('bundled / minimal', bundled, minimalRow, 0.9), ratioGoal('minimal / wrk', minimalRow, wrk, 0.5)],
  };
}

// --- 2. memory per VU ---

interface MemRun {
  vus: number;
  peakMiB: number;
  rps: number;
}

async function memoryRun(engine: LoadEngine, bundle: string, env: NodeJS.ProcessEnv, vus: number, seconds: number, dir: string): Promise<MemRun> {
  const out = path.join(dir, `mem-${vus}.json`);
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  const sample = (pid: number) => {
    try {
      const { rssMiB, hwmMiB } = parseProcStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      peak = Math.max(peak, hwmMiB ?? 0, rssMiB ?? 0);
    } catch {
      /* exited */
    }
  };
  await runEngine(
    engine,
    ['run', '--quiet', '--no-color', '--no-thresholds', '--vus', String(vus), '--duration', `${seconds}s`, '--summary-export', out, bundle],
    env,
    (seconds + 60) * 1000,
    (child) => {
      if (child.pid !== undefined) {
        const pid = child.pid;
        timer = setInterval(() => sample(pid), 100);
        child.once('exit', () => clearInterval(timer));
      }
    },
  ).finally(() => clearInterval(timer));
  return { vus, peakMiB: peak, rps: rowFromSummary(readSummary(out), '').rps };
}

// --- 3. accuracy ---

interface Accuracy {
  rate: number;
  seconds: number;
  latency: string;
  programmed: Record<'p50' | 'p95' | 'p99', number>;
  applied: Record<'p50' | 'p95' | 'p99', number | null>;
  measured: Record<'p50' | 'p95' | 'p99', number | null>;
  iterations: number;
  dropped: number;
  achieved: number;
}

async function accuracy(engine: LoadEngine, fake: Fake, o: { rate: number; seconds: number; latency: string; dir: string; status: string }): Promise<Accuracy> {
  const url = `${fake.url}/api/todo?status=${o.status}`;
  const script = path.join(o.dir, 'accuracy.js');
  const preAllocated = Math.max(20, Math.ceil(o.rate * 0.5)); // enough for 0.5 s answers
  const options = {
    scenarios: {
      accuracy: { executor: 'constant-arrival-rate', rate: o.rate, timeUnit: '1s', duration: `${o.seconds}s`, preAllocatedVUs: preAllocated, maxVUs: preAllocated * 2, gracefulStop: '5s' },
    },
  };
  fs.writeFileSync(script, `import http from 'k6/http';\nexport const options = ${JSON.stringify(options)};\nexport default function () { http.get(${JSON.stringify(url)}); }\n`);
  await fetch(`${fake.url}/__applied?reset=1`); // forget the reachability probes
  const out = path.join(o.dir, 'accuracy-summary.json');
  step(`accuracy: constant-arrival-rate ${o.rate}/s for ${o.seconds} s against ${url} (latency ${o.latency})`);
  await runEngine(engine, ['run', '--quiet', '--no-color', '--no-thresholds', '--summary-trend-stats', 'med,p(95),p(99)', '--summary-export', out, script], {}, (o.seconds + 90) * 1000);
  const applied = (await (await fetch(`${fake.url}/__applied`)).json()) as Record<string, number>;
  const m = readSummary(out).metrics;
  const d = m.http_req_duration ?? {};
  const iterations = m.iterations?.count ?? 0;
  return {
    rate: o.rate,
    seconds: o.seconds,
    latency: o.latency,
    programmed: { p50: tableQuantile(o.latency, 0.5), p95: tableQuantile(o.latency, 0.95), p99: tableQuantile(o.latency, 0.99) },
    applied: { p50: applied.p50 ?? null, p95: applied.p95 ?? null, p99: applied.p99 ?? null },
    measured: { p50: d.med ?? null, p95: d['p(95)'] ?? null, p99: d['p(99)'] ?? null },
    iterations,
    dropped: m.dropped_iterations?.count ?? 0,
    achieved: iterations / o.seconds,
  };
}

// --- main ---

function intOpt(name: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new ConfigError(`--${name}: expected an integer ${lo}..${hi}, got "${v}"`);
  return n;
}

function secondsOpt(name: string, v: string, max: number): number {
  const s = parseDuration(v);
  if (!s || s > max) throw new ConfigError(`--${name}: expected a duration up to ${max} s like 10s, got "${v}"`);
  return s;
}

async function main(): Promise<void> {
  const program = new Command('npm run bench:load')
    .description('throughput of gameday-engine (bundled api-read, minimal script) vs wrk on a fake and the real target, memory per VU, accuracy against a programmed latency')
    .option('-t, --target <url>', 'real target (default: the embedded local swarm)')
    .option('--fake-only', 'throughput on the fake target only (no real stack)')
    .option('--real-only', 'throughput on the real target only')
    .option('-d, --duration <duration>', 'per throughput round', '10s')
    .option('-c, --vus <n>', 'engine VUs = wrk connections', '16')
    .option('--repeat <n>', 'interleaved throughput rounds per tool (the best is reported)', '3')
    .option('--status <status>', 'the list to read', 'TODO')
    .option('--items <n>', 'items in the fake API’s lists (todoapi’s default page is 100)', '100')
    .option('--no-memory', 'skip the memory-per-VU runs')
    .option('--mem-vus <a,b>', 'the two VU counts of the memory runs', '10,210')
    .option('--mem-duration <duration>', 'per memory run', '10s')
    .option('--no-accuracy', 'skip the accuracy run')
    .option('--rate <n>', 'accuracy: constant arrival rate, iterations/s', '200')
    .option('--accuracy-duration <duration>', 'accuracy: scenario duration', '30s')
    .option('--latency <table>', 'accuracy: the fake’s latency as a quantile table q:ms,...', LATENCY_TABLE)
    .option('--no-distributed', 'skip requests/s with 1 and 3 generator replicas as a swarm service (needs the swarm)')
    .option('--json', 'print the results as JSON too');
  program.parse();
  const o = program.opts<Opts>();
  if (o.fakeOnly && o.realOnly) throw new ConfigError('--fake-only and --real-only: expected at most one of them');
  const repeat = intOpt('repeat', o.repeat, 1, 5);
  const seconds = secondsOpt('duration', o.duration, 300);
  const vus = intOpt('vus', o.vus, 1, 512);
  const items = intOpt('items', o.items, 0, 1000);
  const memVus = o.memVus.split(',').map((v) => intOpt('mem-vus', v.trim(), 1, 1000));
  if (memVus.length !== 2 || memVus[0] === memVus[1]) throw new ConfigError(`--mem-vus: expected two different VU counts like 10,210, got "${o.memVus}"`);
  const memSeconds = secondsOpt('mem-duration', o.memDuration, 120);
  const rate = intOpt('rate', o.rate, 1, 5000);
  const accSeconds = secondsOpt('accuracy-duration', o.accuracyDuration, 300);
  try {
    tableQuantile(o.latency, 0.5);
  } catch (err) {
    throw new ConfigError(`--latency: ${(err as Error).message}`);
  }
  if (!['TODO', 'PROGRESS', 'DONE'].includes(o.status)) throw new ConfigError(`--status: expected TODO, PROGRESS or DONE, got "${o.status}"`);
  if (!(await commandExists('wrk'))) await timed('installing wrk (apt-get install wrk)', () => aptInstall(['wrk']));

  const engine = await findLoadEngine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
  const fakes: Fake[] = [];
  const load0 = os.loadavg();
  try {
    const fakeBin = path.join(dir, 'fakeapi');
    await timed('building the fake API (load/engine/cmd/fakeapi)', () =>
      run('go', ['build', '-trimpath', '-o', fakeBin, './cmd/fakeapi'], { cwd: LOAD_ENGINE_SRC, env: { ...process.env, CGO_ENABLED: '0' }, timeout: 300_000 }),
    );
    const bundle = await bundleScenario('api-read', dir);
    // the fakes live as long as the whole benchmark may take, at most
    const lifetime = 2 * repeat * 3 * (seconds + 5) + 2 * (memSeconds + 10) + accSeconds + 120;
    const startFakeApi = async (args: string[]) => {
      const f = await startFake(fakeBin, ['--items', String(items), ...args], lifetime);
      fakes.push(f);
      return f;
    };

    // a part that fails is named at the end; the others are still printed
    const failures: string[] = [];
    const attempt = async <T>(part: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        failures.push(`${part}: ${(err as Error).message}`);
        return undefined;
      }
    };
    const tp: TargetResult[] = [];
    const tpOpts = { engine, bundle, dir, vus, seconds, repeat, status: o.status };
    if (!o.realOnly) {
      const fake = await startFakeApi([]);
      const r = await attempt('throughput on the fake target', () => throughput(`fake (Go fakeapi, ${items} items)`, fake.url, tpOpts));
      if (r) tp.push(r);
      await fake.stop();
    }
    if (!o.fakeOnly) {
      const r = await attempt('throughput on the real target', async () => {
        let target = o.target?.replace(/\/+$/, '');
        if (!target) {
          const { ensureLocalStack } = await import('./lib/local-swarm.ts');
          target = (await ensureLocalStack()).ingressUrl;
        }
        return throughput(`real (${target})`, target, tpOpts);
      });
      if (r) tp.push(r);
    }

    let mem: { runs: MemRun[]; perVu: number; latency: string } | undefined;
    if (o.memory) {
      const latency = '100ms'; // VUs stay alive and busy but the CPU is not the limit
      const fake = await startFakeApi(['--latency', latency]);
      const plan = makePlan({ target: fake.url, scenario: 'api-read', profile: 'smoke', slo: defaultSlo, readStatus: o.status as 'TODO' });
      mem = await attempt('memory per VU', async () => {
        const runs: MemRun[] = [];
        for (const n of memVus) {
          step(`memory: bundled api-read, ${n} VUs for ${memSeconds} s against the fake API (${latency} per answer)`);
          runs.push(await memoryRun(engine, bundle, { GAMEDAY_PLAN: JSON.stringify(plan) }, n, memSeconds, dir));
        }
        return { runs, perVu: perVuMiB(runs[0], runs[1]), latency };
      });
      await fake.stop();
    }

    let acc: Accuracy | undefined;
    if (o.accuracy) {
      const fake = await startFakeApi(['--latency', o.latency]);
      acc = await attempt('accuracy', () => accuracy(engine, fake, { rate, seconds: accSeconds, latency: o.latency, dir, status: o.status }));
      await fake.stop();
    }

    let dist: DistributedRow[] | undefined;
    if (o.distributed && !o.fakeOnly) {
      dist = await attempt('distributed generators', () => distributedThroughput({ engineBin: engine.bin, replicas: [1, 3], vus: vus * 3, seconds, items, dir, log: step }));
    }

    // --- report ---
    const load1 = os.loadavg();
    const cpus = os.cpus();
    const f = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2));
    const plain = { style: { head: [], border: [] } };
    let text =
      `\n${await engineVersion(engine)}, wrk, ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}; load average ` +
      `${load0[0].toFixed(1)} / ${load0[1].toFixed(1)} at the start, ${load1[0].toFixed(1)} / ${load1[1].toFixed(1)} at the end (1 / 5 min)\n`;
    if (tp.length) {
      text += `\nThroughput: ${vus} VUs = connections, ${seconds} s per round, best of ${repeat} interleaved rounds (all rounds' req/s shown)\n`;
      const t = new Table({ head: ['target', 'generator', 'req/s', 'rounds req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'], ...plain });
      for (const r of tp) for (const { row, spread } of r.rows) t.push([r.target, row.tool, f(row.rps), spread, f(row.p50), f(row.p95), f(row.p99), String(row.errors)]);
      const g = new Table({ head: ['target', 'bundled / minimal (goal ≥ 90%)', 'minimal / wrk (goal ≥ 50%)'], ...plain });
      for (const r of tp) g.push([r.target, ...r.goals.map((x) => `${pct(x.ratio)} ${x.ratio === null ? '' : verdict(x.met)}`)]);
      text += `${t.toString()}\n${g.toString()}\n`;
    }
    if (mem) {
      text += `\nMemory: bundled api-read, constant VUs for ${memSeconds} s each, fake API answering in ${mem.latency}; peak RSS = max of VmHWM/VmRSS sampled every 100 ms\n`;
      const t = new Table({ head: ['VUs', 'peak RSS MiB', 'req/s'], ...plain });
      for (const r of mem.runs) t.push([String(r.vus), f(r.peakMiB), f(r.rps)]);
      t.push([`per VU (${mem.runs[1].vus} − ${mem.runs[0].vus})`, `${mem.perVu.toFixed(3)} MiB/VU`, '']);
      text += `${t.toString()}\n`;
    }
    if (acc) {
      text +=
        `\nAccuracy: constant-arrival-rate ${acc.rate}/s for ${acc.seconds} s, fake API latency table ${acc.latency}\n` +
        `("applied" = the delays the fake really waited, timer lateness included; the goal compares measured with programmed)\n`;
      const t = new Table({ head: ['', 'programmed', 'applied by fake', 'measured', 'error vs programmed', 'vs applied', 'goal', ''], ...plain });
      for (const k of ['p50', 'p95', 'p99'] as const) {
        const e = relErr(acc.measured[k], acc.programmed[k]);
        t.push([`http_req_duration ${k} ms`, f(acc.programmed[k]), f(acc.applied[k]), f(acc.measured[k]), pct(e, 2), pct(relErr(acc.measured[k], acc.applied[k]), 2), '≤ 2%', e === null ? '' : verdict(e <= 0.02)]);
      }
      const ie = relErr(acc.achieved, acc.rate);
      t.push([`iterations/s (${acc.iterations} in ${acc.seconds} s, ${acc.dropped} dropped)`, String(acc.rate), '', acc.achieved.toFixed(2), pct(ie, 2), '', '≤ 1%', ie === null ? '' : verdict(ie <= 0.01)]);
      text += `${t.toString()}\n`;
    }
    if (dist) {
      text += `\nDistributed: gameday-engine as a swarm service, ${vus * 3} VUs in all for ${seconds} s against cmd/fakeapi in the swarm (same overlay network)\n`;
      const t = new Table({ head: ['generator replicas', 'requests', 'req/s', 'p95 ms', 'failed'], ...plain });
      for (const r of dist) t.push([String(r.replicas), String(r.requests), f(r.rps), f(r.p95), String(r.failed)]);
      text += `${t.toString()}\n`;
    }
    process.stdout.write(text);
    if (o.json) process.stdout.write(`${JSON.stringify({ throughput: tp, memory: mem, accuracy: acc, distributed: dist, loadavg: { start: load0, end: load1 }, failures })}\n`);
    if (failures.length) throw new EnvironmentError(`bench:load: ${failures.length} part(s) failed:\n  ${failures.join('\n  ')}`);
  } finally {
    for (const fk of fakes) await fk.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await runMain(main);
