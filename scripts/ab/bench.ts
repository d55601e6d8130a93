// npm run bench:compare -- --ab: detection and false-alarm rates of the A/B rule AND of the
// run-vs-baseline rule (reports/compare.ts) on real samples with real planted slowdowns.
//
// One gameday_ab session: a phase of A/A (baseline on both routes), then one phase per planted
// slowdown (the candidate = the baseline + a fixed delay per request of 5/10/20 % of the A/A
// phase's baseline p95, stack/ab/ab-delay.cjs). Each phase is cut into non-overlapping windows
// of --ab-window blocks; each window is one trial:
//   A/B rule          abDecide on the window (A/A windows: false alarms; planted: detections);
//   run-vs-baseline   compare() with the A-side blocks of an A/A window as the stored baseline
//                     run and the B-side blocks of another window (another time) as the
//                     candidate run, one block = one bucket: what CI does with one run per side.
// The whole phase is also decided once (the ab command's own length).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Baseline } from '../../reports/baseline.ts';
import { BASELINE_FORMAT, BASELINE_VERSION } from '../../reports/baseline.ts';
import { AB_DEFAULTS, abDecide, blockSide, type AbParams } from '../../reports/ab-stats.ts';
import { DEFAULT_PARAMS, compare } from '../../reports/compare.ts';
import { quantile } from '../../reports/stats.ts';
import { info, ok, step } from '../lib/log.ts';
import { ensureDelayImage } from './delay-image.ts';
import { readSamples } from './phase.ts';
import { resampledRates } from './resample.ts';
import { defaultBaseline, openSession } from './session.ts';

export interface AbBenchOpts {
  blocks: number;
  window: number;
  blockMs: number;
  rate: number;
  slowdowns: number[];
  outDir: string;
  /** re-analyse the samples a previous --ab run left in this folder (no swarm, no load) */
  from?: string;
  /** resampled CI-size trials per phase (0: none; see resample.ts) */
  trials: number;
  /** blocks per side of a resampled trial (CI's npm run ab: 160) */
  trialBlocks: number;
}

/** One side's blocks of a window as a baseline file's shape (one block = one bucket). */
export function sideAsBaseline(blocks: number[][], from: number, to: number, side: 'A' | 'B', name: string, blockMs: number): Baseline {
  const mine: number[][] = [];
  for (let b = from; b < to; b++) if (blockSide(b) === side && blocks[b]?.length) mine.push(blocks[b]);
  const all = mine.flat();
  const q = (v: number[], p: number) => quantile(v, p);
  const requests = all.length;
  const seconds = (mine.length * blockMs) / 1000;
  return {
    format: BASELINE_FORMAT,
    schemaVersion: BASELINE_VERSION,
    name,
    createdAt: new Date(0).toISOString(),
    source: { runId: name, kind: 'load', profile: 'ab', scenario: 'ab', experiment: null, git: null, target: null, startedAt: new Date(0).toISOString(), complete: true, verdict: 'pass' },
    bucketMs: blockMs,
    durationMs: seconds * 1000,
    totals: { requests, rps: requests / seconds, failedRate: 0 },
    endpoints: [
      {
        endpoint: 'api-list',
        requests,
        failed: 0,
        errorRate: 0,
        rps: requests / seconds,
        latency: { p50: q(all, 0.5), p90: q(all, 0.9), p95: q(all, 0.95), p99: q(all, 0.99), max: all.length ? Math.max(...all) : null },
        buckets: { n: mine.map((v) => v.length), p50: mine.map((v) => q(v, 0.5)!), p95: mine.map((v) => q(v, 0.95)!), p99: mine.map((v) => q(v, 0.99)!) },
      },
    ],
    thresholds: [],
    verdicts: [],
    availability: [],
  };
}

export function windowsOf(blocks: number, window: number, warmup: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = Math.ceil(warmup / 4) * 4; s + window <= blocks; s += window) out.push([s, s + window]);
  return out;
}

export async function runAbBench(o: AbBenchOpts): Promise<number> {
  const load0 = os.loadavg();
  if (o.from) return analyse(o, await fromFolder(o), load0, JSON.parse(fs.readFileSync(path.join(o.from, 'bench-compare-ab.json'), 'utf8')).loadAverage);
  const session = await openSession({ portA: 18481, portB: 18482, outDir: o.outDir });
  const phases: Phase[] = [];
  try {
    const baseline = await defaultBaseline(session.docker);
    await session.deploy(baseline, baseline);
    step(`A/A phase: ${o.blocks} blocks of ${o.blockMs} ms at ${o.rate} req/s`);
    const aa = await session.phase('bench-aa', o.blocks, o.blockMs, o.rate);
    phases.push({ name: 'A/A', delayMs: 0, blocks: aa.blocks });
    const p95 = quantile(aa.blocks.filter((_, b) => blockSide(b) === 'A' && b >= 4).flat(), 0.95)!;
    info(`baseline p95 (A side of the A/A phase): ${p95.toFixed(2)} ms`);
    for (const s of o.slowdowns) {
      const delay = Math.round(s * p95 * 100) / 100;
      const img = await ensureDelayImage(baseline, delay);
      await session.deploy(baseline, img);
      step(`planted +${(s * 100).toFixed(0)}% of p95 = +${delay} ms: ${o.blocks} blocks`);
      const ph = await session.phase(`bench-${Math.round(s * 100)}`, o.blocks, o.blockMs, o.rate);
      phases.push({ name: `+${(s * 100).toFixed(0)}%`, delayMs: delay, blocks: ph.blocks });
    }
  } finally {
    await session.close();
  }
  return analyse(o, phases, load0, { start: load0, end: os.loadavg() });
}

type Phase = { name: string; delayMs: number; blocks: number[][] };

async function fromFolder(o: AbBenchOpts): Promise<Phase[]> {
  const prev = JSON.parse(fs.readFileSync(path.join(o.from!, 'bench-compare-ab.json'), 'utf8')) as { results: { phase: string; delayMs: number }[] };
  const out: Phase[] = [];
  for (const r of prev.results) {
    const file = path.join(o.from!, `bench-${r.phase === 'A/A' ? 'aa' : r.phase.replace(/[+%]/g, '')}.samples.jsonl`);
    out.push({ name: r.phase, delayMs: r.delayMs, blocks: (await readSamples(file, o.blocks)).blocks });
  }
  return out;
}

function analyse(o: AbBenchOpts, phases: Phase[], load0: number[], loadAverage: { start: number[]; end: number[] }): number {
  const wins = windowsOf(o.blocks, o.window, 4);
  const rows: Record<string, unknown>[] = [];
  const aaBlocks = phases[0].blocks;
  const line = (cells: (string | number)[]) => process.stdout.write(`| ${cells.join(' | ')} |\n`);
  process.stdout.write(`\nA/B vs run-vs-baseline on real samples (${wins.length} windows of ${o.window} blocks x ${o.blockMs} ms per phase, ${o.rate} req/s; load average when measured: start ${loadAverage.start.map((x) => x.toFixed(2)).join(' ')}, end ${loadAverage.end.map((x) => x.toFixed(2)).join(' ')}):\n\n`);
  line(['planted', 'delay', 'A/B rule: flagged windows', `A/B whole phase (${o.blocks} blocks)`, 'run-vs-baseline rule: flagged pairs']);
  line(['---', '---:', '---:', '---', '---:']);
  for (const ph of phases) {
    let abFlag = 0;
    const ratios: number[] = [];
    for (const [f, t] of wins) {
      const d = abDecide(ph.blocks.slice(f, t), { ...AB_DEFAULTS, warmupBlocks: 0 });
      if (d.regressed) abFlag++;
      if (d.ratio) ratios.push(d.ratio);
    }
    const whole = abDecide(ph.blocks, { ...AB_DEFAULTS });
    let rb = 0;
    let rbPairs = 0;
    for (let i = 0; i < wins.length; i++)
      for (let j = 0; j < wins.length; j++) {
        if (ph === phases[0] && i === j) continue;
        const base = sideAsBaseline(aaBlocks, wins[i][0], wins[i][1], 'A', `aa-${i}`, o.blockMs);
        const cand = sideAsBaseline(ph.blocks, wins[j][0], wins[j][1], 'B', `${ph.name}-${j}`, o.blockMs);
        rbPairs++;
        if (compare(base, cand, DEFAULT_PARAMS).rows.some((r) => r.metric === 'p95' && r.outcome === 'regression')) rb++;
      }
    const pc = (a: number, n: number) => `${a}/${n} (${n ? ((100 * a) / n).toFixed(0) : '–'}%)`;
    line([ph.name, `${ph.delayMs} ms`, pc(abFlag, wins.length), `${whole.outcome} (${whole.ratio ? `${((whole.ratio - 1) * 100).toFixed(1)}%` : '–'}, p=${whole.pValue?.toPrecision(2) ?? '–'})`, pc(rb, rbPairs)]);
    rows.push({ phase: ph.name, delayMs: ph.delayMs, windows: wins.length, abFlagged: abFlag, windowRatios: ratios, whole: { outcome: whole.outcome, ratio: whole.ratio, ci: whole.ci, p: whole.pValue }, runVsBaselinePairs: rbPairs, runVsBaselineFlagged: rb });
  }
  process.stdout.write('\n');
  const resampled: Record<string, unknown>[] = [];
  if (o.trials > 0) {
    process.stdout.write(`Resampled CI-size trials (${o.trials} per phase: an A/A draw of ${o.trialBlocks} blocks sets the margin, then ${o.trialBlocks} blocks of the phase are decided, as npm run ab does; blocks drawn as whole ABBA groups with replacement from the phase):\n\n`);
    line(['planted', 'delay', 'groups in the phase', 'trials flagged', 'rate (95% CI)', 'median measured ratio']);
    line(['---', '---:', '---:', '---:', '---:', '---:']);
    for (const [i, ph] of phases.entries()) {
      const r = resampledRates(aaBlocks, ph.blocks, { trials: o.trials, trialBlocks: o.trialBlocks, calibrate: true, seed: 1000 + i });
      const pc = (x: number) => `${(100 * x).toFixed(1)}%`;
      line([ph.name, `${ph.delayMs} ms`, r.groups, `${r.flagged}/${r.trials}`, `${pc(r.rate)} (${pc(r.ci[0])}..${pc(r.ci[1])})`, r.medianRatio ? `${((r.medianRatio - 1) * 100).toFixed(1)}%` : '–']);
      resampled.push({ phase: ph.name, delayMs: ph.delayMs, ...r });
    }
    if (phases.some((ph) => ph.blocks.length < 4 * o.trialBlocks))
      process.stdout.write(`\n(a phase shorter than 4 trials (${4 * o.trialBlocks} blocks) mostly replays its own outcome: run longer phases, --ab-blocks, for a rate to trust)\n`);
    process.stdout.write('\n');
  }
  const out = path.join(o.outDir, o.from && path.resolve(o.from) === path.resolve(o.outDir) ? 'bench-compare-ab.reanalysed.json' : 'bench-compare-ab.json');
  fs.mkdirSync(o.outDir, { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ options: o, loadAverage, analysedAt: { loadAverage: load0 }, results: rows, resampled }, null, 2)}\n`);
  ok(`results in ${out}`);
  return 0;
}
