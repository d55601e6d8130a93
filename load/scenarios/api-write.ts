// API write path: create (primary), read-your-writes wait (replica), PROGRESS, DONE.
import { loadPlan } from '../lib/env.ts';
import { makeFlows } from '../lib/flows.ts';
import { buildOptions } from '../lib/plan.ts';
import { makeHandleSummary } from '../lib/summary.ts';

const plan = loadPlan('api-write');
const flows = makeFlows(plan);

export const options = buildOptions(plan);
export const handleSummary = makeHandleSummary(plan);

export function apiWrite(): void {
  flows.apiWrite();
}
export default apiWrite;
