// Resampled CI-size trials for npm run bench:compare -- --ab --ab-trials N (issue 12).
//
// Measuring a false-alarm rate of 1 % needs hundreds of trials; a CI-size trial (A/A calibration
// plus A/B, 160 blocks each) is ~6 min of swarm time. Instead one long real phase per planted
// slowdown is cut into its ABBA groups (4 blocks: the unit the rule pairs within), and each trial
// draws its blocks as groups picked at random, with replacement, from that phase: a moving-block
// bootstrap that keeps the pairing, the order within a group and the real noise of real requests.
// Every trial is decided as `npm run ab` decides: the margin from an A/A draw (resampled from the
// A/A phase), then the rule on a draw from the phase.
//
// What it assumes: groups are roughly independent of each other (they are seconds apart; the
// rule itself assumes the same), and the phase is several times longer than a trial, so a trial
// does not merely replay the phase's own chance outcome. Pure: blocks in, counts out.
import { AB_DEFAULTS, abDecide, marginFromAa, type AbParams } from '../../reports/ab-stats.ts';
import { rng } from '../../reports/stats.ts';

export type Blocks = readonly (readonly number[])[];

/** The whole ABBA groups of a phase, after `warmup` blocks (rounded up to a group). */
export function groupsOf(blocks: Blocks, warmup: number): Blocks[] {
  const out: Blocks[] = [];
  for (let s = Math.ceil(warmup / 4) * 4; s + 4 <= blocks.length; s += 4) out.push(blocks.slice(s, s + 4));
  return out;
}

/** One trial's blocks: `trialBlocks / 4` groups drawn with replacement, in draw order. */
export function drawTrial(groups: readonly Blocks[], trialBlocks: number, rand: () => number): (readonly number[])[] {
  if (!groups.length) throw new RangeError('a phase with no whole ABBA group cannot be resampled');
  if (!Number.isInteger(trialBlocks) || trialBlocks < 16 || trialBlocks % 4) throw new RangeError(`trial blocks: expected a multiple of 4 >= 16, got ${trialBlocks}`);
  const out: (readonly number[])[] = [];
  for (let g = 0; g < trialBlocks / 4; g++) out.push(...groups[Math.floor(rand() * groups.length)]);
  return out;
}

/** Wilson score interval (95 %) of k successes in n trials. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const den = 1 + (z * z) / n;
  const mid = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return [Math.max(0, mid - half), Math.min(1, mid + half)];
}

export interface TrialOpts {
  trials: number;
  /** blocks of each side of a trial: the A/A draw and the A/B draw (CI: 160 each) */
  trialBlocks: number;
  /** false: no A/A draw, margin 0 (`npm run ab --no-calibrate`) */
  calibrate: boolean;
  seed: number;
  params?: AbParams;
}

export interface TrialRates {
  trials: number;
  flagged: number;
  rate: number;
  ci: [number, number];
  /** groups the phase had to draw from */
  groups: number;
  /** median of the trials' measured ratios */
  medianRatio: number | null;
}

/** Resampled trials of the rule: A/A draws for the margin, `phase` draws decided with it. */
export function resampledRates(aa: Blocks, phase: Blocks, o: TrialOpts): TrialRates {
  const given = o.params ?? AB_DEFAULTS;
  // the phase's warm-up is dropped once, here; the drawn trials have none
  const params = { ...given, warmupBlocks: 0 };
  const aaGroups = groupsOf(aa, given.warmupBlocks);
  const groups = groupsOf(phase, given.warmupBlocks);
  const rand = rng(o.seed);
  let flagged = 0;
  const ratios: number[] = [];
  for (let t = 0; t < o.trials; t++) {
    // the calibration only needs the A/A ratio: no permutations or bootstrap for it
    const margin = o.calibrate ? marginFromAa(abDecide(drawTrial(aaGroups, o.trialBlocks, rand), { ...params, permutations: 1, bootstrap: 1 })) : 0;
    const d = abDecide(drawTrial(groups, o.trialBlocks, rand), { ...params, margin, seed: params.seed + t, bootstrap: 1 });
    if (d.regressed) flagged++;
    if (d.ratio !== null) ratios.push(d.ratio);
  }
  ratios.sort((x, y) => x - y);
  return {
    trials: o.trials,
    flagged,
    rate: o.trials ? flagged / o.trials : 0,
    ci: wilson(flagged, o.trials),
    groups: groups.length,
    medianRatio: ratios.length ? ratios[Math.floor(ratios.length / 2)] : null,
  };
}
