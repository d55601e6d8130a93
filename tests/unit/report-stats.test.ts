// The statistics under the report and the comparison rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuantileSketch, gaussian, holm, mannWhitney, normalCdf, proportionGreater, quantile, quantileSorted, rng } from '../../reports/stats.ts';

test("percentiles use k6's rule (linear interpolation between closest ranks)", () => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.ok(Math.abs(quantile(v, 0.95)! - 9.55) < 1e-12);
  assert.equal(quantile(v, 0.5), 5.5);
  assert.equal(quantile([7], 0.99), 7);
  assert.equal(quantileSorted([], 0.5), null);
});

test('the sketch is exact for ordinary buckets and within 0.5 % for huge ones, and merges', () => {
  const rand = rng(7);
  const small = new QuantileSketch();
  const vals: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const v = Math.exp(gaussian(rand));
    vals.push(v);
    small.add(v);
  }
  assert.ok(small.exact);
  assert.equal(small.quantile(0.95), quantile(vals, 0.95));

  const big = new QuantileSketch();
  const a = new QuantileSketch();
  const b = new QuantileSketch();
  const many: number[] = [];
  for (let i = 0; i < 60_000; i++) {
    const v = 5 * Math.exp(gaussian(rand) * 0.6);
    many.push(v);
    big.add(v);
    (i % 2 ? a : b).add(v);
  }
  assert.equal(big.exact, false);
  a.merge(b);
  for (const q of [0.5, 0.95, 0.99]) {
    const exact = quantile(many, q)!;
    assert.ok(Math.abs(big.quantile(q)! / exact - 1) < 0.006, `q${q}: ${big.quantile(q)} vs ${exact}`);
    assert.ok(Math.abs(a.quantile(q)! / exact - 1) < 0.006, `merged q${q}`);
  }
  assert.equal(a.count, 60_000);
  assert.equal(a.max, Math.max(...many));
});

test('normal CDF', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-2.326348) - 0.01) < 1e-6);
});

test('Mann-Whitney U: separated samples, identical samples, ties', () => {
  // n1 = n2 = 5, complete separation: U = 25, normal approx with continuity correction p = 0.0061
  const sep = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])!;
  assert.equal(sep.u, 25);
  assert.ok(Math.abs(sep.pGreater - 0.0061) < 2e-4, String(sep.pGreater));
  assert.ok(sep.pLess > 0.99);
  const same = mannWhitney([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])!;
  assert.ok(same.pGreater > 0.4 && same.pLess > 0.4);
  const ties = mannWhitney([2, 2, 2, 2], [2, 2, 2, 2])!;
  assert.equal(ties.pGreater, 0.5);
  assert.equal(mannWhitney([], [1]), null);
  // a 10 % shift of a noisy sample of 60 is detected; the same distribution is not
  const rand = rng(3);
  const base = Array.from({ length: 60 }, () => 10 * Math.exp(gaussian(rand) * 0.1));
  const slow = Array.from({ length: 60 }, () => 11.5 * Math.exp(gaussian(rand) * 0.1));
  const again = Array.from({ length: 60 }, () => 10 * Math.exp(gaussian(rand) * 0.1));
  assert.ok(mannWhitney(base, slow)!.pGreater < 1e-4);
  assert.ok(mannWhitney(base, again)!.pGreater > 0.01);
});

test('Holm-Bonferroni rejects step-down', () => {
  assert.deepEqual(holm([0.001, 0.02, 0.04], 0.05), [true, true, true]);
  assert.deepEqual(holm([0.01, 0.03, 0.04], 0.05), [true, false, false]);
  assert.deepEqual(holm([0.04, 0.001], 0.05), [true, true]);
  assert.deepEqual(holm([0.2, 0.001], 0.05), [false, true]);
});

test('two-proportion test', () => {
  assert.ok(proportionGreater(0, 1000, 20, 1000) < 1e-4);
  assert.ok(proportionGreater(20, 1000, 0, 1000) > 0.999);
  assert.equal(proportionGreater(0, 1000, 0, 1000), 1);
  assert.equal(proportionGreater(0, 0, 5, 10), 1);
});
