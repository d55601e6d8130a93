// The A/B decision (reports/ab-stats.ts) and block schedule: pure, on simulated samples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AB_DEFAULTS, abDecide, blockPairs, blockSide, marginFromAa, type AbParams } from '../../reports/ab-stats.ts';
import { gaussian, rng } from '../../reports/stats.ts';

test('blocks alternate A B B A and every pair is one A and one B neighbour', () => {
  assert.deepEqual(Array.from({ length: 12 }, (_, i) => blockSide(i)).join(''), 'ABBAABBAABBA');
  assert.deepEqual(blockPairs(8), [[0, 1], [3, 2], [4, 5], [7, 6]]);
  for (const [a, b] of blockPairs(400)) {
    assert.equal(blockSide(a), 'A');
    assert.equal(blockSide(b), 'B');
    assert.equal(Math.abs(a - b), 1);
  }
  // an incomplete group keeps only its complete pair
  assert.deepEqual(blockPairs(6), [[0, 1], [3, 2], [4, 5]]);
  // each group of four is balanced: a linear drift over the group adds the same to both sides
  const drift = (b: number) => b;
  for (let g = 0; g < 10; g++) {
    const idx = [0, 1, 2, 3].map((k) => g * 4 + k);
    const sum = (s: 'A' | 'B') => idx.filter((b) => blockSide(b) === s).reduce((x, b) => x + drift(b), 0);
    assert.equal(sum('A'), sum('B'));
  }
  assert.throws(() => blockSide(-1), /block: expected an integer >= 0, got -1/);
});

/** Blocks of lognormal latencies; a per-block machine factor hits whichever side the block loads. */
function simulate(seed: number, blocks: number, perBlock: number, slowB: number, addMsB = 0): number[][] {
  const r = rng(seed);
  const out: number[][] = [];
  let machine = 0;
  for (let b = 0; b < blocks; b++) {
    machine = 0.9 * machine + 0.1 * gaussian(r); // autocorrelated noise: +-23 % swings, +-10 % second to second
    const f = Math.exp(machine) * (blockSide(b) === 'B' ? slowB : 1);
    const v: number[] = [];
    for (let i = 0; i < perBlock; i++) v.push(10 * f * Math.exp(0.5 * gaussian(r)) + (blockSide(b) === 'B' ? addMsB : 0));
    out.push(v);
  }
  return out;
}

const fast: AbParams = { ...AB_DEFAULTS, permutations: 2000, bootstrap: 200 };

test('A/A: false alarms stay near alpha under heavy shared machine noise', () => {
  let alarms = 0;
  const runs = 100;
  for (let s = 0; s < runs; s++) if (abDecide(simulate(1000 + s, 80, 40, 1), { ...fast, seed: s }).regressed) alarms++;
  // alpha 1 %: at most 4 of 150 (binomial tail ~2 %)
  assert.ok(alarms <= 4, `${alarms}/${runs} false alarms`);
});

test('a constant delay of 10 % of p95 is detected on most runs, 20 % on all', () => {
  let d10 = 0;
  let d20 = 0;
  const runs = 40;
  for (let s = 0; s < runs; s++) {
    const base = simulate(2000 + s, 160, 60, 1);
    const p95 = 10 * Math.exp(0.5 * 1.645); // the lognormal's p95 without machine noise
    if (abDecide(simulate(2000 + s, 160, 60, 1, 0.1 * p95), { ...fast, seed: s }).regressed) d10++;
    if (abDecide(simulate(2000 + s, 160, 60, 1, 0.2 * p95), { ...fast, seed: s }).regressed) d20++;
    assert.ok(base.length === 160);
  }
  assert.ok(d10 >= 0.9 * runs, `10 %: ${d10}/${runs}`);
  assert.equal(d20, runs, `20 %: ${d20}/${runs}`);
});

test('the decision reports ratio, CI and p; the margin and min effect gate it', () => {
  const blocks = simulate(7, 120, 60, 1.3);
  const d = abDecide(blocks, fast);
  assert.equal(d.outcome, 'regression');
  assert.ok(d.ratio! > 1.15 && d.ratio! < 1.45, `ratio ${d.ratio}`);
  assert.ok(d.ci![0] < d.ratio! && d.ratio! < d.ci![1]);
  assert.ok(d.pValue! <= 0.01);
  assert.equal(d.pairs, 59); // 60 pairs minus (0,1), inside the 2 warm-up blocks
  assert.match(d.reason, /p95 .* -> .* ms, per-pair ratio \+\d+\.\d% \(95% CI/);
  // a margin larger than the effect: not a regression
  assert.equal(abDecide(blocks, { ...fast, margin: 0.6 }).regressed, false);
  // below the minimum effect: significant but not a regression
  const small = abDecide(blocks, { ...fast, minEffect: 1 });
  assert.equal(small.regressed, false);
  assert.match(small.reason, /below the 100% minimum effect/);
  // faster candidate: improvement, never a regression
  assert.equal(abDecide(simulate(7, 120, 60, 0.7), fast).outcome, 'improvement');
});

test('too few usable pairs is "insufficient data", never a regression', () => {
  const d = abDecide(simulate(3, 8, 60, 2), fast);
  assert.equal(d.outcome, 'insufficient data');
  assert.equal(d.regressed, false);
  assert.match(d.reason, /usable block pairs \(need 4/);
  const sparse = abDecide(simulate(3, 80, 5, 2), fast);
  assert.equal(sparse.outcome, 'insufficient data');
  assert.throws(() => abDecide([], { ...fast, alpha: Number.NaN }), /alpha: expected a finite number >= 0, got NaN/);
});

test('the A/A margin is the measured bias when route B was slower, else 0', () => {
  const aa = abDecide(simulate(11, 120, 60, 1.04), fast);
  assert.ok(Math.abs(marginFromAa(aa) - (aa.ratio! - 1)) < 1e-12 && aa.ratio! > 1);
  assert.equal(marginFromAa(abDecide(simulate(11, 120, 60, 0.9), fast)), 0);
  assert.equal(marginFromAa(abDecide([], fast)), 0);
});
