// The A/B decision (npm run ab): pure functions, samples in, a decision out.
//
// Baseline (A) and candidate (B) run side by side and the load alternates between them in short
// blocks, ABBA ABBA ... (each group of four is balanced, so a linear drift within a group hits
// both sides alike). Blocks are paired with their neighbour of the other side: (0,1), (3,2),
// (4,5), (7,6), ... A pair shares the machine's state of those few seconds.
//
// Statistic: per pair d = ln p95(B block) - ln p95(A block); T = mean of d. The machine's state
// of those seconds multiplies both blocks and cancels in d (a pooled p95 over the whole run
// would instead be dominated by whichever side happened to catch the slowest seconds).
// Evidence: a paired permutation test. Under "no difference" the two labels of a pair are
// exchangeable, so d is as likely -d: random sign flips draw from T's null distribution.
// p = share of flips with T* >= T. With a margin, d is first lowered by ln(1 + margin):
// "slower by more than the margin?".
// Effect: the ratio exp(T) (geometric mean of the per-pair p95 ratios) must also reach
// 1 + minEffect; a bootstrap over pairs gives its confidence interval. The pooled p95 of each
// side is reported next to it.
// Calibration: an A/A phase (the baseline on both sides) measures the bias between the two
// routes; a positive one becomes the margin so a slower route is not blamed on the candidate.
import { quantileSorted, rng } from './stats.ts';

export type Side = 'A' | 'B';

const PATTERN: readonly Side[] = ['A', 'B', 'B', 'A'];

/** The side a block loads: A B B A, repeated. */
export function blockSide(block: number): Side {
  if (!Number.isInteger(block) || block < 0) throw new RangeError(`block: expected an integer >= 0, got ${block}`);
  return PATTERN[block % 4];
}

/** [A block, B block] pairs of neighbours for the first `blocks` blocks (an incomplete pair is dropped). */
export function blockPairs(blocks: number): [number, number][] {
  const out: [number, number][] = [];
  for (let g = 0; g * 4 < blocks; g++) {
    const b0 = g * 4;
    if (b0 + 1 < blocks) out.push([b0, b0 + 1]);
    if (b0 + 3 < blocks) out.push([b0 + 3, b0 + 2]);
  }
  return out;
}

export interface AbParams {
  /** family significance of the permutation test */
  alpha: number;
  /** the p95 ratio must rise by at least this much to count (0.05 = +5 %) */
  minEffect: number;
  /** B's samples are divided by 1 + margin before the test (A/A-calibrated route bias) */
  margin: number;
  /** leading blocks dropped (connection set-up, JIT warm-up) */
  warmupBlocks: number;
  /** quantile compared */
  q: number;
  permutations: number;
  bootstrap: number;
  /** a pair needs this many requests on each side to be kept */
  minPerBlock: number;
  seed: number;
}

export const AB_DEFAULTS: AbParams = { alpha: 0.01, minEffect: 0.05, margin: 0, warmupBlocks: 2, q: 0.95, permutations: 10000, bootstrap: 2000, minPerBlock: 10, seed: 12 };

export interface AbDecision {
  params: AbParams;
  pairs: number;
  requests: { A: number; B: number };
  errors: { A: number; B: number };
  /** pooled quantile per side, ms */
  a: { p50: number | null; p95: number | null; p99: number | null };
  b: { p50: number | null; p95: number | null; p99: number | null };
  /** geometric mean over pairs of p95(B block)/p95(A block) (the chosen quantile) */
  ratio: number | null;
  /** bootstrap 95 % interval of the ratio */
  ci: [number, number] | null;
  pValue: number | null;
  regressed: boolean;
  outcome: 'regression' | 'unchanged' | 'improvement' | 'insufficient data';
  reason: string;
}

function q(sorted: Float64Array, p: number): number | null {
  return quantileSorted(sorted, p);
}

function sortedOf(parts: Float64Array[]): Float64Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float64Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.sort();
}

/**
 * Decides from per-block samples: blocks[i] holds the durations (ms) of block i's successful
 * requests; the side of block i is blockSide(i). `errors` counts failed requests per side.
 */
export function abDecide(blocks: readonly (readonly number[])[], params: AbParams = AB_DEFAULTS, errors: { A: number; B: number } = { A: 0, B: 0 }): AbDecision {
  for (const [k, v] of Object.entries({ alpha: params.alpha, minEffect: params.minEffect, margin: params.margin, q: params.q }))
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${k}: expected a finite number >= 0, got ${v}`);
  const pairs: { a: Float64Array; b: Float64Array }[] = [];
  for (const [ia, ib] of blockPairs(blocks.length)) {
    if (ia < params.warmupBlocks || ib < params.warmupBlocks) continue;
    const a = Float64Array.from(blocks[ia] ?? []);
    const b = Float64Array.from(blocks[ib] ?? []);
    if (a.length < params.minPerBlock || b.length < params.minPerBlock) continue;
    pairs.push({ a, b });
  }
  const allA = sortedOf(pairs.map((p) => p.a));
  const allB = sortedOf(pairs.map((p) => p.b));
  const summary = (s: Float64Array) => ({ p50: q(s, 0.5), p95: q(s, 0.95), p99: q(s, 0.99) });
  const base: AbDecision = {
    params,
    pairs: pairs.length,
    requests: { A: allA.length, B: allB.length },
    errors,
    a: summary(allA),
    b: summary(allB),
    ratio: null,
    ci: null,
    pValue: null,
    regressed: false,
    outcome: 'insufficient data',
    reason: '',
  };
  if (pairs.length < 4) {
    base.reason = `${pairs.length} usable block pairs (need 4, each with >= ${params.minPerBlock} requests per side)`;
    return base;
  }
  const qa = q(allA, params.q)!;
  const qb = q(allB, params.q)!;
  // per pair: d = ln p95(B) - ln p95(A); the margin shifts B down. The machine factor of those
  // seconds is in both terms and cancels.
  const lm = Math.log(1 + params.margin);
  const raw = pairs.map((p) => Math.log(q(p.b.slice().sort(), params.q)!) - Math.log(q(p.a.slice().sort(), params.q)!));
  const d = raw.map((x) => x - lm);
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const tObs = mean(d);
  base.ratio = Math.exp(mean(raw));
  // sign flips: under "no difference beyond the margin" each pair's d is as likely negative
  const rand = rng(params.seed);
  let atLeast = 0;
  let atMost = 0;
  for (let k = 0; k < params.permutations; k++) {
    let t = 0;
    for (const x of d) t += rand() < 0.5 ? -x : x;
    t /= d.length;
    if (t >= tObs - 1e-12) atLeast++;
    if (t <= tObs + 1e-12) atMost++;
  }
  const pGreater = (1 + atLeast) / (1 + params.permutations);
  const pLess = (1 + atMost) / (1 + params.permutations);
  base.pValue = pGreater;

  // bootstrap over pairs for the ratio's interval (as measured, without the margin)
  const ratios: number[] = [];
  for (let k = 0; k < params.bootstrap; k++) {
    let t = 0;
    for (let j = 0; j < raw.length; j++) t += raw[Math.floor(rand() * raw.length)];
    ratios.push(Math.exp(t / raw.length));
  }
  ratios.sort((x, y) => x - y);
  base.ci = [quantileSorted(ratios, 0.025)!, quantileSorted(ratios, 0.975)!];

  const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%`;
  const what = `p${Math.round(params.q * 100)} ${qa.toFixed(2)} -> ${qb.toFixed(2)} ms, per-pair ratio ${pct(base.ratio)} (95% CI ${pct(base.ci[0])}..${pct(base.ci[1])}, p=${pGreater.toPrecision(2)}, ${pairs.length} block pairs${params.margin ? `, margin ${(params.margin * 100).toFixed(1)}%` : ''})`;
  if (pGreater <= params.alpha && base.ratio >= 1 + params.minEffect) {
    base.outcome = 'regression';
    base.regressed = true;
    base.reason = what;
  } else if (pLess <= params.alpha && base.ratio <= 1 - params.minEffect) {
    base.outcome = 'improvement';
    base.reason = what;
  } else {
    base.outcome = 'unchanged';
    base.reason = `${what}${pGreater <= params.alpha ? `: significant but below the ${(params.minEffect * 100).toFixed(0)}% minimum effect` : ''}`;
  }
  return base;
}

/** The margin an A/A phase sets: its measured route bias when B was slower, else 0. */
export function marginFromAa(aa: AbDecision): number {
  if (aa.ratio === null) return 0;
  return Math.max(0, aa.ratio - 1);
}
