// Small, dependency-free statistics used by the report and the comparison. Pure functions.

/** Percentile with linear interpolation between closest ranks: the same rule k6 uses for p(N). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (n === 1) return sorted[0];
  const i = q * (n - 1);
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

export function quantile(values: readonly number[], q: number): number | null {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

export function median(values: readonly number[]): number | null {
  return quantile(values, 0.5);
}

const EXACT_LIMIT = 4096;
const ALPHA = 0.005; // relative accuracy of a sketch past EXACT_LIMIT values
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

/**
 * A mergeable quantile sketch with bounded memory: exact (k6's interpolation) up to EXACT_LIMIT
 * values, then log-spaced bins with 0.5 % relative error (DDSketch-style). Keeps a week-long soak
 * run's time series from exhausting memory while every ordinary bucket stays exact.
 */
export class QuantileSketch {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private values: number[] | null = [];
  private bins: Map<number, number> | null = null;
  private nonPositive = 0;

  add(v: number): void {
    if (!Number.isFinite(v)) return;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.values) {
      this.values.push(v);
      if (this.values.length > EXACT_LIMIT) this.toBins();
    } else this.addToBins(v, 1);
  }

  merge(other: QuantileSketch): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    if (this.values && other.values && this.values.length + other.values.length <= EXACT_LIMIT) {
      for (const v of other.values) this.values.push(v);
      return;
    }
    if (this.values) this.toBins();
    if (other.values) for (const v of other.values) this.addToBins(v, 1);
    else {
      this.nonPositive += other.nonPositive;
      for (const [k, c] of other.bins!) this.bins!.set(k, (this.bins!.get(k) ?? 0) + c);
    }
  }

  get exact(): boolean {
    return this.values !== null;
  }

  quantile(q: number): number | null {
    if (this.count === 0) return null;
    if (this.values) {
      this.values.sort((a, b) => a - b);
      return quantileSorted(this.values, q);
    }
    const rank = q * (this.count - 1);
    let seen = this.nonPositive;
    if (rank < seen) return Math.max(this.min, 0);
    const keys = [...this.bins!.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      seen += this.bins!.get(k)!;
      if (rank < seen) {
        const est = (2 * GAMMA ** k) / (GAMMA + 1);
        return Math.min(Math.max(est, this.min), this.max);
      }
    }
    return this.max;
  }

  mean(): number | null {
    return this.count ? this.sum / this.count : null;
  }

  private toBins(): void {
    const vals = this.values!;
    this.values = null;
    this.bins = new Map();
    for (const v of vals) this.addToBins(v, 1);
  }

  private addToBins(v: number, c: number): void {
    if (v <= 0) {
      this.nonPositive += c;
      return;
    }
    const k = Math.ceil(Math.log(v) / LOG_GAMMA);
    this.bins!.set(k, (this.bins!.get(k) ?? 0) + c);
  }
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export interface MannWhitney {
  u: number; // U statistic of sample b
  z: number;
  /** one-sided p-value for "values in b tend to be larger than in a" */
  pGreater: number;
  /** one-sided p-value for "values in b tend to be smaller than in a" */
  pLess: number;
}

/**
 * Mann-Whitney U test, normal approximation with tie and continuity correction. Fine for the
 * sample sizes we use it on (>= 5 per side; per-second buckets of a run are dozens to thousands).
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney | null {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return null;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const r = (i + j + 2) / 2; // average of 1-based ranks i+1..j+1
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r2 = 0;
  for (let k = 0; k < all.length; k++) if (all[k].g === 1) r2 += ranks[k];
  const u = r2 - (n2 * (n2 + 1)) / 2;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma2 = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (sigma2 <= 0) return { u, z: 0, pGreater: 0.5, pLess: 0.5 };
  const sigma = Math.sqrt(sigma2);
  const zGreater = (u - mu - 0.5) / sigma;
  const zLess = (u - mu + 0.5) / sigma;
  return { u, z: (u - mu) / sigma, pGreater: 1 - normalCdf(zGreater), pLess: normalCdf(zLess) };
}

/** One-sided two-proportion z-test: p-value for "rate 2 is greater than rate 1". */
export function proportionGreater(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return x2 / n2 > x1 / n1 ? 0 : 1;
  return 1 - normalCdf((x2 / n2 - x1 / n1) / se);
}

/** Holm-Bonferroni: which of the hypotheses are rejected at family-wise level alpha. */
export function holm(pValues: readonly number[], alpha: number): boolean[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const rejected = new Array<boolean>(pValues.length).fill(false);
  for (let k = 0; k < order.length; k++) {
    if (order[k].p <= alpha / (order.length - k)) rejected[order[k].i] = true;
    else break;
  }
  return rejected;
}

/** Deterministic PRNG (mulberry32) for fixtures and simulations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal variate from a uniform generator (Box-Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function round(v: number | null | undefined, digits = 3): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
