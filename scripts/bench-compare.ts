// npm run bench:compare -- [--runs N] [--profile P] [--duration D] [--slowdown F] [--from DIR...]
//
// Measures the comparison rule (reports/compare.ts) on this machine: N short real `npm run load`
// runs of the same build against the embedded default (http://127.0.0.1:18080), then
//   false-alarm rate = share of same-build pairs the rule calls a regression;
//   detection rate   = share of pairs flagged after slowing the candidate's latency samples
//                      (every per-bucket value and aggregate) by --slowdown (default 1.2 = +20 %).
// Also prints the rule without its noise margin and a bare "p95 +10 %" rule on the same pairs, and
// the run-to-run spread it measured.
// --ab: instead, both rules on real samples with real planted slowdowns, from one A/B session on
// the swarm (scripts/ab/bench.ts: A/A, then +5/10/20 % of p95 per request; see README). Runtime is bounded: --runs (max 12) x (duration + setup),
// each k6 run killed after duration + 3 min. --from reuses existing run folders instead of running.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { toBaseline, type Baseline } from '../reports/baseline.ts';
import { DEFAULT_PARAMS, compare, scaleLatency, type CompareParams } from '../reports/compare.ts';
import { loadRun } from '../reports/load-run.ts';
import { median } from '../reports/stats.ts';
import { defaults } from './lib/defaults.ts';
import { ConfigError, ExitCode, UnreachableError, runMain } from './lib/errors.ts';
import { info, ok, step, warn } from './lib/log.ts';
import { runAbBench } from './ab/bench.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Opts {
  runs: number;
  profile: string;
  scenario: string;
  duration: string;
  target: string;
  slowdown: number;
  outDir: string;
  from?: string[];
  loadArg: string[];
  ab?: boolean;
  abFrom?: string;
  abBlocks: number;
  abWindow: number;
  abBlockMs: number;
  abRate: number;
  abSlowdowns: number[];
  abTrials: number;
  abTrialBlocks: number;
}

function int(flag: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
}

function seconds(d: string): number {
  const m = /^(\d+)(s|m)?$/.exec(d);
  if (!m) throw new ConfigError(`--duration: expected e.g. 30s or 2m, got ${JSON.stringify(d)}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** One real `npm run load`; returns its run folder. */
function runLoad(o: Opts, i: number): string {
  const out = path.join(o.outDir, `run-${String(i + 1).padStart(2, '0')}`);
  fs.mkdirSync(out, { recursive: true });
  const args = ['--import', 'tsx', path.join(repo, 'load', 'cli.ts'), '--profile', o.profile, '--scenario', o.scenario, '--duration', o.duration, '--target', o.target, '--out-dir', out, ...o.loadArg];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', timeout: (seconds(o.duration) + 180) * 1000 });
  if (r.error) throw new Error(`npm run load (run ${i + 1}) did not finish: ${r.error.message}`);
  // 0 pass, 1 a threshold failed: both are data; anything else means no usable run
  if (r.status === ExitCode.unreachable) throw new UnreachableError(`${o.target} did not answer (run npm run stack:up first): ${r.stderr.slice(-500)}`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`npm run load exited ${r.status}: ${r.stderr.slice(-1500)}`);
  const dirs = fs.readdirSync(out).filter((d) => fs.existsSync(path.join(out, d, 'run.json')));
  if (dirs.length !== 1) throw new Error(`expected one run folder in ${out}, got ${dirs.length}`);
  info(`run ${i + 1}/${o.runs}: exit ${r.status}, ${((Date.now() - t0) / 1000).toFixed(0)} s -> ${path.relative(repo, path.join(out, dirs[0]))}`);
  return path.join(out, dirs[0]);
}

function naiveRegressed(a: Baseline, b: Baseline, threshold: number): boolean {
  return b.endpoints.some((e) => {
    const x = a.endpoints.find((y) => y.endpoint === e.endpoint);
    return !!x && x.latency.p95 !== null && e.latency.p95 !== null && e.latency.p95 / x.latency.p95 - 1 >= threshold;
  });
}

function rates(runs: Baseline[], slowdown: number, params: CompareParams | 'naive') {
  let pairs = 0;
  let falseAlarms = 0;
  let detected = 0;
  const flagged = new Map<string, number>();
  for (let i = 0; i < runs.length; i++)
    for (let j = 0; j < runs.length; j++) {
      if (i === j) continue;
      pairs++;
      const slow = scaleLatency(runs[j], slowdown);
      if (params === 'naive') {
        if (naiveRegressed(runs[i], runs[j], DEFAULT_PARAMS.minEffect)) falseAlarms++;
        if (naiveRegressed(runs[i], slow, DEFAULT_PARAMS.minEffect)) detected++;
        continue;
      }
      const same = compare(runs[i], runs[j], params);
      if (same.regressed) {
        falseAlarms++;
        for (const r of same.rows.filter((x) => x.outcome === 'regression')) flagged.set(`${r.endpoint} ${r.metric}`, (flagged.get(`${r.endpoint} ${r.metric}`) ?? 0) + 1);
      }
      if (compare(runs[i], slow, params).regressed) detected++;
    }
  return { pairs, falseAlarms, detected, flagged };
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench:compare')
    .description('false-alarm and detection rates of the comparison rule on repeated real runs')
    .addOption(new Option('--runs <n>', 'real runs of the same build (pairs = n x (n-1), ordered)').default(4).argParser(int('--runs', 2, 12)))
    .option('--profile <name>', 'load profile of each run', 'load')
    .option('--scenario <name>', 'scenario of each run', 'mixed')
    .option('--duration <d>', 'length of each run (npm run load --duration)', '30s')
    .option('--target <url>', 'ingress URL (the embedded default)', defaults.target.ingressUrl)
    .addOption(new Option('--slowdown <factor>', 'latency factor injected for the detection rate').default(1.2).argParser((v) => {
      const n = Number(v);
      if (!(n > 1 && n < 10)) throw new ConfigError(`--slowdown: expected a factor between 1 and 10, e.g. 1.2, got ${JSON.stringify(v)}`);
      return n;
    }))
    .option('--out-dir <dir>', 'where the run folders go', path.join('test-artifacts', 'bench-compare', new Date().toISOString().replace(/[:.]/g, '-')))
    .option('--from <dirs...>', 'use these existing run folders instead of running k6')
    .option('--load-arg <arg>', 'extra flag for npm run load, repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--ab-from <dir>', 're-analyse the samples of an earlier --ab run (its --out-dir)')
    .option('--ab', 'measure the A/B rule and the run-vs-baseline rule on real A/B samples with planted slowdowns (npm run ab\'s stack)')
    .addOption(new Option('--ab-blocks <n>', 'blocks per phase (--ab)').default(160).argParser(int('--ab-blocks', 16, 2000)))
    .addOption(new Option('--ab-window <n>', 'blocks per trial window, a multiple of 4 (--ab)').default(32).argParser(int('--ab-window', 20, 2000)))
    .addOption(new Option('--ab-block-ms <ms>', 'block length (--ab)').default(1000).argParser(int('--ab-block-ms', 250, 60_000)))
    .addOption(new Option('--ab-rate <n>', 'requests/s (--ab)').default(60).argParser(int('--ab-rate', 1, 2000)))
    .addOption(new Option('--ab-trials <n>', 'resampled CI-size trials per phase, 0 = none (--ab; see scripts/ab/resample.ts)').default(0).argParser(int('--ab-trials', 0, 100_000)))
    .addOption(new Option('--ab-trial-blocks <n>', 'blocks per side of a resampled trial, a multiple of 4 (--ab)').default(160).argParser(int('--ab-trial-blocks', 16, 2000)))
    .addOption(new Option('--ab-slowdowns <list>', 'planted delays as shares of the baseline p95 (--ab)').default([0.05, 0.1, 0.2]).argParser((v: string) => {
      const xs = v.split(',').map(Number);
      if (!xs.length || xs.some((x) => !(x > 0 && x < 5))) throw new ConfigError(`--ab-slowdowns: expected comma-separated shares between 0 and 5, e.g. 0.05,0.1,0.2, got ${JSON.stringify(v)}`);
      return xs;
    }))
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'commander.helpDisplayed') return 0;
    throw new ConfigError(`${(e.message ?? String(err)).replace(/^error: /, '')} (npm run bench:compare -- --help)`);
  }
  const o = program.opts<Opts>();
  if (o.ab || o.abFrom) {
    if (o.abWindow % 4 || o.abWindow > o.abBlocks) throw new ConfigError(`--ab-window: expected a multiple of 4 up to --ab-blocks ${o.abBlocks}, got ${o.abWindow}`);
    if (o.abTrialBlocks % 4) throw new ConfigError(`--ab-trial-blocks: expected a multiple of 4, got ${o.abTrialBlocks}`);
    return runAbBench({ blocks: o.abBlocks, window: o.abWindow, blockMs: o.abBlockMs, rate: o.abRate, slowdowns: o.abSlowdowns, outDir: o.outDir, from: o.abFrom, trials: o.abTrials, trialBlocks: o.abTrialBlocks });
  }
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\/?$/.test(o.target))
    throw new ConfigError(`--target: expected a loopback URL (this benchmark only loads the local embedded default), got ${JSON.stringify(o.target)}`);
  seconds(o.duration);

  let dirs: string[];
  if (o.from?.length) {
    dirs = o.from.map((d) => path.resolve(d));
    if (dirs.length < 2) throw new ConfigError(`--from: expected at least 2 run folders, got ${dirs.length}`);
    o.runs = dirs.length;
  } else {
    step(`${o.runs} real runs: npm run load --profile ${o.profile} --scenario ${o.scenario} --duration ${o.duration} --target ${o.target}`);
    dirs = [];
    for (let i = 0; i < o.runs; i++) dirs.push(runLoad(o, i));
  }
  const runs: Baseline[] = [];
  for (const d of dirs) runs.push(toBaseline(await loadRun(d), path.basename(d)));

  // run-to-run spread: how much one build's whole-run percentiles move between runs
  step('run-to-run spread of whole-run percentiles (same build)');
  for (const e of runs[0].endpoints) {
    const spread = (k: 'p50' | 'p95') => {
      const v = runs.map((r) => r.endpoints.find((x) => x.endpoint === e.endpoint)?.latency[k]).filter((x): x is number => typeof x === 'number');
      const m = median(v)!;
      return `${k} ${m.toFixed(2)} ms (range ${((Math.min(...v) / m - 1) * 100).toFixed(0)}%..+${((Math.max(...v) / m - 1) * 100).toFixed(0)}%)`;
    };
    info(`${e.endpoint.padEnd(13)} ${spread('p50')}, ${spread('p95')}, buckets with requests: ${e.buckets.p95.length}`);
  }

  const variants: [string, CompareParams | 'naive'][] = [
    [`rule (default: min effect ${DEFAULT_PARAMS.minEffect * 100}%, noise margin ${DEFAULT_PARAMS.noiseMargin * 100}%, alpha ${DEFAULT_PARAMS.alpha})`, DEFAULT_PARAMS],
    ['rule without the noise margin', { ...DEFAULT_PARAMS, noiseMargin: 0 }],
    ['bare "any endpoint p95 +10 %"', 'naive'],
  ];
  const report: Record<string, unknown>[] = [];
  const what = o.from?.length ? `${runs.length} given run folders` : `${runs.length} real runs (${o.profile}/${o.scenario}, ${o.duration} each)`;
  process.stdout.write(`\nComparison rule on ${what}, injected slowdown x${o.slowdown}:\n\n`);
  process.stdout.write(`| rule | same-build pairs | false alarms | detection of x${o.slowdown} |\n| --- | ---: | ---: | ---: |\n`);
  for (const [name, params] of variants) {
    const r = rates(runs, o.slowdown, params);
    report.push({ rule: name, pairs: r.pairs, falseAlarms: r.falseAlarms, detected: r.detected, flagged: Object.fromEntries(r.flagged) });
    process.stdout.write(`| ${name} | ${r.pairs} | ${r.falseAlarms} (${((100 * r.falseAlarms) / r.pairs).toFixed(1)}%) | ${r.detected} (${((100 * r.detected) / r.pairs).toFixed(1)}%) |\n`);
    if (params !== 'naive' && r.flagged.size) warn(`false alarms of "${name}" came from: ${[...r.flagged.entries()].map(([k, v]) => `${k} x${v}`).join(', ')}`);
  }
  process.stdout.write('\n');
  const outFile = path.join(o.from?.length ? path.resolve(o.outDir) : o.outDir, 'bench-compare.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify({ options: { ...o }, runs: dirs, results: report }, null, 2)}\n`);
  ok(`results in ${path.relative(repo, path.resolve(outFile))}`);
  return 0;
}

void runMain(() => main(process.argv.slice(2)));
