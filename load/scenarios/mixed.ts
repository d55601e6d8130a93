// Shaped like real use: 60% API reads, 25% dashboard views, 15% writes (WORKLOADS in profiles.ts),
// each an arrival-rate k6 scenario of its own so the shares hold when the target slows down.
import { loadPlan } from '../lib/env.ts';
import { makeFlows } from '../lib/flows.ts';
import { buildOptions } from '../lib/plan.ts';
import { makeHandleSummary } from '../lib/summary.ts';

const plan = loadPlan('mixed');
const flows = makeFlows(plan);

export const options = buildOptions(plan);
export const handleSummary = makeHandleSummary(plan);

export function apiRead(): void {
  flows.apiRead();
}
export function apiWrite(): void {
  flows.apiWrite();
}
export function web(): void {
  flows.web();
}
export default apiRead;
