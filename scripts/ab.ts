// npm run ab -- --baseline <image> --candidate <image> [--candidate-delay-ms MS] [--blocks N] ...
//
// A/B regression check: baseline (A) and candidate (B) API images side by side on the swarm
// (stack gameday_ab, stack/todo-ab.yml), the same load at both in alternating blocks A B B A …
// (load/ab/ab.ts on gameday-engine), decided on per-request samples (reports/ab-stats.ts).
// First an A/A phase (the baseline on both sides) calibrates the margin for the route bias,
// unless --no-calibrate or --margin. Reports: ab.json, ab.junit.xml, ab.md, ab.html in --out-dir;
// the Markdown also on stdout. Exit codes as npm run report -- compare: 0 no regression,
// 1 regression, 2 bad input (names the flag), 3/5 swarm or tool missing, 130 interrupted.
// The stack is removed at the end, on failure and on Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { AB_DEFAULTS, abDecide, marginFromAa, type AbParams } from '../reports/ab-stats.ts';
import { AB_FILES, renderAbHtml, renderAbJson, renderAbJunit, renderAbMarkdown, type AbPhaseResult, type AbResult } from '../reports/ab-report.ts';
import { ensureDelayImage } from './ab/delay-image.ts';
import { defaultBaseline, openSession } from './ab/session.ts';
import { ConfigError, ExitCode, runMain } from './lib/errors.ts';
import { info, ok, step, warn } from './lib/log.ts';

export interface AbOpts {
  baseline?: string;
  candidate?: string;
  candidateDelayMs?: number;
  blocks: number;
  blockMs: number;
  rate: number;
  calibrate: boolean;
  margin?: number;
  alpha: number;
  minEffect: number;
  outDir: string;
  routeHost?: string;
  portA: number;
  portB: number;
}

function num(flag: string, min: number, max: number, integer = false) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) throw new ConfigError(`${flag}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return v;
  };
}

const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

export function buildAbProgram(): Command {
  return new Command('ab')
    .description('A/B regression check of two API images side by side on the swarm (exit 1 on regression)')
    .option('--baseline <image>', 'baseline API image as the nodes pull it (default: the image todo_app_api runs)')
    .option('--candidate <image>', 'candidate API image ("baseline": the baseline on both sides, an A/A run)')
    .addOption(new Option('--candidate-delay-ms <ms>', 'candidate = the baseline with this planted delay per request (stack/ab/ab-delay.cjs)').argParser(num('--candidate-delay-ms', 0, 10_000)))
    .addOption(new Option('--blocks <n>', 'blocks per phase (A B B A …; a multiple of 4)').default(160).argParser(num('--blocks', 8, 2000, true)))
    .addOption(new Option('--block-ms <ms>', 'length of one block').default(1000).argParser(num('--block-ms', 250, 60_000, true)))
    .addOption(new Option('--rate <n>', 'requests per second (open model)').default(60).argParser(num('--rate', 1, 2000)))
    .option('--no-calibrate', 'skip the A/A phase (margin 0 unless --margin)')
    .addOption(new Option('--margin <ratio>', 'fixed route-bias margin instead of the A/A one (0.02 = 2 %)').argParser(num('--margin', 0, 1)))
    .addOption(new Option('--alpha <p>', 'significance of the permutation test').default(AB_DEFAULTS.alpha).argParser(num('--alpha', 1e-4, 0.5)))
    .addOption(new Option('--min-effect <ratio>', 'minimum p95 rise that can count').default(AB_DEFAULTS.minEffect).argParser(num('--min-effect', 0, 10)))
    .option('--out-dir <dir>', 'where the reports and samples go', path.join('test-artifacts', 'ab', new Date().toISOString().replace(/[:.]/g, '-')))
    .option('--route-host <addr>', 'loopback address where the manager\'s A/B ports are reachable (another swarm than the embedded one)')
    .addOption(new Option('--port-a <n>', 'manager port of route A').default(18481).argParser(num('--port-a', 1024, 65535, true)))
    .addOption(new Option('--port-b <n>', 'manager port of route B').default(18482).argParser(num('--port-b', 1024, 65535, true)))
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

export function validateAb(o: AbOpts): void {
  if (o.candidate && o.candidateDelayMs !== undefined) throw new ConfigError(`--candidate / --candidate-delay-ms: expected one of them, got both`);
  if (!o.candidate && o.candidateDelayMs === undefined) throw new ConfigError('--candidate: expected an API image (or --candidate-delay-ms MS), got nothing');
  for (const [flag, v] of [['--baseline', o.baseline], ['--candidate', o.candidate]] as const)
    if (v !== undefined && !IMAGE.test(v)) throw new ConfigError(`${flag}: expected an image reference like registry:5000/swarm-gameday/todoapi:TAG, got ${JSON.stringify(v)}`);
  if (o.blocks % 4 !== 0) throw new ConfigError(`--blocks: expected a multiple of 4 (whole A B B A groups), got ${o.blocks}`);
  if (o.portA === o.portB) throw new ConfigError(`--port-b: expected a port other than --port-a ${o.portA}, got ${o.portB}`);
}

function writeReports(dir: string, r: AbResult): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, AB_FILES.json), renderAbJson(r));
  fs.writeFileSync(path.join(dir, AB_FILES.junit), renderAbJunit(r));
  fs.writeFileSync(path.join(dir, AB_FILES.markdown), renderAbMarkdown(r));
  fs.writeFileSync(path.join(dir, AB_FILES.html), renderAbHtml(r));
}

export async function runAb(o: AbOpts): Promise<AbResult> {
  validateAb(o);
  const startedAt = new Date().toISOString();
  const session = await openSession({ routeHost: o.routeHost, portA: o.portA, portB: o.portB, outDir: o.outDir });
  try {
    const baseline = o.baseline ?? (await defaultBaseline(session.docker));
    // --candidate baseline: the baseline image on both sides (an A/A run)
    const candidate = o.candidate === 'baseline' ? baseline : (o.candidate ?? (await ensureDelayImage(baseline, o.candidateDelayMs!)));
    if (o.candidateDelayMs !== undefined) info(`planted candidate (+${o.candidateDelayMs} ms per request): ${candidate}`);
    const params: AbParams = { ...AB_DEFAULTS, alpha: o.alpha, minEffect: o.minEffect, margin: o.margin ?? 0 };
    const phases: AbPhaseResult[] = [];
    const notes: string[] = [];
    const phase = async (name: AbPhaseResult['name'], b: string, p: AbParams) => {
      await session.deploy(baseline, b);
      step(`${name}: ${o.blocks} blocks of ${o.blockMs} ms at ${o.rate} req/s`);
      const s = await session.phase(name === 'A/B' ? 'ab' : 'aa', o.blocks, o.blockMs, o.rate);
      const d = abDecide(s.blocks, p, s.errors);
      info(`${name}: ${d.outcome}: ${d.reason}`);
      if (s.mislabelled) notes.push(`${name}: ${s.mislabelled} request(s) tagged with the wrong side for their block`);
      phases.push({ name, imageA: baseline, imageB: b, decision: d, durationS: s.durationS, mislabelled: s.mislabelled });
      return d;
    };
    if (o.calibrate && o.margin === undefined) {
      const aa = await phase('A/A calibration', baseline, { ...params, margin: 0 });
      params.margin = marginFromAa(aa);
      if (aa.regressed) notes.push(`the A/A phase itself was flagged (route B slower by ${((aa.ratio! - 1) * 100).toFixed(1)}%): its bias is the margin`);
      notes.push(`margin from the A/A phase: ${(params.margin * 100).toFixed(1)}%`);
    }
    const d = await phase('A/B', candidate, params);
    const errA = d.requests.A + d.errors.A ? d.errors.A / (d.requests.A + d.errors.A) : 0;
    const errB = d.requests.B + d.errors.B ? d.errors.B / (d.requests.B + d.errors.B) : 0;
    const regressions = d.regressed ? [`p95 ${d.reason}`] : [];
    // a candidate that fails requests is a regression too (0.5 pp, like compare's default)
    if (errB - errA >= 0.005 && d.errors.B >= 5) regressions.push(`error rate ${(errA * 100).toFixed(2)}% -> ${(errB * 100).toFixed(2)}%`);
    if (d.outcome === 'insufficient data') notes.push(`A/B: insufficient data (${d.reason})`);
    return {
      tool: 'npm run ab',
      startedAt,
      finishedAt: new Date().toISOString(),
      baseline,
      candidate,
      blocks: o.blocks,
      blockMs: o.blockMs,
      rate: o.rate,
      margin: params.margin,
      loadAverage: os.loadavg(),
      phases,
      regressed: regressions.length > 0,
      regressions,
      notes,
    };
  } finally {
    await session.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const program = buildAbProgram();
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'commander.helpDisplayed') return 0;
    throw new ConfigError(`${(e.message ?? String(err)).replace(/^error: /, '')} (npm run ab -- --help)`);
  }
  const o = program.opts<AbOpts>();
  const r = await runAb(o);
  writeReports(o.outDir, r);
  process.stdout.write(renderAbMarkdown(r));
  for (const f of Object.values(AB_FILES)) info(path.join(o.outDir, f));
  if (r.regressed) {
    for (const g of r.regressions) warn(`regression: ${g}`);
    return ExitCode.failed;
  }
  ok('no regression');
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void runMain(() => main(process.argv.slice(2)));
