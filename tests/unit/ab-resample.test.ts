// Resampled CI-size trials of the A/B rule (scripts/ab/resample.ts): pure, on simulated phases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AB_DEFAULTS, blockSide } from '../../reports/ab-stats.ts';
import { gaussian, rng } from '../../reports/stats.ts';
import { drawTrial, groupsOf, resampledRates, wilson } from '../../scripts/ab/resample.ts';

/** A phase of lognormal latencies with autocorrelated machine noise hitting both sides alike. */
function phase(seed: number, blocks: number, slowB: number): number[][] {
  const r = rng(seed);
  const out: number[][] = [];
  let machine = 0;
  for (let b = 0; b < blocks; b++) {
    machine = 0.9 * machine + 0.1 * gaussian(r);
    const f = Math.exp(machine) * (blockSide(b) === 'B' ? slowB : 1);
    out.push(Array.from({ length: 60 }, () => 10 * f * Math.exp(0.5 * gaussian(r))));
  }
  return out;
}

test('groups are whole ABBA groups after the warm-up, and a trial is made of whole groups', () => {
  const blocks = Array.from({ length: 23 }, (_, i) => [i]);
  const groups = groupsOf(blocks, 2);
  assert.deepEqual(groups.map((g) => g.map((b) => b[0])), [[4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19]]);
  const trial = drawTrial(groups, 32, rng(1));
  assert.equal(trial.length, 32);
  for (let g = 0; g < 8; g++) {
    const first = trial[g * 4][0];
    assert.equal(first % 4, 0, 'a group starts on an A block');
    assert.deepEqual(trial.slice(g * 4, g * 4 + 4).map((b) => b[0]), [first, first + 1, first + 2, first + 3]);
  }
  assert.throws(() => drawTrial(groups, 30, rng(1)), /trial blocks: expected a multiple of 4 >= 16, got 30/);
  assert.throws(() => drawTrial([], 16, rng(1)), /no whole ABBA group/);
});

test('Wilson interval: known values', () => {
  const [lo0, hi0] = wilson(0, 100);
  assert.equal(lo0, 0);
  assert.ok(Math.abs(hi0 - 0.037) < 0.001, `upper bound of 0/100: ${hi0}`);
  const [lo, hi] = wilson(50, 100);
  assert.ok(Math.abs(lo - 0.404) < 0.001 && Math.abs(hi - 0.596) < 0.001, `50/100: ${lo}..${hi}`);
});

const params = { ...AB_DEFAULTS, permutations: 2000 };

test('resampled A/A trials of a long A/A phase rarely flag; +20 % is nearly always flagged', () => {
  const aa = phase(7, 960, 1);
  const fa = resampledRates(aa, phase(8, 960, 1), { trials: 150, trialBlocks: 160, calibrate: true, seed: 3, params });
  assert.equal(fa.trials, 150);
  assert.equal(fa.groups, 239);
  assert.ok(fa.flagged <= 6, `A/A: ${fa.flagged} of 150 resampled trials flagged`);
  const slow = resampledRates(aa, phase(9, 960, 1.2), { trials: 150, trialBlocks: 160, calibrate: true, seed: 4, params });
  assert.ok(slow.flagged >= 140, `+20 %: only ${slow.flagged} of 150 resampled trials flagged`);
  assert.ok(slow.medianRatio! > 1.1 && slow.medianRatio! < 1.3, `median ratio ${slow.medianRatio}`);
  // the same seed draws the same trials
  assert.deepEqual(resampledRates(aa, phase(9, 960, 1.2), { trials: 20, trialBlocks: 160, calibrate: true, seed: 4, params }).flagged,
    resampledRates(aa, phase(9, 960, 1.2), { trials: 20, trialBlocks: 160, calibrate: true, seed: 4, params }).flagged);
});

test('calibration: a route that is slower in the A/A phase too is not blamed on the candidate', () => {
  // route B 10 % slower in both phases: without the A/A margin every trial flags
  const biasedAa = phase(11, 480, 1.1);
  const biased = phase(12, 480, 1.1);
  const raw = resampledRates(biasedAa, biased, { trials: 40, trialBlocks: 160, calibrate: false, seed: 5, params });
  const cal = resampledRates(biasedAa, biased, { trials: 40, trialBlocks: 160, calibrate: true, seed: 5, params });
  assert.ok(raw.flagged >= 36, `uncalibrated: ${raw.flagged} of 40`);
  assert.ok(cal.flagged <= 8, `calibrated: ${cal.flagged} of 40`);
});
