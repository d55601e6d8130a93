// The run plan: everything the k6 side needs, resolved by Node and handed over as JSON in the
// GAMEDAY_PLAN environment variable (k6 scripts cannot read files or flags on their own terms).
// Pure: Node builds it; the bundle rebuilds a default one when run by hand without GAMEDAY_PLAN.
import { PROFILES, SCENARIOS, type ProfileName, type ScenarioName } from './catalog.ts';
import { PROFILE_DEFS, buildScenarios, plannedIterations } from './profiles.ts';
import type { SloFile } from './slo-types.ts';
import { buildThresholds, type K6Thresholds } from './thresholds.ts';

export interface RunPlan {
  /** ingress base URL without trailing slash: `/` = web, `/api/...` = TODO API */
  target: string;
  scenario: ScenarioName;
  profile: ProfileName;
  /** base arrival rate override, iterations/s */
  rate?: number;
  /** total duration override, seconds */
  durationS?: number;
  thresholds: K6Thresholds;
  /** read-your-writes polling after a create: bounded in time */
  ryw: { timeoutMs: number; pollMs: number };
  httpTimeoutS: number;
  /** where handleSummary writes k6's JSON summary */
  summaryPath?: string;
  /** extra tags on every sample (e.g. the experiment a chaos run belongs to) */
  tags?: Record<string, string>;
  /** api reads always list this column instead of a random one (the benchmark's fixed URL) */
  readStatus?: 'TODO' | 'PROGRESS' | 'DONE';
}

export const SYSTEM_TAGS = ['status', 'method', 'name', 'group', 'check', 'error', 'error_code', 'scenario', 'expected_response'];

export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'count'];

export interface PlanInput {
  target: string;
  scenario: ScenarioName;
  profile: ProfileName;
  slo: SloFile;
  rate?: number;
  durationS?: number;
  ryw?: { timeoutMs: number; pollMs: number };
  httpTimeoutS?: number;
  summaryPath?: string;
  tags?: Record<string, string>;
  readStatus?: RunPlan['readStatus'];
}

export function makePlan(input: PlanInput): RunPlan {
  const shape = { scenario: input.scenario, profile: input.profile, rate: input.rate, durationS: input.durationS };
  return {
    target: input.target.replace(/\/+$/, ''),
    scenario: input.scenario,
    profile: input.profile,
    rate: input.rate,
    durationS: input.durationS,
    thresholds: buildThresholds(input.slo, {
      scenario: input.scenario,
      plannedIterations: plannedIterations(shape),
      abortOnFail: PROFILE_DEFS[input.profile].abortOnFail,
    }),
    ryw: input.ryw ?? { timeoutMs: 5000, pollMs: 100 },
    httpTimeoutS: input.httpTimeoutS ?? 10,
    summaryPath: input.summaryPath,
    tags: input.tags,
    ...(input.readStatus ? { readStatus: input.readStatus } : {}),
  };
}

/** k6 `options` for a plan. */
export function buildOptions(plan: RunPlan): Record<string, unknown> {
  return {
    scenarios: buildScenarios({
      scenario: plan.scenario,
      profile: plan.profile,
      rate: plan.rate,
      durationS: plan.durationS,
      httpTimeoutS: plan.httpTimeoutS,
    }),
    thresholds: plan.thresholds,
    summaryTrendStats: SUMMARY_TREND_STATS,
    // `url` is left out (our `name` tag says which request it was): it bloats the time series
    systemTags: SYSTEM_TAGS,
    userAgent: 'swarm-gameday-k6',
    ...(plan.tags && Object.keys(plan.tags).length ? { tags: plan.tags } : {}),
  };
}

/** Parses GAMEDAY_PLAN (or builds the default plan) for the scenario an entry file implements. */
export function planFromEnv(env: Record<string, string | undefined>, scenario: ScenarioName, defaultSlo: SloFile): RunPlan {
  if (env.GAMEDAY_PLAN) {
    const plan = JSON.parse(env.GAMEDAY_PLAN) as RunPlan;
    if (plan.scenario !== scenario) {
      throw new Error(`GAMEDAY_PLAN is for scenario "${plan.scenario}" but this bundle is "${scenario}"`);
    }
    return plan;
  }
  const profile = (env.GAMEDAY_PROFILE ?? 'smoke') as ProfileName;
  if (!PROFILES.includes(profile)) throw new Error(`GAMEDAY_PROFILE: expected one of ${PROFILES.join(', ')}, got "${profile}"`);
  if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario "${scenario}"`);
  return makePlan({
    target: env.GAMEDAY_TARGET ?? 'http://127.0.0.1:18080',
    scenario,
    profile,
    slo: defaultSlo,
    summaryPath: env.GAMEDAY_SUMMARY_PATH,
  });
}
