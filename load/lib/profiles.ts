// Profiles -> k6 `scenarios`. Load shapes use the open model (arrival-rate executors): iterations
// start on schedule whether or not the target keeps up, so a slow target shows as latency and
// dropped_iterations instead of silently lowering the offered load. Pure.
import type { ProfileName, ScenarioName } from './catalog.ts';

export interface Stage {
  /** seconds */
  duration: number;
  /** multiple of the base rate reached at the end of the stage */
  factor: number;
}

export interface ProfileDef {
  description: string;
  startFactor: number;
  stages: Stage[];
  /** breakpoint: thresholds abort the run once crossed */
  abortOnFail?: boolean;
  /** browser scenario: VUs driving chromium (browser iterations are far heavier than HTTP ones) */
  browserVus: number;
  /** browser scenario: fixed iterations per VU instead of running for the profile's duration */
  browserIterations?: number;
}

export const PROFILE_DEFS: Record<ProfileName, ProfileDef> = {
  smoke: {
    description: 'a trickle (10% of the base rate) for 20 s: does everything answer and pass its checks?',
    startFactor: 0.1,
    stages: [{ duration: 20, factor: 0.1 }],
    browserVus: 1,
    browserIterations: 2,
  },
  load: {
    description: 'ramp to the base rate in 10 s, hold 45 s, ramp down 5 s (the pre-release default)',
    startFactor: 0,
    stages: [
      { duration: 10, factor: 1 },
      { duration: 45, factor: 1 },
      { duration: 5, factor: 0 },
    ],
    browserVus: 2,
  },
  stress: {
    description: 'steps to 1x, 2x and 3x the base rate, 2 min each, over 10 min',
    startFactor: 0,
    stages: [
      { duration: 60, factor: 1 },
      { duration: 120, factor: 1 },
      { duration: 60, factor: 2 },
      { duration: 120, factor: 2 },
      { duration: 60, factor: 3 },
      { duration: 120, factor: 3 },
      { duration: 60, factor: 0 },
    ],
    browserVus: 2,
  },
  spike: {
    description: 'half the base rate, a sudden 4x spike for 40 s, back to half',
    startFactor: 0.5,
    stages: [
      { duration: 30, factor: 0.5 },
      { duration: 10, factor: 4 },
      { duration: 30, factor: 4 },
      { duration: 10, factor: 0.5 },
      { duration: 30, factor: 0.5 },
      { duration: 10, factor: 0 },
    ],
    browserVus: 2,
  },
  soak: {
    description: 'the base rate for 30 min (leaks, pool exhaustion, replica drift)',
    startFactor: 0,
    stages: [
      { duration: 120, factor: 1 },
      { duration: 1800, factor: 1 },
      { duration: 60, factor: 0 },
    ],
    browserVus: 1,
  },
  breakpoint: {
    description: 'ramp linearly to 10x the base rate over 10 min; stops at the first SLO breach',
    startFactor: 0,
    stages: [{ duration: 600, factor: 10 }],
    abortOnFail: true,
    browserVus: 3,
  },
};

/** One kind of iteration a scenario runs, with its share of the arrival rate. */
export interface Workload {
  /** k6 scenario name (also its `scenario` tag) */
  name: string;
  /** exported function of the entry file */
  exec: string;
  weight: number;
  /** rough seconds one iteration takes when healthy: sizes the pre-allocated VU pool */
  iterationSeconds: number;
}

const READ: Workload = { name: 'api_read', exec: 'apiRead', weight: 1, iterationSeconds: 0.1 };
const WRITE: Workload = { name: 'api_write', exec: 'apiWrite', weight: 1, iterationSeconds: 1 };
const WEB: Workload = { name: 'web', exec: 'web', weight: 1, iterationSeconds: 0.3 };

export const WORKLOADS: Record<Exclude<ScenarioName, 'browser'>, Workload[]> = {
  'api-read': [READ],
  'api-write': [WRITE],
  web: [WEB],
  // shaped like real use: mostly reads, some page views, few writes
  mixed: [
    { ...READ, weight: 0.6 },
    { ...WEB, weight: 0.25 },
    { ...WRITE, weight: 0.15 },
  ],
};

/** Base arrival rate (iterations/s over the whole scenario) when --rate is not given. */
export const DEFAULT_RATES: Record<ScenarioName, number> = {
  'api-read': 20,
  'api-write': 4,
  web: 8,
  mixed: 20,
  browser: 1,
};

export interface ShapeInput {
  scenario: ScenarioName;
  profile: ProfileName;
  /** iterations/s at factor 1 */
  rate?: number;
  /** seconds: stretches or shrinks the profile's stages to this total */
  durationS?: number;
  /** the HTTP timeout in seconds: sizes maxVUs for a stalled target */
  httpTimeoutS?: number;
}

// k6's scenario object; typed loosely here so this file stays free of k6 imports.
export type K6Scenario = Record<string, unknown>;

export function profileStages(def: ProfileDef, durationS?: number): Stage[] {
  const total = def.stages.reduce((s, x) => s + x.duration, 0);
  if (!durationS || durationS === total) return def.stages.map((s) => ({ ...s }));
  const k = durationS / total;
  const out = def.stages.map((s) => ({ duration: Math.max(1, Math.round(s.duration * k)), factor: s.factor }));
  // rounding must not change the total the user asked for: the longest stages absorb the difference
  const want = Math.max(out.length, Math.round(durationS));
  const longest = () => out.reduce((a, s) => (s.duration > a.duration ? s : a), out[0]);
  for (let diff = want - totalSeconds(out); diff !== 0; diff = want - totalSeconds(out)) longest().duration += Math.sign(diff);
  return out;
}

export function totalSeconds(stages: Stage[]): number {
  return stages.reduce((s, x) => s + x.duration, 0);
}

/** Iterations the shape plans to start (integral of the rate): the base of the dropped-ratio limit. */
export function plannedIterations(input: ShapeInput): number {
  if (input.scenario === 'browser') return 0;
  const def = PROFILE_DEFS[input.profile];
  const base = input.rate ?? DEFAULT_RATES[input.scenario];
  let prev = def.startFactor;
  let sum = 0;
  for (const s of profileStages(def, input.durationS)) {
    sum += ((prev + s.factor) / 2) * base * s.duration;
    prev = s.factor;
  }
  return Math.round(sum);
}

const perMinute = (perSecond: number) => Math.round(perSecond * 60);

/** VUs one workload may hold at most (preAllocatedVUs never exceeds it either). */
export const MAX_VUS_PER_WORKLOAD = 600;

export function buildScenarios(input: ShapeInput): Record<string, K6Scenario> {
  const def = PROFILE_DEFS[input.profile];
  const stages = profileStages(def, input.durationS);
  const total = totalSeconds(stages);
  if (input.scenario === 'browser') {
    const browser = { browser: { type: 'chromium' } };
    const sc: K6Scenario = def.browserIterations
      ? { executor: 'per-vu-iterations', vus: def.browserVus, iterations: def.browserIterations, maxDuration: `${Math.max(total, 60)}s` }
      : { executor: 'constant-vus', vus: def.browserVus, duration: `${total}s` };
    return { browser: { ...sc, exec: 'browserFlow', options: browser, gracefulStop: '30s' } };
  }
  const base = input.rate ?? DEFAULT_RATES[input.scenario];
  const timeoutS = input.httpTimeoutS ?? 10;
  const peakFactor = Math.max(def.startFactor, ...stages.map((s) => s.factor));
  const constant = stages.every((s) => s.factor === def.startFactor);
  const out: Record<string, K6Scenario> = {};
  for (const w of WORKLOADS[input.scenario]) {
    const peak = peakFactor * base * w.weight; // iterations/s
    // generous: k6 drops iterations while it initializes VUs beyond the pool, and a dropped
    // iteration should mean a saturated generator, not a warming one
    const wantPool = Math.max(2, Math.ceil(peak * Math.max(w.iterationSeconds, 0.25) * 4));
    // enough VUs to keep the schedule while the target stalls up to the HTTP timeout, bounded:
    // a VU is a JS runtime, and past the cap a stalled target shows as dropped iterations
    const maxVUs = Math.min(MAX_VUS_PER_WORKLOAD, Math.max(wantPool, Math.ceil(peak * Math.min(timeoutS, 5)) + 5));
    const preAllocatedVUs = Math.min(wantPool, maxVUs);
    const common = { exec: w.exec, timeUnit: '1m', preAllocatedVUs, maxVUs, gracefulStop: '10s' };
    out[w.name] = constant
      ? { executor: 'constant-arrival-rate', rate: Math.max(1, perMinute(def.startFactor * base * w.weight)), duration: `${total}s`, ...common }
      : {
          executor: 'ramping-arrival-rate',
          startRate: perMinute(def.startFactor * base * w.weight),
          stages: stages.map((s) => ({ duration: `${s.duration}s`, target: perMinute(s.factor * base * w.weight) })),
          ...common,
        };
  }
  return out;
}
