// The plan of this k6 run, read once in the init context.
import type { ScenarioName } from './catalog.ts';
import { planFromEnv, type RunPlan } from './plan.ts';
import defaultSlo from '../slo.ts';

export function loadPlan(scenario: ScenarioName): RunPlan {
  return planFromEnv(__ENV, scenario, defaultSlo);
}
